"""Covert inspections (暗查) as the office enters them: the same window's visit of one day is one
record (a second submission of the form would count its failures twice towards rule 3)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api.models import CovertInspection
from feedback_api.services import covert
from feedback_api.services.errors import Conflict
from tests.assessment_helpers import user


def _visit(code="CD-SW-001", on="2026-10-01", **results):
    return {"window": code, "inspected_on": on, "results": results or {"服务态度": False}}


def test_a_window_has_one_covert_inspection_a_day(db, district):
    with db() as s:
        first = covert.record_covert(user("office"), _visit())
        with pytest.raises(Conflict) as exc:
            covert.record_covert(user("office"), _visit(环境设施=False))
        assert "CD-SW-001" in exc.value.message and "2026-10-01" in exc.value.message
        assert exc.value.details["covert_inspection"] == first.id
        # Another day, or another window the same day, is another visit.
        covert.record_covert(user("office"), _visit(on="2026-10-02"))
        covert.record_covert(user("office"), _visit("CD-SW-002"))
        assert s.scalar(sa.select(sa.func.count()).select_from(CovertInspection)) == 3


def test_the_form_posted_twice_links_the_first_record(client, auth, db, district):
    from feedback_api.models import Standard

    with db() as s:
        first = covert.record_covert(user("office"), _visit()).id
        ids = {i.name: i.id for i in s.scalars(sa.select(Standard).where(Standard.year == 2026)).one().indicators}
    auth.login("office")
    resp = client.post("/assessment/covert/new?year=2026", data={
        "csrf_token": auth.csrf_token("/assessment/covert/new?year=2026"), "window": "CD-SW-001",
        "inspected_on": "2026-10-01", f"result_{ids['服务态度']}": "0"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "已有暗查记录" in text
    assert f'href="/assessment/covert/{first}"' in text
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CovertInspection)) == 1
