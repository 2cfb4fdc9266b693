"""Dependencies: every third-party import is declared, every declaration has an upper bound, and
requirements.lock (hashes) pins a version of each inside its bounds (issue 12, item 14)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

CODE_DIRS = ("feedback_api", "wechat_bot", "analytics", "admin_web", "migrations", "benchmarks", "tests")
#: benchmarks/ scripts import each other as top-level modules (run as scripts).
FIRST_PARTY = {*CODE_DIRS, *(p.stem for p in (Path(__file__).resolve().parent.parent / "benchmarks").glob("*.py"))}


def _project(repo_root: Path) -> dict:
    return tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _requirements(repo_root: Path, *, dev: bool = True, every_extra: bool = False) -> list[Requirement]:
    """The run-time requirements, with the dev extra (what CI installs and the lock pins), or with
    every extra (training-time ones such as ``vectors`` too: declared and bounded, not locked)."""
    project = _project(repo_root)
    reqs = [Requirement(r) for r in project["dependencies"]]
    extras = project["optional-dependencies"]
    for group in (extras if every_extra else ["dev"] if dev else []):
        reqs += [Requirement(r) for r in extras[group]]
    return reqs


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_dependency_has_an_upper_bound(repo_root):
    unbounded = [str(r) for r in _requirements(repo_root, every_extra=True)
                 if not any(s.operator in {"<", "<=", "==", "~="} for s in r.specifier)]
    assert unbounded == []


def test_every_third_party_import_is_declared(repo_root):
    declared = {canonicalize_name(r.name) for r in _requirements(repo_root, every_extra=True)}
    dists = packages_distributions()
    missing = {}
    for folder in CODE_DIRS:
        for path in (repo_root / folder).rglob("*.py"):
            for name in _top_level_imports(path):
                if name in sys.stdlib_module_names or name in FIRST_PARTY or name == "__future__":
                    continue
                owners = {canonicalize_name(d) for d in dists.get(name, [name])}
                if not owners & declared:
                    missing.setdefault(name, str(path.relative_to(repo_root)))
    assert missing == {}


def test_the_lock_pins_every_dependency_inside_its_bounds_with_hashes(repo_root):
    lock = (repo_root / "requirements.lock").read_text(encoding="utf-8")
    # One requirement per logical line (continuations joined).
    entries = [e.strip() for e in re.sub(r"\\\n", " ", lock).splitlines()
               if e.strip() and not e.lstrip().startswith("#")]
    pins = {}
    for entry in entries:
        assert not entry.startswith("-e") and "file:" not in entry, entry
        spec, *hashes = entry.split("--hash=")
        req = Requirement(spec.strip())
        [pinned] = list(req.specifier)
        assert pinned.operator == "==", entry
        assert hashes and all(h.strip().startswith("sha256:") for h in hashes), entry
        pins[canonicalize_name(req.name)] = pinned.version
    for req in _requirements(repo_root):
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock: run make lock"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {req.name}=={pins[name]} outside {req.specifier}: run make lock")
    # The build backend is pinned too: the editable install runs without build isolation.
    assert {"setuptools", "wheel"} <= set(pins)


def test_the_makefile_installs_from_the_lock(repo_root):
    makefile = (repo_root / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements.lock" in makefile
    assert "--no-deps" in makefile and "-e ." in makefile
    assert re.search(r"^lock:", makefile, re.M)
