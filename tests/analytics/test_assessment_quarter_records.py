"""What the quarterly assessment counts for a quarter, as the office expects it: a quarter's
inspection held late (in the next quarter) is that quarter's; a covert visit and an incident
belong to the quarter of their day; a deleted inspection is no longer counted."""

from __future__ import annotations

from datetime import date

from analytics.assessment import assess
from analytics.periods import parse_period
from feedback_api.services import covert, inspections
from tests.assessment_helpers import inspection, registered_long_ago, user


def _row(period: str, code: str = "CD-SW-001"):
    return next(r for r in assess(parse_period(period)).rows if r.code == code)


def test_each_record_counts_in_its_own_quarter(db, district):
    with db():
        registered_long_ago()
        late = inspection("CD-SW-001", 2026, 3, passed=False, on=date(2026, 10, 10))
        covert.record_covert(None, {"window": "CD-SW-001", "inspected_on": "2026-10-10",
                                    "results": {"服务态度": False, "环境设施": True}})
        covert.save_incident(None, {"window": "CD-SW-001", "occurred_on": "2026-09-30",
                                    "kind": "safety", "severity": "major",
                                    "description": "电梯故障致群众受伤", "source": "群众举报"})
        q3, q4, year = _row("2026Q3"), _row("2026Q4"), _row("2026")
        assert (q3.inspections, q3.inspections_failed, q3.inspection_score) == (1, 1, 60.0)
        assert (q3.covert_inspections, q3.incidents, q3.incidents_major) == (0, 1, 1)
        assert (q4.inspections, q4.covert_inspections, q4.covert_checks) == (0, 1, 2)
        assert q4.covert_pass_rate == 0.5 and q4.incidents == 0
        assert (year.inspections, year.covert_inspections, year.incidents) == (1, 1, 1)
        inspections.delete_inspection(user("office"), late.id, "录错窗口")
        assert (_row("2026Q3").inspections, _row("2026Q3").inspection_score) == (0, None)
