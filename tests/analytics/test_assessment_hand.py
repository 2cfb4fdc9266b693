"""The quarterly assessment against a hand calculation on a small district: every source (ratings
on both sides of the district's quarter boundaries, an authority inspection, covert inspections,
the tickets' full marks, an incident and its deduction), the year's weights, a window without data, a tie, and
delisted windows in and out of the ranking."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analytics import assessment, daily
from analytics.assessment import Period
from feedback_api.services import covert, standards, windows
from tests.assessment_helpers import add_feedback, inspection, registered_long_ago

Q3 = Period("quarter", 2026, 3)


def _fb(mean_total: float, n: int, industry_mean: float) -> float:
    """The feedback component by hand: the Bayesian average (10 ratings at the industry mean),
    from 1–5 onto 0–100."""
    s = (10 * industry_mean + mean_total) / (10 + n)
    return (s - 1) / 4 * 100


@pytest.fixture
def small(db, district):
    with db():
        standards.update_standard(None, 2026, {"weight_feedback": 50, "weight_inspection": 20,
                                               "weight_covert": 20, "weight_tickets": 10})
        for code, name in (("CD-SW-003", "社保代缴窗口"), ("CD-SW-004", "车船税窗口")):
            windows.create_window(None, {"code": code, "name": name, "unit": "CD-SW"})
        windows.create_window(None, {"code": "CD-RMYY-003", "name": "药房窗口", "unit": "CD-RMYY"})
        registered_long_ago()
        # CD-SW-001: four ratings inside the quarter, one at the district's first instant of it
        # (16:00 UTC the day before), one at its last; two just outside, not counted.
        add_feedback("CD-SW-001", [5, 5, 4, 2])
        add_feedback("CD-SW-001", [1], at=datetime(2026, 6, 30, 16, 0, tzinfo=UTC))
        add_feedback("CD-SW-001", [5], at=datetime(2026, 9, 30, 15, 59, 59, tzinfo=UTC))
        add_feedback("CD-SW-001", [1], at=datetime(2026, 6, 30, 15, 59, 59, tzinfo=UTC))
        add_feedback("CD-SW-001", [1], at=datetime(2026, 9, 30, 16, 0, tzinfo=UTC))
        add_feedback("CD-SW-002", [4, 4, 4])
        add_feedback("CD-SW-003", [3, 3])       # delisted during the quarter: still assessed
        add_feedback("CD-SW-004", [1, 1, 1])    # delisted before it: out, and out of the mean
        add_feedback("CD-RMYY-001", [5, 5])
        add_feedback("CD-RMYY-002", [5, 5])     # the same figures: a tie
        inspection("CD-SW-001", 2026, 3)        # 95 % of full marks
        inspection("CD-SW-002", 2026, 2)        # last quarter's: not this one's
        for on, results in (("2026-07-01", {"服务态度": True, "办事效率": False}),
                            ("2026-09-30", {"服务态度": True, "环境设施": True}),
                            ("2026-10-01", {"服务态度": False, "环境设施": False})):
            covert.record_covert(None, {"window": "CD-SW-001", "inspected_on": on,
                                        "results": results})
        covert.save_incident(None, {"window": "CD-SW-002", "occurred_on": "2026-08-01",
                                    "kind": "social", "severity": "general",
                                    "description": "窗口人员与群众争执", "source": "群众举报"})
        windows.update_window(None, "CD-SW-003", {"status": "delisted", "status_date": "2026-08-15",
                                                  "status_reason": "重大事件"})
        windows.update_window(None, "CD-SW-004", {"status": "delisted", "status_date": "2026-06-01",
                                                  "status_reason": "重大事件"})


@pytest.mark.parametrize("sums", [False, True], ids=["rows", "monthly-sums"])
def test_the_quarter_matches_a_hand_calculation(db, small, sums):
    if sums:  # the nightly refresh built the sums: the same figures from them
        with db():
            daily.refresh()
    with db():
        result = assessment.assess(Q3)
    rows = {r.code: r for r in result.rows}
    assert "CD-SW-004" not in rows
    assert set(rows) == {"CD-SW-001", "CD-SW-002", "CD-SW-003", "CD-RMYY-001", "CD-RMYY-002",
                         "CD-RMYY-003"}
    tax_mean = (22 + 12 + 6) / (6 + 3 + 2)
    sw1 = rows["CD-SW-001"]
    assert (sw1.ratings, sw1.distribution) == (6, {1: 1, 2: 1, 3: 0, 4: 1, 5: 3})
    assert sw1.industry_mean == pytest.approx(tax_mean)
    comps = {c.key: c.value for c in sw1.components}
    assert comps == {"feedback": pytest.approx(_fb(22, 6, tax_mean)), "inspection": pytest.approx(95),
                     "covert": pytest.approx(75), "tickets": 100.0}
    assert sw1.composite == pytest.approx(
        (50 * _fb(22, 6, tax_mean) + 20 * 95 + 20 * 75 + 10 * 100) / 100)
    sw2 = rows["CD-SW-002"]
    assert sw2.inspection_score is None  # Q2's inspection is not Q3's
    # Its general incident takes the standard's 5 points (the default of a new standard).
    assert sw2.composite_before == pytest.approx((50 * _fb(12, 3, tax_mean) + 10 * 100) / 60)
    assert (sw2.deduction, sw1.deduction) == (5, 0)
    assert sw2.composite == pytest.approx((50 * _fb(12, 3, tax_mean) + 10 * 100) / 60 - 5)
    sw3 = rows["CD-SW-003"]
    assert sw3.composite == pytest.approx((50 * _fb(6, 2, tax_mean) + 10 * 100) / 60)
    health = _fb(10, 2, 5.0)
    assert health == 100.0
    assert rows["CD-RMYY-001"].composite == rows["CD-RMYY-002"].composite == pytest.approx(100)
    nothing = rows["CD-RMYY-003"]
    assert nothing.composite is None and nothing.rank_district is None
    assert nothing.rank_industry is None
    # Ranks: the tie shares first place, the next is third; the window without data is unranked.
    assert (rows["CD-RMYY-001"].rank_district, rows["CD-RMYY-002"].rank_district) == (1, 1)
    assert (rows["CD-RMYY-001"].rank_industry, rows["CD-RMYY-001"].industry_ranked) == (1, 2)
    expected = [c for _s, c in sorted(((r.composite, r.code) for r in (sw1, sw2, sw3)),
                                      reverse=True)]
    assert [rows[c].rank_district for c in expected] == [3, 4, 5]
    assert [rows[c].rank_industry for c in expected] == [1, 2, 3]
    assert result.district_ranked == 5
