"""The wheel ships every file of the packages: templates, static files and the vendored ECharts,
the migrations with alembic.ini, the NLP resources and every model version (issue 2: production
installs the distribution, not the checkout). The package-data globs have fixed depths; a file
in a new sub-folder would be left out silently without this test."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("feedback_api", "wechat_bot", "analytics", "admin_web", "migrations")


def test_the_wheel_holds_every_file_of_the_packages(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know the project's files")
    tracked = subprocess.run(["git", "ls-files", "--", *PACKAGES], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
    assert any(p.startswith("analytics/nlp/models/versions/") for p in tracked)
    # Built from a copy of the tracked files alone: a checkout's build/ and egg-info would hand
    # setuptools the files of an earlier build.
    source = tmp_path / "source"
    for name in [*tracked, "pyproject.toml", "README.md"]:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    out = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = out.glob("window_watch-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert [p for p in tracked if p not in shipped] == []
    entry_points = next(n for n in shipped if n.endswith(".dist-info/entry_points.txt"))
    assert "window-watch = admin_web.app:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
