"""Filter forms (GET) keep their URLs short: every typed field has a maxlength, so even a full
form of Chinese text (9 bytes a character, percent-encoded) stays far under gunicorn's request
line limit (8,190 bytes, set by ``window-watch serve``), whose answer would be English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "admin_web" / "templates"
FORM = re.compile(r'<form\b[^>]*method="get"[^>]*>(.*?)</form>', re.S | re.I)
TYPED = re.compile(r'<input\b(?=[^>]*type="(?:text|search)")[^>]*>', re.I)
#: The most a filter form may send: its typed fields at their maxlength, in Chinese.
BUDGET = 4000


def _forms() -> list[tuple[str, str]]:
    return [(str(path.relative_to(TEMPLATES)), form) for path in sorted(TEMPLATES.rglob("*.html"))
            for form in FORM.findall(path.read_text(encoding="utf-8"))]


def test_there_are_filter_forms_to_check():
    assert len(_forms()) >= 15


@pytest.mark.parametrize("name, form", _forms())
def test_every_typed_filter_field_has_a_maxlength_within_the_budget(name, form):
    total = 0
    for field in TYPED.findall(form):
        found = re.search(r'maxlength="(\d+)"', field)
        assert found, f"{name}: {field}"
        total += 9 * int(found.group(1))
    assert total <= BUDGET, name
