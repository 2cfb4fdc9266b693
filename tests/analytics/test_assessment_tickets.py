"""The ticket-based parts of the assessment: the ticket-handling component, delisting rule 2 at
its edges, the upheld-appeal exclusion, and a ticket opened from a failed inspection indicator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from analytics import assessment, delisting
from analytics.assessment import Period
from feedback_api.db import Session
from feedback_api.models import DelistingProposal, Ticket, Window
from feedback_api.services import (
    appeals,
    inspection_tickets,
    inspections,
    ticket_clocks,
    ticket_loop,
    ticket_open,
    users,
)
from feedback_api.services.errors import Conflict, PermissionDenied
from feedback_api.services.feedback import record_feedback
from feedback_api.services.standards import DEFAULT_INDICATORS
from tests.assessment_helpers import full_scores
from tests.conftest import AuthActions
from wechat_bot.contacts import get_or_create_citizen

SH = ZoneInfo("Asia/Shanghai")
_openids = iter(f"oAssessTk{i:015d}" for i in range(10_000))


def local(y, m, d, h=10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SH).astimezone(UTC)


def bad_review(code: str, at: datetime, rating: int = 1) -> int:
    window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
    return record_feedback(window, citizen=get_or_create_citizen(next(_openids)), channel="wechat",
                           rating=rating, text=None, received_at=at).feedback.id


def push(ticket_id: int, times: int, start: datetime, *, step: int = 3) -> datetime:
    """The unit responds and the agency sends back, ``times`` times; returns the last moment."""
    agency, unit = users.get_user("agency"), users.get_user("unit")
    when = start
    for n in range(times):
        when += timedelta(days=step)
        ticket_loop.respond(unit, ticket_id, f"第 {n + 1} 次反馈", now=when)
        ticket_loop.send_back(agency, ticket_id, "仍未整改到位", now=when)
    return when


def signed_in(app, name: str):
    client = app.test_client()
    AuthActions(client).login(name)
    return client


def _row(period: Period, code: str) -> assessment.WindowAssessment:
    return next(r for r in assessment.assess(period).rows if r.code == code)


def test_the_ticket_component_on_time_rectified_and_called_back(db, district):
    start = local(2026, 3, 2)
    with db():
        agency, unit = users.get_user("agency"), users.get_user("unit")
        fixed = bad_review("CD-SW-001", start)
        bad_review("CD-SW-001", start, rating=2)  # a 差评 nobody handled
        bad_review("CD-SW-001", start, rating=4)  # not a 差评
        tid = ticket_open.open_from_feedback(agency, fixed, now=start).id
        ticket_loop.respond(unit, tid, "已整改，已向群众致歉", now=start + timedelta(days=2))
        ticket_loop.verify(agency, tid, now=start + timedelta(days=3))
        ticket_loop.record_callback(agency, tid, called_at=start + timedelta(hours=5),
                                    outcome="satisfied", now=start + timedelta(hours=6))
    with db():
        r = _row(Period("year", 2026, 0), "CD-SW-001")
        # The 差评 nobody ticketed is not counted: the note says so.
        assert (r.bad_reviews, r.bad_assessed, r.bad_unticketed) == (2, 1, 1)
        assert (r.bad_rectified_rate, r.bad_callback_rate) == (1.0, 1.0)
        assert (r.ticket_rounds, r.ticket_on_time_rate) == (1, 1.0)
        component = next(c for c in r.components if c.key == "tickets")
        assert component.value == pytest.approx(100)
        assert "按时办理率 100%" in component.note and "差评整改率 100%" in component.note
        assert "另有 1 条差评未督办，不计" in component.note
        assert "督办办理" in r.formula
        # A window without tickets or 差评 has nothing to handle: full marks.
        other = _row(Period("year", 2026, 0), "CD-SW-002")
        assert next(c for c in other.components if c.key == "tickets").value == 100.0


def test_a_late_round_lowers_the_on_time_rate(db, district):
    start = local(2026, 3, 2)
    with db():
        fid = bad_review("CD-SW-001", start)
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid, now=start).id
        ticket_clocks.mark_overdue(now=start + timedelta(days=40))
        ticket_loop.respond(users.get_user("unit"), tid, "迟到的反馈", now=start + timedelta(days=41))
    with db():
        r = _row(Period("year", 2026, 0), "CD-SW-001")
        assert (r.ticket_rounds, r.ticket_on_time_rate) == (1, 0.0)


def test_an_upheld_appeal_takes_the_rating_out_of_every_figure(db, district):
    # Two recent ratings of one quarter, the one assessed: in the first hours of a quarter
    # (Beijing's; from 16:00 UTC on the eve) "an hour ago" still belongs to the one before.
    now = datetime.now(UTC)
    period = assessment.current_quarter((now - timedelta(hours=2)).astimezone(SH).date())
    last = min(now, period.utc_bounds()[1]) - timedelta(minutes=1)
    with db():
        fid = bad_review("CD-SW-001", last - timedelta(hours=1))
        bad_review("CD-SW-001", last, rating=5)
    with db():
        before = _row(period, "CD-SW-001")
        assert (before.ratings, before.bad_reviews, before.distribution[1]) == (2, 1, 1)
        appeal = appeals.file_appeal(users.get_user("unit"), fid, kind="malicious",
                                     reason="同一人当日连续恶意差评，有监控为证")
        appeals.decide_appeal(users.get_user("agency"), appeal.id, upheld=True, reason="核实属实")
    with db():
        after = _row(period, "CD-SW-001")
        assert (after.ratings, after.bad_reviews, after.distribution[1]) == (1, 0, 0)
        assert after.bad_rate == 0 and after.good_rate == 1


def _rule2(s):
    return s.scalars(sa.select(DelistingProposal).where(DelistingProposal.rule == 2)).all()


def test_rule2_exactly_three_pushes_in_a_row(db, titled_district):
    start = local(2026, 3, 2)
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"),
                                             bad_review("CD-SW-001", start), now=start).id
        push(tid, 2, start)
        ticket_loop.respond(users.get_user("unit"), tid, "第三次反馈，待核实", now=start + timedelta(days=9))
        assert delisting.evaluate(2026) == []  # two pushes and the third answered, not judged
        (warning,) = [w for w in delisting.early_warnings(2026) if w.rule == 2]
        assert "连续 2 轮" in warning.summary
        ticket_loop.send_back(users.get_user("agency"), tid, "仍未整改", now=start + timedelta(days=10))
        (p,) = delisting.evaluate(2026)
    with db() as s:
        (p,) = _rule2(s)
        assert (p.window.code, p.year, p.state) == ("CD-SW-001", 2026, "open")
        number = s.get(Ticket, tid).number
        assert [(i["ticket"], i["round"], i["outcome"]) for i in p.evidence["items"]] == [
            (number, 1, "退回重办"), (number, 2, "退回重办"), (number, 3, "退回重办")]
        assert f"督办单 {number}" in p.evidence["summary"] and "连续 3 轮" in p.evidence["summary"]
        assert delisting.evaluate(2026) == []  # idempotent
        assert not [w for w in delisting.early_warnings(2026) if w.rule == 2]


def test_rule2_completed_in_the_third_round_is_no_rule(db, district):
    start = local(2026, 5, 4)
    with db():
        agency = users.get_user("agency")
        tid = ticket_open.open_from_feedback(agency, bad_review("CD-SW-001", start), now=start).id
        when = push(tid, 2, start)
        ticket_loop.respond(users.get_user("unit"), tid, "已整改", now=when + timedelta(days=1))
        ticket_loop.verify(agency, tid, now=when + timedelta(days=2))
        assert delisting.evaluate(2026) == []
        assert not [w for w in delisting.early_warnings(2026) if w.rule == 2]  # closed


def test_rule2_an_upheld_appeal_against_the_rating_ends_the_streak(db, titled_district):
    """Three rounds pushed over an appealed 差评: the appeal upheld cancels the ticket, so the
    rule is not met (and no early warning stays); the same streak without the appeal is."""
    start = local(2026, 6, 1)
    with db() as s:
        agency, unit = users.get_user("agency"), users.get_user("unit")
        fid = bad_review("CD-SW-001", start)
        tid = ticket_open.open_from_feedback(agency, fid, now=start).id
        when = push(tid, 2, start)
        appeal = appeals.file_appeal(unit, fid, kind="malicious", reason="恶意差评，有监控为证",
                                     now=when)
        appeals.decide_appeal(agency, appeal.id, upheld=True, reason="核实属实",
                              now=when + timedelta(days=1))
        assert s.get(Ticket, tid).state == "cancelled"
        assert delisting.evaluate(2026) == [] and _rule2(s) == []
        assert not [w for w in delisting.early_warnings(2026) if w.rule == 2]
        other = ticket_open.open_from_feedback(agency, bad_review("CD-SW-002", start), now=start).id
        push(other, 3, start)
        (p,) = delisting.evaluate(2026)
        assert (p.rule, p.window.code) == (2, "CD-SW-002")


def test_rule2_does_not_reach_across_a_year_boundary(db, district):
    start = local(2025, 12, 15)
    with db() as s:
        tid = ticket_open.open_from_feedback(users.get_user("agency"),
                                             bad_review("CD-SW-001", start), now=start).id
        push(tid, 1, start, step=5)  # round 2 opens 2025-12-20
        push(tid, 1, local(2026, 1, 2))  # round 3 opens 2026-01-05
        push(tid, 1, local(2026, 1, 5))  # round 4 opens 2026-01-08: three failed in a row
        ticket_loop.respond(users.get_user("unit"), tid, "已整改", now=local(2026, 1, 9))
        ticket_loop.verify(users.get_user("agency"), tid, now=local(2026, 1, 10))
        # The rolling year of the tickets service sees the streak; the calendar years do not.
        assert ticket_clocks.repeated_pushes(as_of=local(2026, 1, 10))
        assert delisting.evaluate(2025) == [] and delisting.evaluate(2026) == []
        assert _rule2(s) == []


def test_a_failed_indicator_opens_one_ticket(db, district, app):
    with db():
        _c, name, _weight, pass_line = DEFAULT_INDICATORS[0]
        insp, _ = inspections.save_inspection(None, {
            "window": "CD-SW-001", "year": 2026, "quarter": 3, "inspected_on": "2026-08-03",
            "inspectors": "张三", "scores": full_scores(**{name: pass_line - 1})})
        (failed,) = [sc for sc in insp.scores if not sc.passed]
        assert failed.indicator.name == name
        with pytest.raises(Conflict, match="合格"):
            passed = next(sc for sc in insp.scores if sc.passed)
            inspection_tickets.open_ticket_for_finding(None, insp, passed.indicator_id)
        insp_id, indicator_id = insp.id, failed.indicator_id
        with pytest.raises(PermissionDenied):
            inspection_tickets.open_ticket_for_finding(users.get_user("unit"), insp, indicator_id)
    unit_client = signed_in(app, "unit")
    page = unit_client.get(f"/assessment/inspections/{insp_id}").get_data(as_text=True)
    assert "开督办单" not in page
    client = signed_in(app, "agency")
    page = client.get(f"/assessment/inspections/{insp_id}").get_data(as_text=True)
    assert "开督办单" in page
    token = AuthActions(client).csrf_token(f"/assessment/inspections/{insp_id}")
    url = f"/assessment/inspections/{insp_id}/indicators/{indicator_id}/ticket"
    resp = client.post(url, data={"csrf_token": token})
    assert resp.status_code == 302 and "/tickets/" in resp.headers["Location"]
    with db() as s:
        t = s.scalars(sa.select(Ticket)).one()
        number = t.number
        assert (t.source, t.window.code, t.callback_due) == ("inspection", "CD-SW-001", None)
        assert failed.indicator.name in t.problem and "2026年第3季度综合检查" in t.problem
        insp = inspections.get_inspection(users.get_user("office"), insp_id)
        assert inspection_tickets.finding_tickets(insp) == {indicator_id: t}
        with pytest.raises(Conflict, match="已开督办单"):
            inspection_tickets.open_ticket_for_finding(None, insp, indicator_id)
    page = client.get(f"/assessment/inspections/{insp_id}").get_data(as_text=True)
    assert number in page
    unit_token = AuthActions(unit_client).csrf_token("/")
    assert unit_client.post(url, data={"csrf_token": unit_token}).status_code == 403
