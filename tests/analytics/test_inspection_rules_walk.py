"""The inspection rules as the office meets them: rules 1, 3 and 4 fire exactly at their
thresholds within one calendar year (never across two), and a corrected quarterly inspection
withdraws (or keeps) the rule 1 proposal it grounded."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from analytics import delisting
from feedback_api.models import AuditLog
from feedback_api.services import covert, inspections, windows
from tests.assessment_helpers import award, full_scores, inspection, user


def _rules(found) -> list[tuple[str, int, int]]:
    return sorted((p.window.code, p.year, p.rule) for p in found)


def _covert(code: str, on: date, **results: bool):
    return covert.record_covert(None, {"window": code, "inspected_on": on, "results": results})


def test_rule_1_fires_at_the_third_failed_quarter_of_one_year_only(db, district):
    with db():
        award("CD-SW-001", year=2023)
        windows.update_window(None, "CD-SW-001", {"listed_on": "2023-01-01"})  # before its records
        inspection("CD-SW-001", 2024, 4, passed=False)   # the year before's: not counted in 2025
        inspection("CD-SW-001", 2025, 1, passed=False)
        inspection("CD-SW-001", 2025, 2, passed=False)
        inspection("CD-SW-001", 2025, 3, passed=True)
        assert delisting.evaluate(2024) == [] and delisting.evaluate(2025) == []
        # The fourth quarter's, held in January: 2025's third failure, not 2026's.
        inspection("CD-SW-001", 2025, 4, passed=False, on=date(2026, 1, 10))
        assert delisting.evaluate(2026) == []
        assert _rules(delisting.evaluate(2025)) == [("CD-SW-001", 2025, 1)]


def test_rule_3_fires_at_the_fourth_failure_of_the_same_indicator_in_one_year(db, titled_district):
    with db():
        _covert("CD-SW-001", date(2025, 12, 20), 服务态度=False)  # last year's
        for month in (2, 5, 8):
            _covert("CD-SW-001", date(2026, month, 3), 服务态度=False, 环境设施=True)
        # Four failures, but of different indicators: no indicator failed four times.
        _covert("CD-SW-002", date(2026, 2, 3), 服务态度=False)
        _covert("CD-SW-002", date(2026, 3, 3), 办事效率=False)
        _covert("CD-SW-002", date(2026, 4, 3), 环境设施=False)
        _covert("CD-SW-002", date(2026, 5, 3), 廉洁诚信=False)
        assert delisting.evaluate(2025) == [] and delisting.evaluate(2026) == []
        _covert("CD-SW-001", date(2026, 10, 3), 服务态度=False)
        assert _rules(delisting.evaluate(2026)) == [("CD-SW-001", 2026, 3)]


def test_rule_4_fires_on_a_major_incident_only(db, titled_district):
    data = {"kind": "safety", "description": "电梯故障致群众受伤", "source": "群众举报"}
    with db():
        covert.save_incident(None, {**data, "window": "CD-SW-001", "occurred_on": "2026-03-01",
                                    "severity": "general"})
        assert delisting.evaluate(2026) == []
        covert.save_incident(None, {**data, "window": "CD-SW-001", "occurred_on": "2026-03-02",
                                    "severity": "major"})
        assert _rules(delisting.evaluate(2026)) == [("CD-SW-001", 2026, 1 + 3)]


def _correct(code: str, quarter: int, passed: bool):
    data = {"window": code, "year": 2026, "quarter": quarter,
            "inspected_on": date(2026, 3 * quarter - 2, 15), "inspectors": "张三、李四",
            "scores": full_scores(0.95 if passed else 0.6)}
    return inspections.save_inspection(user("authority"), data, replace=True)[0]


def test_an_inspection_corrected_to_passed_withdraws_the_proposal_it_grounded(db, titled_district):
    with db() as s:
        for q in (1, 2, 3):
            inspection("CD-RMYY-001", 2026, q, passed=False)
        (p,) = delisting.evaluate(2026)
        _correct("CD-RMYY-001", 2, passed=True)
        assert p.state == "withdrawn" and "综合检查已更正" in p.decision_note
        assert p.decided_by == user("authority").id
        (entry,) = s.scalars(sa.select(AuditLog).where(AuditLog.action == "withdraw"))
        assert entry.entity_id == str(p.id)
        assert delisting.evaluate(2026) == [] and p.state == "withdrawn"
        # Failed again: the rule holds again and the proposal opens again.
        _correct("CD-RMYY-001", 2, passed=False)
        assert delisting.evaluate(2026) == [p] and p.state == "open"


def test_a_proposal_keeps_its_ground_while_three_failed_quarters_remain(db, titled_district):
    with db() as s:
        for q in (1, 2, 3, 4):
            inspection("CD-RMYY-001", 2026, q, passed=False, on=date(2026, 3 * q - 2, 15))
        (p,) = delisting.evaluate(2026)
        _correct("CD-RMYY-001", 1, passed=True)
        assert p.state == "open"
        assert s.scalars(sa.select(AuditLog).where(AuditLog.action == "withdraw")).all() == []
