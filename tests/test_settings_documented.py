"""Every WW_ setting the code reads is in the README's configuration table and in .env.example:
an operator configures the platform from those two (issue 2; issue 12's Done-when)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("feedback_api", "wechat_bot", "analytics", "admin_web")
SETTING = re.compile(r"WW_[A-Z0-9_]*[A-Z0-9]")


def _settings_read_in_code() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                        and SETTING.fullmatch(node.value):
                    found.add(node.value)
    return found


def test_the_code_reads_settings_this_test_can_see():
    settings = _settings_read_in_code()
    assert {"WW_ENV", "WW_CITIZEN_HASH_KEY", "WW_SMTP_URL", "WW_WECHAT_TOKEN"} <= settings
    assert len(settings) >= 40


def test_every_setting_is_in_the_readme_table_and_the_env_example():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # A table row names one or several settings in backticks before its first "|" cell ends.
    in_table = {name for row in readme.splitlines() if row.startswith("| `")
                for name in SETTING.findall(row.split("|")[1])}
    example = set(re.findall(r"^#? ?(WW_[A-Z0-9_]+)=", (ROOT / ".env.example").read_text(
        encoding="utf-8"), re.MULTILINE))
    settings = _settings_read_in_code()
    assert sorted(settings - in_table) == [], "add these to the README's configuration table"
    assert sorted(settings - example) == [], "add these to .env.example"
