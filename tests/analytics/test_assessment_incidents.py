"""Incidents (重大事件) in the quarterly assessment: each window's incidents of the period are on its
row, its page and the Excel table, and the notes say how they count (deducted from the composite
by the standard's points, ``test_assessment_deductions``; a major one is also delisting rule
4's), so a reader of the assessment learns of them."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from analytics import assessment
from analytics.assessment import Period
from feedback_api.services import covert
from tests.assessment_helpers import add_feedback, publish_quarter

Q3 = Period("quarter", 2026, 3)


def _incident(code: str, on: str, severity: str) -> None:
    covert.save_incident(None, {"window": code, "occurred_on": on, "kind": "safety",
                                "severity": severity, "description": "消防通道堵塞",
                                "source": "主管部门通报"})


def test_the_periods_incidents_are_on_the_assessment(db, client, auth, district):
    with db():
        add_feedback("CD-SW-001", [5, 4, 4])
    with db():
        before = next(r for r in assessment.assess(Q3).rows if r.code == "CD-SW-001").composite
        _incident("CD-SW-001", "2026-07-01", "general")
        _incident("CD-SW-001", "2026-09-30", "major")
        _incident("CD-SW-001", "2026-10-01", "major")  # Q4's
        _incident("CD-SW-001", "2026-06-30", "major")  # Q2's
    with db():
        result = assessment.assess(Q3)
    row = next(r for r in result.rows if r.code == "CD-SW-001")
    assert (row.incidents, row.incidents_major) == (2, 1)
    assert row.composite == pytest.approx(before - 5 - 20)  # the default standard's points
    assert any("重大事件" in n and "扣分" in n and "摘牌规则" in n for n in result.notes)
    other = next(r for r in result.rows if r.code == "CD-SW-002")
    assert (other.incidents, other.incidents_major) == (0, 0)

    with db():
        publish_quarter()  # a unit reads published figures only
    auth.login("unit")
    page = client.get("/assessment/windows/CD-SW-001?period=2026Q3").get_data(as_text=True)
    assert "重大事件" in page and "2 起（其中重大 1 起）" in page
    wb = load_workbook(io.BytesIO(client.get("/assessment/export.xlsx?period=2026Q3").data))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    sw = next(r for r in rows[1:] if r[header.index("窗口编号")] == "CD-SW-001")
    assert sw[header.index("重大事件（起）")] == 2
    assert sw[header.index("其中重大（起）")] == 1


def test_a_version_stored_before_incidents_were_kept_shows_a_dash(db, client, auth, district):
    import sqlalchemy as sa

    from analytics import snapshots
    from feedback_api.models import AssessmentSnapshotRow
    from tests.assessment_helpers import user

    with db():
        add_feedback("CD-SW-001", [5, 4, 4])
        _incident("CD-SW-001", "2026-08-01", "major")
    with db():
        snapshots.publish(user("office"), Q3)
    with db() as s:
        for row in s.scalars(sa.select(AssessmentSnapshotRow)):
            data = dict(row.data)
            data["assessment"] = {k: v for k, v in data["assessment"].items()
                                  if k not in ("incidents", "incidents_major")}
            row.data = data
    auth.login("office")
    page = client.get("/assessment/windows/CD-SW-001?period=2026Q3").get_data(as_text=True)
    assert "—（该版本发布时尚未单列）" in page and "0 起" not in page
