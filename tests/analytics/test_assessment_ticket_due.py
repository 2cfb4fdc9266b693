"""The ticket component (督办办理) counts a 差评 only once its ticket is closed or its first
round's deadline has passed (as of the assessment's clock): a 差评 still within its deadline,
never ticketed, or on a cancelled ticket is left out and the note says so; a window with nothing
to handle in the period gets full marks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics import agency_report, assessment
from analytics.assessment import Period
from feedback_api.services import ticket_links, ticket_loop, ticket_open, users
from tests.analytics.test_assessment_tickets import bad_review, local, signed_in

Q1 = Period("quarter", 2026, 1)


def _row(code: str, as_of) -> assessment.WindowAssessment:  # type: ignore[no-untyped-def]
    return next(r for r in assessment.assess(Q1, as_of=as_of).rows if r.code == code)


def _tickets(r: assessment.WindowAssessment) -> assessment.Component:
    return next(c for c in r.components if c.key == "tickets")


def _fixed(feedback, at, fix_days: int) -> int:  # type: ignore[no-untyped-def]
    """A ticket opened on ``feedback`` at ``at``, answered by the unit ``fix_days`` later and
    verified a day after: closed. Returns its id."""
    agency, unit = users.get_user("agency"), users.get_user("unit")
    tid = ticket_open.open_from_feedback(agency, feedback, now=at).id
    ticket_loop.respond(unit, tid, "已整改，已向群众致歉", now=at + timedelta(days=fix_days))
    ticket_loop.verify(agency, tid, now=at + timedelta(days=fix_days + 1))
    return tid


def _handled_and_fresh(db) -> int:  # type: ignore[no-untyped-def]
    """CD-SW-001: a 差评 of 2 March fixed on time, verified and called back; a fresh one of
    20 March whose ticket (due 15 working days later, in April) nobody has touched yet. Returns
    the fresh ticket's id."""
    start = local(2026, 3, 2)
    with db():
        agency = users.get_user("agency")
        tid = _fixed(bad_review("CD-SW-001", start), start, fix_days=2)
        ticket_loop.record_callback(agency, tid, called_at=start + timedelta(hours=5),
                                    outcome="satisfied", now=start + timedelta(hours=6))
        fresh_at = local(2026, 3, 20)
        return ticket_open.open_from_feedback(agency, bad_review("CD-SW-001", fresh_at, rating=2),
                                              now=fresh_at).id


def test_a_fresh_bad_review_within_its_deadline_is_not_counted(db, district):
    fresh = _handled_and_fresh(db)
    with db():
        r = _row("CD-SW-001", local(2026, 3, 25))
        assert (r.bad_reviews, r.bad_assessed, r.bad_not_due) == (2, 1, 1)
        assert (r.bad_rectified_rate, r.bad_callback_rate) == (1.0, 1.0)
        c = _tickets(r)
        assert c.value == pytest.approx(100.0)
        assert "另有 1 条差评督办未到期，不计" in c.note
        # A window whose only 差评 is fresh has nothing to handle yet: full marks, not 0.
        with db():
            t = ticket_open.open_from_feedback(users.get_user("agency"),
                                               bad_review("CD-SW-002", local(2026, 3, 24)),
                                               now=local(2026, 3, 24))
            assert t.rounds[0].due > local(2026, 3, 25).date()
        other = _row("CD-SW-002", local(2026, 3, 25))
        assert (other.bad_reviews, other.bad_assessed, other.bad_rectified_rate) == (1, 0, None)
        assert _tickets(other).value == 100.0
        assert "本期无督办事项，按满分计" in _tickets(other).note
        assert "另有 1 条差评督办未到期，不计" in _tickets(other).note
    assert fresh


def test_a_bad_review_past_its_deadline_and_not_closed_counts_against(db, district):
    _handled_and_fresh(db)
    with db():  # the same, assessed after the fresh ticket's first deadline
        r = _row("CD-SW-001", local(2026, 4, 30))
        assert (r.bad_reviews, r.bad_assessed, r.bad_not_due) == (2, 2, 0)
        assert (r.bad_rectified_rate, r.bad_callback_rate) == (0.5, 0.5)
        assert _tickets(r).value == pytest.approx(100 * (1 + 0.5 + 0.5) / 3)
        assert "另有" not in _tickets(r).note


def test_a_closed_ticket_counts_before_its_deadline(db, district):
    start = local(2026, 3, 20)
    with db():
        _fixed(bad_review("CD-SW-001", start), start, fix_days=1)
    with db():
        r = _row("CD-SW-001", local(2026, 3, 25))
        assert (r.bad_assessed, r.bad_rectified_rate, r.bad_callback_rate) == (1, 1.0, 0.0)


def test_never_ticketed_and_cancelled_bad_reviews_are_not_counted(db, district):
    start = local(2026, 2, 2)
    with db():
        agency, office = users.get_user("agency"), users.get_user("office")
        bad_review("CD-SW-001", start)  # nobody opened a ticket
        tid = ticket_open.open_from_feedback(agency, bad_review("CD-SW-001", start), now=start).id
        ticket_links.cancel_ticket(office, tid, "经核实不属于窗口服务问题", now=start)
    with db():
        r = _row("CD-SW-001", local(2026, 4, 30))
        assert (r.bad_reviews, r.bad_assessed, r.bad_unticketed, r.bad_cancelled) == (2, 0, 1, 1)
        assert r.bad_rectified_rate is None and r.bad_callback_rate is None
        c = _tickets(r)
        assert c.value == 100.0 and "本期无督办事项，按满分计" in c.note
        assert "1 条差评未督办" in c.note and "1 条差评督办已撤销" in c.note


def test_a_window_without_anything_to_handle_gets_full_marks(db, district):
    with db():
        bad_review("CD-SW-002", local(2026, 2, 2), rating=5)
    with db():
        result = assessment.assess(Q1, as_of=local(2026, 4, 30))
        r = next(r for r in result.rows if r.code == "CD-SW-002")
        c = _tickets(r)
        assert (c.value, c.note) == (100.0, "本期无督办事项，按满分计")
        assert "10×100.0（督办办理）" in r.formula and "督办办理无数据" not in r.formula
        # Full marks for nothing to handle make no composite on their own: a window with no
        # data at all stays unscored and unranked.
        empty = next(r for r in result.rows if r.code == "CD-RMYY-002")
        assert _tickets(empty).value == 100.0
        assert empty.composite is None and empty.rank_district is None
        assert any("按满分计" in n for n in result.notes)


def test_the_agency_reports_ticket_figures_count_the_judged_bad_reviews(db, district):
    _handled_and_fresh(db)
    with db():
        bad_review("CD-SW-002", local(2026, 2, 2))  # never ticketed
    with db():
        t = agency_report.generate(Q1)["tickets"]
        # Judged now (long after every deadline): both of CD-SW-001, one rectified and called
        # back; CD-SW-002's 差评 was never ticketed.
        assert (t["bad_reviews"], t["bad_assessed"], t["rectified"], t["called_back"]) == (3, 2, 1, 1)
        assert (t["rectified_rate"], t["callback_rate"]) == (50.0, 50.0)
        sections = agency_report.default_sections(agency_report.generate(Q1))
        assert "计分差评 3 条，其中督办已办结或整改期限已过的 2 条计入考核" in sections["analysis"]


def test_the_window_page_says_which_bad_reviews_were_left_out(app, client, auth, db, district):
    start = local(2026, 2, 2)
    with db():
        bad_review("CD-SW-001", start)  # never ticketed
    auth.login("office")
    page = client.get("/assessment/windows/CD-SW-001?period=2026Q1").get_data(as_text=True)
    assert "本期无督办事项，按满分计；另有 1 条差评未督办，不计" in page
    assert "计入考核 0 条" in page and "未督办 1 条" in page
    # The standard's page explains the component, to the office (its form) and to readers.
    assert "本期无督办事项的窗口按满分计" in client.get(
        "/assessment/standard?year=2026").get_data(as_text=True)
    assert "本期无督办事项的窗口按满分计" in signed_in(app, "agency").get(
        "/assessment/standard?year=2026").get_data(as_text=True)
