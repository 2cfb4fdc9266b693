"""Incidents (重大事件) feed the composite: each incident of the period takes the points its
severity is worth in the year's standard (一般 / 重大), the composite floors at 0, the ranking
follows; a standard with 0 (as the migration leaves the ones stored before) moves nothing; a
window with incidents and no component still has no composite; a published version records the
deductions it used."""

from __future__ import annotations

import pytest

from analytics import assessment, snapshots
from analytics.assessment import Period
from feedback_api.services import covert, standards
from tests.assessment_helpers import add_feedback, user

Q3 = Period("quarter", 2026, 3)


def _incident(code: str, on: str, severity: str) -> None:
    covert.save_incident(None, {"window": code, "occurred_on": on, "kind": "safety",
                                "severity": severity, "description": "消防通道堵塞",
                                "source": "主管部门通报"})


def _row(result, code):
    return next(r for r in result.rows if r.code == code)


def _set(general: float, major: float, year: int = 2026) -> None:
    standards.update_standard(None, year, {"deduction_general": general, "deduction_major": major})


@pytest.fixture
def rated(db, district):
    with db():
        add_feedback("CD-SW-001", [5, 5, 5, 5])
        add_feedback("CD-SW-002", [4, 4, 4, 4])
    with db():
        before = {r.code: r.composite for r in assessment.assess(Q3).rows}
    return before


def test_each_incident_takes_its_severitys_points_and_the_ranking_follows(db, rated):
    before = rated
    with db():
        first = _row(assessment.assess(Q3), "CD-SW-001")
        assert first.rank_district == 1 and first.deduction == 0
        _incident("CD-SW-001", "2026-07-03", "general")
        _incident("CD-SW-001", "2026-08-20", "major")
        _incident("CD-SW-001", "2026-10-02", "major")  # Q4's: not this period's
    with db():
        result = assessment.assess(Q3)  # no standard stored for 2026: the defaults, 5 and 20
    row = _row(result, "CD-SW-001")
    assert result.weights["incident_general"] == 5 and result.weights["incident_major"] == 20
    assert row.composite_before == pytest.approx(before["CD-SW-001"])
    assert row.deduction == 25
    assert row.composite == pytest.approx(before["CD-SW-001"] - 25)
    assert "一般 1 起×5" in row.formula and "重大 1 起×20" in row.formula
    other = _row(result, "CD-SW-002")
    assert other.composite == pytest.approx(before["CD-SW-002"]) and other.deduction == 0
    assert (other.rank_district, row.rank_district) == (1, 2)
    assert "每起一般事件扣 5 分" in result.formula and "每起重大事件扣 20 分" in result.formula
    assert any("每起一般事件扣 5 分、每起重大事件扣 20 分" in n for n in result.notes)

    with db():
        _set(7, 30)
    with db():
        row = _row(assessment.assess(Q3), "CD-SW-001")
    assert row.deduction == 37 and row.composite == pytest.approx(before["CD-SW-001"] - 37)


def test_the_composite_floors_at_zero(db, rated):
    with db():
        _set(60, 100)
        _incident("CD-SW-001", "2026-07-03", "general")
        _incident("CD-SW-001", "2026-08-20", "major")
    with db():
        result = assessment.assess(Q3)
    row = _row(result, "CD-SW-001")
    assert row.deduction == 160 and row.composite == 0
    assert row.rank_district == 2  # still ranked, last of the two rated
    assert "最低为 0" in row.formula


def test_incidents_alone_make_no_composite(db, district):
    with db():
        _incident("CD-RMYY-001", "2026-07-03", "major")
    with db():
        row = _row(assessment.assess(Q3), "CD-RMYY-001")
    assert row.composite is None and row.rank_district is None and row.deduction is None
    assert (row.incidents, row.incidents_major) == (1, 1)


def test_a_standard_with_zero_deductions_leaves_the_figures_as_they_were(db, rated):
    before = rated
    with db():
        _set(0, 0)
    with db():
        plain = _row(assessment.assess(Q3), "CD-SW-001")
        _incident("CD-SW-001", "2026-07-03", "general")
        _incident("CD-SW-001", "2026-08-20", "major")
    with db():
        result = assessment.assess(Q3)
    row = _row(result, "CD-SW-001")
    assert row.composite == pytest.approx(before["CD-SW-001"]) and row.deduction == 0
    assert row.formula == plain.formula and row.rank_district == 1
    assert "扣" not in result.formula
    assert any("未设重大事件扣分" in n for n in result.notes)


def test_a_published_version_records_the_deductions_and_moves_only_by_a_recompute(db, rated):
    before = rated
    with db():
        _incident("CD-SW-001", "2026-07-03", "general")
        _incident("CD-SW-001", "2026-08-20", "major")
    with db():
        snap = snapshots.publish(user("office"), Q3)
        assert (snap.weights["incident_general"], snap.weights["incident_major"]) == (5, 20)
        assert "每起一般事件扣 5 分" in snap.formula
        assert any("每起重大事件扣 20 分" in n for n in snap.notes)
    with db():
        _set(0, 0)
    with db():
        got = snapshots.stored(Q3)
        row = _row(got.result, "CD-SW-001")
        assert row.deduction == 25 and row.composite == pytest.approx(before["CD-SW-001"] - 25)
        assert got.result.weights["incident_major"] == 20
    with db():
        snapshots.recompute(user("office"), Q3, "标准修改：重大事件不扣分")
    with db():
        got = snapshots.stored(Q3)
        row = _row(got.result, "CD-SW-001")
        assert got.snapshot.version == 2 and row.deduction == 0
        assert row.composite == pytest.approx(before["CD-SW-001"])
        assert got.result.weights["incident_major"] == 0


def test_a_version_stored_before_deductions_reads_back_without_them(db, rated):
    import sqlalchemy as sa

    from feedback_api.models import AssessmentSnapshotRow

    with db():
        snapshots.publish(user("office"), Q3)
    with db() as s:
        for stored_row in s.scalars(sa.select(AssessmentSnapshotRow)):
            data = dict(stored_row.data)
            data["assessment"] = {k: v for k, v in data["assessment"].items()
                                  if k not in ("deduction", "composite_before")}
            stored_row.data = data
    with db():
        row = _row(snapshots.stored(Q3).result, "CD-SW-001")
    assert row.deduction is None and row.composite_before is None and row.composite is not None


def test_a_new_standard_gets_the_default_deductions_or_the_previous_years(db, district):
    with db():
        std = standards.ensure_standard(2025)
        assert (std.deduction_general, std.deduction_major) == (5, 20)
        # As the migration leaves a standard stored before deductions existed.
        std.deduction_general = std.deduction_major = 0
    with db():
        std = standards.ensure_standard(2026)
        assert (std.deduction_general, std.deduction_major) == (5, 20)
        _set(8, 30)
    with db():
        std = standards.ensure_standard(2027)
        assert (std.deduction_general, std.deduction_major) == (8, 30)


@pytest.mark.parametrize(("value", "message"), [
    (-1, "重大事件扣分应为不小于 0且不超过 100 的数"),
    (100.5, "重大事件扣分应为不小于 0且不超过 100 的数"),
    ("很多", "重大事件扣分应为数字")])
def test_the_service_refuses_a_bad_deduction_in_chinese(db, district, value, message):
    from feedback_api.services.errors import ValidationError

    with db():
        standards.ensure_standard(2026)
    with db(), pytest.raises(ValidationError) as got:
        standards.update_standard(None, 2026, {"deduction_general": 3, "deduction_major": value})
    assert message in str(got.value) and "deduction_major" in got.value.details
    with db():
        std = standards.get_standard(2026)
        assert (std.deduction_general, std.deduction_major) == (5, 20)


def test_the_version_diff_names_the_deduction(db, rated):
    from analytics import snapshot_diff

    with db():
        _incident("CD-SW-001", "2026-07-03", "general")
    with db():
        snapshots.publish(user("office"), Q3)
    with db():
        _set(10, 20)
    with db():
        snapshots.recompute(user("office"), Q3, "一般事件扣分调整为 10 分")
    with db():
        v1, v2 = snapshots.versions(Q3)
        changes = snapshot_diff.compare(v1, v2)
    sw = next(c for c in changes if c.code == "CD-SW-001")
    assert ("重大事件扣分", "5", "10") in sw.changes
    other = next(c for c in changes if c.code == "CD-SW-002")  # overtaken: its rank only
    assert [label for label, _x, _y in other.changes] == ["区内排名", "行业排名"]
