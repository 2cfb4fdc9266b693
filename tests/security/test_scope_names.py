"""Scopes typed by an industry's Chinese name (users.resolve_scope): a name resolves to exactly
what it names, never by a part or another spelling, a unit of that very name before the whole
industry; a name that is none is refused with the names there are, and what was typed comes back
escaped."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Unit
from feedback_api.services import units
from feedback_api.services.errors import ValidationError
from feedback_api.services.users import resolve_scope


@pytest.mark.parametrize("typed", ["税", "税务局", "TAX", "Tax", "税 务", "%", "_", "税务%", "卫生"])
def test_no_part_or_other_spelling_resolves(db, district, typed):
    with db():
        with pytest.raises(ValidationError, match="无法识别"):
            resolve_scope(typed)


def test_exactly_the_name_and_a_unit_so_named_before_the_industry(db, district):
    with db():
        assert resolve_scope(" 税务 ").industry == "tax"
        assert resolve_scope("ｔａｘ").industry == "tax"
        units.ensure_unit(None, name="税务", code="CD-SWX", industry="tax", authority="城东区税务局")
        unit_id = Session.scalar(sa.select(Unit.id).where(Unit.code == "CD-SWX"))
        entry = resolve_scope("税务")
        assert entry.unit_id == unit_id and entry.industry is None


def test_what_was_typed_comes_back_escaped(client, auth, district):
    auth.login("office")
    resp = client.post("/accounts/new", data={
        "csrf_token": auth.csrf_token("/accounts"), "username": "x-authority", "role": "authority",
        "scopes": "<img src=x onerror=alert(1)>", "display_name": "某局"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "无法识别" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
