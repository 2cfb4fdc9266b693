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


def _fails(code: str, months, indicator="服务态度"):
    return [covert.record_covert(None, _visit(code, f"2026-{m:02d}-03", **{indicator: False}))
            for m in months]


def test_the_office_corrects_a_covert_inspection_and_its_rule_3_proposal_follows(db, titled_district):
    from analytics import delisting
    from feedback_api.models import AuditLog
    from feedback_api.services.errors import PermissionDenied, ValidationError

    with db() as s:
        visits = _fails("CD-SW-001", (2, 4, 6, 8))
        (p,) = delisting.evaluate(2026)
        with pytest.raises(PermissionDenied):
            covert.correct_covert(user("authority"), visits[1].id, {"results": {"服务态度": True}})
        with pytest.raises(Conflict):  # onto another visit's day
            covert.correct_covert(user("office"), visits[1].id, {"inspected_on": "2026-06-03"})
        with pytest.raises(ValidationError, match="跨年度"):
            covert.correct_covert(user("office"), visits[1].id, {"inspected_on": "2025-12-03"})
        item = covert.correct_covert(user("office"), visits[1].id, {
            "inspected_on": "2026-04-05", "results": {"服务态度": True, "环境设施": False},
            "notes": "复核录像：服务态度合格"})
        assert (item.inspected_on.isoformat(), item.notes) == ("2026-04-05", "复核录像：服务态度合格")
        assert {r.indicator.name: r.passed for r in item.results} == {"服务态度": True, "环境设施": False}
        assert p.state == "withdrawn" and "暗查已更正" in p.decision_note
        entry = s.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "covert_inspection",
                                                    AuditLog.action == "update")).one()
        assert entry.before["results"] == {"服务态度": False} and entry.actor == "office"
        assert delisting.evaluate(2026) == []
        # Failing again: the rule holds again, the proposal opens again.
        covert.correct_covert(user("office"), visits[1].id, {"results": {"服务态度": False}})
        assert delisting.evaluate(2026) == [p] and p.state == "open"


def test_a_rule_3_proposal_stays_while_four_failures_of_an_indicator_remain(db, titled_district):
    from analytics import delisting

    with db():
        visits = _fails("CD-SW-001", (2, 4, 6, 8, 10))
        (p,) = delisting.evaluate(2026)
        covert.correct_covert(user("office"), visits[0].id, {"results": {"服务态度": True}})
        assert p.state == "open"
