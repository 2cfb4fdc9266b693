"""A window titled during a year answers, in that year, only for what happened on or after its
title date (services.delisting.judged_from): failures while it was still a candidate stay in
its assessment, not in its delisting rules. A title of an earlier year answers for the year."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from analytics import delisting
from feedback_api.models import DelistingProposal, Window
from feedback_api.services import covert, ticket_loop, ticket_open, users, windows
from feedback_api.services import delisting as proposals
from tests.analytics.test_assessment_tickets import bad_review, local, push
from tests.assessment_helpers import award, inspection, user

INCIDENT = {"kind": "safety", "description": "电梯故障致群众受伤", "source": "群众举报",
            "severity": "major"}


def _title(code: str, on: str, year: int | None = 2026) -> None:
    windows.update_window(user("office"), code, {
        "status": "demonstration", "status_year": year, "status_date": on,
        "status_reason": "2026年度评审命名"})


def _found(s) -> set[tuple[str, int]]:
    return {(p.window.code, p.rule) for p in s.scalars(sa.select(DelistingProposal))}


def _covert(code, on, **results):
    return covert.record_covert(None, {"window": code, "inspected_on": on, "results": results})


def test_judged_from_is_the_title_date_within_its_year(db, district):
    with db() as s:
        _title("CD-SW-001", "2026-07-01")
        _title("CD-SW-002", "2027-01-12")  # 2026's title awarded (or imported) in January
        award("CD-RMYY-001", year=2025)
        _title("CD-RMYY-002", "2026-05-20", year=None)  # no award year: the status date decides
        s.flush()
        since = dict(s.execute(sa.select(Window.code, proposals.judged_from(2026))).all())
        assert since == {"CD-SW-001": date(2026, 7, 1), "CD-SW-002": date(2026, 1, 1),
                         "CD-RMYY-001": date(2026, 1, 1), "CD-RMYY-002": date(2026, 5, 20)}
        assert dict(s.execute(sa.select(Window.code, proposals.judged_from(2025))).all()) == {
            "CD-SW-001": None, "CD-SW-002": None, "CD-RMYY-001": date(2025, 12, 30),
            "CD-RMYY-002": None}
        titled = set(s.scalars(sa.select(Window.code).where(proposals.titled_by(2026))))
        assert titled == set(since)


def test_inspections_before_the_award_in_the_same_year_do_not_count(db, district):
    with db() as s:
        award("CD-SW-002", year=2025)
        inspection("CD-SW-001", 2026, 1, passed=False)  # 01-15, a candidate still
        inspection("CD-SW-002", 2026, 1, passed=False)
        _title("CD-SW-001", "2026-04-01")
        for quarter in (2, 3):
            inspection("CD-SW-001", 2026, quarter, passed=False)
            inspection("CD-SW-002", 2026, quarter, passed=False)
        # Three failed quarters each; CD-SW-001 held the title for two of them.
        assert {p.window.code for p in delisting.evaluate(2026)} == {"CD-SW-002"}
        (w,) = [w for w in delisting.early_warnings(2026) if w.window_id == window(s, "CD-SW-001")]
        assert (w.rule, w.summary) == (1, "2026年 2 次季度综合检查不合格：2026Q2（60分）、2026Q3（60分）")
        inspection("CD-SW-001", 2026, 4, passed=False)
        (p,) = delisting.evaluate(2026)
        assert [i["quarter"] for i in p.evidence["items"]] == ["2026Q2", "2026Q3", "2026Q4"]
        assert _found(s) == {("CD-SW-002", 1), ("CD-SW-001", 1)}


def test_the_award_day_itself_counts(db, district):
    with db() as s:
        _title("CD-SW-001", "2026-06-30")
        covert.save_incident(None, {**INCIDENT, "window": "CD-SW-001", "occurred_on": "2026-06-29"})
        assert delisting.evaluate(2026) == []
        covert.save_incident(None, {**INCIDENT, "window": "CD-SW-001", "occurred_on": "2026-06-30"})
        (p,) = delisting.evaluate(2026)
        assert [i["occurred_on"] for i in p.evidence["items"]] == ["2026-06-30"]
        assert _found(s) == {("CD-SW-001", 4)}


def test_covert_failures_before_the_award_do_not_count(db, district):
    with db() as s:
        for month in (2, 3, 4, 5):
            _covert("CD-SW-001", f"2026-{month:02d}-10", 服务态度=False)
        _title("CD-SW-001", "2026-06-01")
        assert delisting.evaluate(2026) == []
        for month in (7, 8, 9):
            _covert("CD-SW-001", f"2026-{month:02d}-10", 服务态度=False)
        assert delisting.evaluate(2026) == []
        assert [w.rule for w in delisting.early_warnings(2026)] == [3]
        _covert("CD-SW-001", "2026-10-10", 服务态度=False)
        (p,) = delisting.evaluate(2026)
        assert [i["inspected_on"] for i in p.evidence["items"]] == [
            "2026-07-10", "2026-08-10", "2026-09-10", "2026-10-10"]
        assert _found(s) == {("CD-SW-001", 3)}


def test_pushes_opened_before_the_award_do_not_count(db, district):
    start = local(2026, 3, 2)
    with db() as s:
        agency = users.get_user("agency")
        tid = ticket_open.open_from_feedback(agency, bad_review("CD-SW-001", start), now=start).id
        when = push(tid, 3, start)  # rounds opened 03-02, 03-05, 03-08; a fourth opens 03-11
        _title("CD-SW-001", "2026-03-06")
        # Since the title: rounds 3 and 4, two in a row; the third round of the streak is missing.
        assert delisting.evaluate(2026) == []
        assert [w.rule for w in delisting.early_warnings(2026)] == [2]
        ticket_loop.respond(users.get_user("unit"), tid, "第四次反馈", now=when + timedelta(days=1))
        ticket_loop.send_back(agency, tid, "仍未整改", now=when + timedelta(days=2))
        (p,) = delisting.evaluate(2026)
        assert [i["round"] for i in p.evidence["items"]] == [3, 4, 5]
        assert _found(s) == {("CD-SW-001", 2)}


def window(s, code: str) -> int:
    return s.scalar(sa.select(Window.id).where(Window.code == code))
