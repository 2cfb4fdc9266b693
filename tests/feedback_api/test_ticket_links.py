"""Grouping feedback about the same problem into one ticket, detaching, and cancellation (已撤销):
by exclusion of every source feedback (upheld appeal, invalid, merged duplicate) or by the
office; a cancelled ticket's clocks stop and it counts nowhere (assessment, delisting rule 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from analytics import assessment, delisting
from analytics.assessment import Period
from feedback_api.db import Session
from feedback_api.models import AuditLog, Feedback, FeedbackAnswer, Ticket, TicketFeedback, Window
from feedback_api.services import (
    appeals,
    desk,
    review,
    ticket_clocks,
    ticket_jobs,
    ticket_links,
    ticket_loop,
    ticket_open,
    tickets,
    users,
)
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from feedback_api.services.feedback import record_feedback
from tests.analytics.test_assessment_tickets import push
from wechat_bot.contacts import get_or_create_citizen
from wechat_bot.models import OutboundMessage

SH = ZoneInfo("Asia/Shanghai")
_openids = iter(f"oLinks{i:020d}" for i in range(10_000))


def local(y, m, d, h=10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SH).astimezone(UTC)


def bad(code: str = "CD-SW-001", *, at: datetime | None = None, openid: str | None = None,
        rating: int = 1, topic: str | None = "attitude") -> int:
    """A 差评 (reviewed onto ``topic``) from a new citizen unless ``openid`` is given."""
    window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
    item = record_feedback(window, citizen=get_or_create_citizen(openid or next(_openids)),
                           channel="wechat", rating=rating, text=None, received_at=at).feedback
    if topic:
        item.reviewed_topics = [topic]
    Session.flush()
    return item.id


def audit_actions(ticket_id: int) -> list[str]:
    return list(Session.scalars(sa.select(AuditLog.action).where(
        AuditLog.entity_type == "ticket", AuditLog.entity_id == str(ticket_id)).order_by(AuditLog.id)))


def test_auto_open_groups_the_same_problem_into_one_ticket(db, district):
    now = datetime.now(UTC)
    with db():
        first = bad(at=now - timedelta(days=3))
        assert ticket_jobs.auto_open(now=now - timedelta(days=3)) == "1 tickets opened"
        ticket = tickets.ticket_of_feedback(first)
        tid, due, callback_due = ticket.id, ticket.fix_due, ticket.callback_due
        second, third = bad(at=now), bad(at=now, rating=2)
        other_topic = bad(at=now, topic="efficiency")
        other_window = bad("CD-SW-002", at=now)
    with db():
        assert ticket_jobs.auto_open(now=now) == "2 tickets opened, 2 feedback attached to open tickets"
        assert [f.id for f in tickets.feedback_of(tid)] == [first, second, third]
        ticket = Session.get(Ticket, tid)
        # The deadlines do not move for the feedback that joined later.
        assert (ticket.fix_due, ticket.callback_due, len(ticket.rounds)) == (due, callback_due, 1)
        assert tickets.ticket_of_feedback(other_topic).id != tid
        assert tickets.ticket_of_feedback(other_window).id != tid
        # Recorded: the system attached them (no user), the audit says so, the links say when.
        links = ticket_links.links_of(ticket)
        assert [(link.feedback_id, link.attached_by_id) for link in links] == [
            (first, None), (second, None), (third, None)]
        assert audit_actions(tid) == ["open_ticket", "attach", "attach"]
        assert ticket_jobs.auto_open(now=now) == "0 tickets opened"  # idempotent


def test_every_attached_citizen_hears_back_and_each_bad_review_rates_the_fix(db, district):
    now = datetime.now(UTC)
    with db():
        ids = [bad(at=now, rating=r) for r in (1, 2, 3)]
        # The 3-star one is attached by a reviewer (it is not a 差评, so it asks no re-rating).
        ticket_jobs.auto_open(now=now)
        tid = tickets.ticket_of_feedback(ids[0]).id
        assert tickets.ticket_of_feedback(ids[1]).id == tid
        ticket_open.attach_feedback(users.get_user("agency"), tid, ids[2])
    with db():
        ticket_loop.respond(users.get_user("unit"), tid, "已整改并致歉")
        done = ticket_loop.verify(users.get_user("agency"), tid)
        assert sorted(done.answered) == sorted(ids)
        assert sorted(done.rerating_requested) == ids[:2]
        answered = Session.scalars(sa.select(FeedbackAnswer.feedback_id)
                                   .where(FeedbackAnswer.text == "已整改并致歉")).all()
        assert sorted(answered) == sorted(ids)


def test_group_days_and_closed_tickets_bound_the_grouping(app, db, district):
    now = datetime.now(UTC)
    with db():
        old = bad(at=now - timedelta(days=10))
        ticket_jobs.auto_open(now=now - timedelta(days=10))
        old_ticket = tickets.ticket_of_feedback(old).id
    app.config["WW_TICKET_GROUP_DAYS"] = 5
    try:
        with db():
            fresh = bad(at=now)
            assert ticket_jobs.auto_open(now=now) == "1 tickets opened"
            assert tickets.ticket_of_feedback(fresh).id != old_ticket
    finally:
        app.config["WW_TICKET_GROUP_DAYS"] = 0
    with db():
        newest = tickets.ticket_of_feedback(fresh).id
        for tid in (old_ticket, newest):
            ticket_loop.respond(users.get_user("unit"), tid, "已整改")
            ticket_loop.verify(users.get_user("agency"), tid)
        later = bad(at=now)
        assert ticket_jobs.auto_open(now=now) == "1 tickets opened"  # nothing running to join
        assert tickets.ticket_of_feedback(later).id not in (old_ticket, newest)


def test_a_ticket_opened_by_the_office_gains_a_callback_clock_when_a_bad_review_joins(db, district):
    now = datetime.now(UTC)
    with db():
        office = users.get_user("office")
        t = ticket_open.open_on_window(office, "CD-SW-001", topic="attitude", problem="暗访发现态度问题",
                                       source="office")
        assert t.callback_due is None
        fid = bad(at=now)
        assert ticket_jobs.auto_open(now=now) == "0 tickets opened, 1 feedback attached to open tickets"
        assert tickets.ticket_of_feedback(fid).id == t.id and t.callback_due is not None


def test_a_reviewer_detaches_a_feedback_but_not_the_last(db, district):
    with db():
        a, b = bad(), bad()
        agency = users.get_user("agency")
        tid = ticket_open.open_from_feedback(agency, a).id
        ticket_open.attach_feedback(agency, tid, b)
        with pytest.raises(PermissionDenied):
            ticket_links.detach_feedback(users.get_user("unit"), tid, b, "不是同一问题")
        with pytest.raises(ValidationError, match="解除理由"):
            ticket_links.detach_feedback(agency, tid, b, "  ")
        ticket_links.detach_feedback(agency, tid, b, "不是同一问题")
        assert [f.id for f in tickets.feedback_of(tid)] == [a]
        assert tickets.ticket_of_feedback(b) is None
        with pytest.raises(NotFound):
            ticket_links.detach_feedback(agency, tid, b, "再来一次")
        with pytest.raises(Conflict, match="唯一"):
            ticket_links.detach_feedback(agency, tid, a, "不需督办")
        assert audit_actions(tid)[-1] == "detach"


def _appeal_upheld(fid: int) -> None:
    appeal = appeals.file_appeal(users.get_user("unit"), fid, kind="malicious", reason="恶意差评")
    appeals.decide_appeal(users.get_user("agency"), appeal.id, upheld=True, reason="核实属实")


def test_excluding_feedback_detaches_then_cancels_the_ticket(db, district):
    now = datetime.now(UTC)
    with db():
        a, b = bad(at=now), bad(at=now)
        ticket_jobs.auto_open(now=now)
        tid = tickets.ticket_of_feedback(a).id
        assert tickets.ticket_of_feedback(b).id == tid
        review.review_feedback(users.get_user("agency"), b, {"valid": False})
        ticket = Session.get(Ticket, tid)
        assert ticket.state == "open" and [f.id for f in tickets.feedback_of(tid)] == [a]
    with db():
        _appeal_upheld(a)
        ticket = Session.get(Ticket, tid)
        assert ticket.state == "cancelled" and ticket.closed_at is not None
        assert "申诉成立" in ticket.cancel_reason and ticket.closed_by_id == users.get_user("agency").id
        assert tickets.feedback_of(tid) == []
        assert audit_actions(tid)[-3:] == ["detach", "detach", "cancel"]
        # Its clocks stop; it leaves the unit's inbox; nothing marks it late; it cannot move on.
        assert ticket_clocks.clocks(ticket) == []
        assert tickets.inbox(users.get_user("unit")) == ([], 0)
        report = ticket_clocks.mark_overdue(now=now + timedelta(days=60))
        assert (report.rounds, report.callbacks) == (0, 0)
        with pytest.raises(Conflict, match="已撤销"):
            ticket_loop.record_callback(users.get_user("agency"), tid, called_at=now,
                                        outcome="satisfied", now=now)
        with pytest.raises(Conflict):
            ticket_loop.respond(users.get_user("unit"), tid, "已整改")
        # The citizen is told nothing (no answer, no re-rating invitation, no word of an appeal).
        assert Session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0


def test_a_ticket_from_feedback_merged_as_a_duplicate_is_cancelled(db, district):
    now = datetime.now(UTC)
    with db():
        openid = next(_openids)
        first = bad(at=now - timedelta(minutes=30), openid=openid)
        again = bad(at=now, openid=openid)
        agency = users.get_user("agency")
        tid = ticket_open.open_from_feedback(agency, first).id
        desk.merge_duplicate(agency, first, again, "同一人重复提交")
        ticket = Session.get(Ticket, tid)
        assert ticket.state == "cancelled" and "合并为重复评价" in ticket.cancel_reason
        # The kept original, not on any ticket, can still open one.
        assert tickets.ticket_of_feedback(again) is None


def test_an_inspection_ticket_only_loses_the_excluded_feedback(db, district):
    with db():
        office = users.get_user("office")
        t = ticket_open.open_on_window(office, "CD-SW-001", topic="attitude", problem="检查发现",
                                       source="inspection", source_ref="2026Q4-01")
        fid = bad()
        ticket_open.attach_feedback(office, t.id, fid)
        review.review_feedback(users.get_user("agency"), fid, {"valid": False})
        assert t.state == "open" and tickets.feedback_of(t.id) == []


def test_the_office_cancels_with_a_reason(db, district):
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), bad()).id
        with pytest.raises(PermissionDenied):
            ticket_links.cancel_ticket(users.get_user("agency"), tid, "重复督办")
        with pytest.raises(PermissionDenied):
            ticket_links.cancel_ticket(users.get_user("unit"), tid, "不想整改")
        office = users.get_user("office")
        with pytest.raises(ValidationError, match="撤销理由"):
            ticket_links.cancel_ticket(office, tid, " ")
        ticket = ticket_links.cancel_ticket(office, tid, "与督办单重复，合并处理")
        assert (ticket.state, ticket.cancel_reason, ticket.closed_by_id) == (
            "cancelled", "与督办单重复，合并处理", office.id)
        with pytest.raises(Conflict, match="已撤销"):
            ticket_links.cancel_ticket(office, tid, "再撤销")
        assert audit_actions(tid)[-1] == "cancel"
        # Its feedback stays on record with it.
        assert len(tickets.feedback_of(tid)) == 1
        items, total = tickets.list_tickets(office, state="active")
        assert tid not in [t.id for t in items]
        assert tid in [t.id for t in tickets.list_tickets(office, state="cancelled")[0]]


def test_cancelled_tickets_count_neither_in_the_assessment_nor_in_rule_2(db, district):
    start = local(2026, 3, 2)
    with db():
        agency = users.get_user("agency")
        tid = ticket_open.open_from_feedback(agency, bad(at=start), now=start).id
        when = push(tid, 3, start)
        late = ticket_open.open_from_feedback(agency, bad("CD-SW-001", at=start), now=start).id
        ticket_clocks.mark_overdue(now=start + timedelta(days=40))
        assert ticket_clocks.repeated_pushes(as_of=when + timedelta(days=1))
        year = Period("year", 2026, 0)
        row = next(r for r in assessment.assess(year).rows if r.code == "CD-SW-001")
        # Rounds 1-3 answered on time, round 4 and the other ticket's round 1 marked late.
        assert row.ticket_rounds == 5 and row.open_tickets == 2
        assert row.ticket_on_time_rate == pytest.approx(3 / 5)
    with db():
        office = users.get_user("office")
        ticket_links.cancel_ticket(office, tid, "问题不属实")
        ticket_links.cancel_ticket(office, late, "重复督办")
        assert ticket_clocks.repeated_pushes(as_of=when + timedelta(days=1)) == {}
        assert delisting.evaluate(2026) == []
        assert not [w for w in delisting.early_warnings(2026) if w.rule == 2]
        row = next(r for r in assessment.assess(Period("year", 2026, 0)).rows
                   if r.code == "CD-SW-001")
        assert (row.ticket_rounds, row.ticket_on_time_rate, row.open_tickets) == (0, None, 0)
        assert Session.scalar(sa.select(sa.func.count()).select_from(TicketFeedback)) == 2
        assert Session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 2
