"""Transferring a ticket (转办) that went to the wrong window: it keeps its number and history,
its round closes as transferred (late and a push for neither window), a fresh round runs at the
new window from the transfer, the new unit is alerted and sees it, the old one no longer does."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from analytics import assessment
from analytics.assessment import Period
from feedback_api.db import Session
from feedback_api.models import StaffAlert, Ticket, Unit
from feedback_api.services import (
    alerts,
    ticket_clocks,
    ticket_loop,
    ticket_open,
    ticket_transfer,
    tickets,
    users,
)
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from feedback_api.services.workdays import Calendar
from tests.analytics.test_assessment_tickets import push

from .test_ticket_links import audit_actions, bad, local


def _unit_user(name: str, unit: str) -> None:
    users.create_user(None, name, role="unit", password=f"{name}-password", scopes=[unit])


def test_a_transfer_moves_the_ticket_and_its_clock_to_the_new_window(db, district):
    opened = local(2026, 3, 2)
    moved = local(2026, 3, 30)  # round 1 (due in March) is long past its deadline unanswered
    with db():
        _unit_user("rmyy", "CD-RMYY")
        agency = users.get_user("agency")
        ticket = ticket_open.open_from_feedback(agency, bad(at=opened), now=opened)
        tid, number = ticket.id, ticket.number
        alerts.queue_new(now=opened)  # the first unit was alerted to the new ticket
        ticket_clocks.mark_overdue(now=moved)
        assert Session.get(Ticket, tid).overdue
    with db():
        agency = users.get_user("agency")
        new = ticket_transfer.transfer(agency, tid, " CD-RMYY-001 ", "挂号收费问题，属医院窗口",
                                       round_no=1, now=moved)
        ticket = Session.get(Ticket, tid)
        due = Calendar().add(tickets.local_date(moved), 15)
        assert (ticket.number, ticket.window.code, ticket.state, ticket.fix_due, ticket.overdue) == (
            number, "CD-RMYY-001", "open", due, False)
        first, second = ticket.rounds
        assert (first.verdict, first.verdict_reason, first.verdict_by_id, first.overdue,
                first.window.code) == ("transferred", "挂号收费问题，属医院窗口", agency.id, False,
                                       "CD-SW-001")
        assert (new.id, second.number, second.window.code, second.due, second.verdict) == (
            second.id, 2, "CD-RMYY-001", due, None)
        assert ticket_transfer.transferred_to(ticket) == {1: second.window}
        assert len(tickets.feedback_of(tid)) == 1  # the complaint stays with its ticket
        assert audit_actions(tid)[-1] == "transfer"
        # The new unit is alerted as to a new ticket; the first alert stays the old unit's.
        rmyy = Session.scalars(sa.select(Unit).where(Unit.code == "CD-RMYY")).one()
        sent = Session.scalars(sa.select(StaffAlert).where(StaffAlert.kind == "new_ticket")
                               .order_by(StaffAlert.id)).all()
        assert [(a.dedup_key, a.unit_id == rmyy.id) for a in sent] == [
            (f"ticket:{tid}", False), (f"ticket:{tid}:round:2", True)]
        assert "由“综合办税窗口”转办" in sent[1].body and number in sent[1].body
        # Scope follows the window: the old unit loses it, the new unit and its authority see it.
        with pytest.raises(NotFound):
            tickets.get_ticket(users.get_user("unit"), tid)
        assert tickets.get_ticket(users.get_user("rmyy"), tid).id == tid
        assert [t.id for t in tickets.inbox(users.get_user("authority"))[0]] == [tid]
        assert tickets.inbox(users.get_user("unit"))[0] == []
        # The job never marks the transferred round late; the new one is not due yet.
        assert ticket_clocks.mark_overdue(now=moved + timedelta(days=1)).rounds == 0
        # The new unit answers in the new round, as any round.
        ticket_loop.respond(users.get_user("rmyy"), tid, "已整改", round_no=2, now=moved)
        assert Session.get(Ticket, tid).state == "responded"


def test_a_transfer_first_alert_goes_to_the_new_unit_only(db, district):
    now = local(2026, 3, 2)
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), bad(at=now), now=now).id
        ticket_transfer.transfer(users.get_user("office"), tid, "CD-RMYY-002", "错派", now=now)
        assert alerts.queue_new(now=now) == 1  # the 差评's own alert; the ticket's is queued
        keys = Session.scalars(sa.select(StaffAlert.dedup_key)
                               .where(StaffAlert.kind == "new_ticket")).all()
        assert keys == [f"ticket:{tid}"]


def test_refused_transfers(db, district):
    now = local(2026, 3, 2)
    with db():
        agency, unit = users.get_user("agency"), users.get_user("unit")
        tid = ticket_open.open_from_feedback(agency, bad(at=now), now=now).id
        with pytest.raises(PermissionDenied):
            ticket_transfer.transfer(unit, tid, "CD-SW-002", "不是我们的", now=now)
        with pytest.raises(ValidationError, match="转办理由"):
            ticket_transfer.transfer(agency, tid, "CD-SW-002", "  ", now=now)
        with pytest.raises(ValidationError, match="窗口"):
            ticket_transfer.transfer(agency, tid, "", "错派", now=now)
        with pytest.raises(NotFound, match="NOPE"):
            ticket_transfer.transfer(agency, tid, "NOPE", "错派", now=now)
        with pytest.raises(Conflict, match="已在窗口"):
            ticket_transfer.transfer(agency, tid, "CD-SW-001", "错派", now=now)
        ticket_loop.respond(unit, tid, "已整改", now=now)
        ticket_loop.send_back(agency, tid, "未到位", now=now)
        with pytest.raises(Conflict, match="第 2 轮"):  # the page showed round 1
            ticket_transfer.transfer(agency, tid, "CD-SW-002", "错派", round_no=1, now=now)
        ticket_loop.respond(unit, tid, "已整改", now=now)
        ticket_loop.verify(agency, tid, now=now)
        with pytest.raises(Conflict, match="已办结"):
            ticket_transfer.transfer(agency, tid, "CD-SW-002", "错派", now=now)
        assert Session.get(Ticket, tid).window.code == "CD-SW-001"
        assert "transfer" not in audit_actions(tid)


def test_a_transferred_round_is_neither_late_nor_a_push_for_either_window(db, district):
    start = local(2026, 3, 2)
    with db():
        agency, unit = users.get_user("agency"), users.get_user("unit")
        tid = ticket_open.open_from_feedback(agency, bad(at=start), now=start).id
        when = push(tid, 2, start)  # two pushes at the first window
        # The unit answers round 3 "not ours"; the agency transfers it.
        ticket_loop.respond(unit, tid, "该问题属于发票窗口", now=when + timedelta(days=1))
        when += timedelta(days=2)
        ticket_transfer.transfer(agency, tid, "CD-SW-002", "属发票领用窗口", now=when)
        # The new window leaves round 4 unanswered past its deadline.
        late = when + timedelta(days=40)
        ticket_clocks.mark_overdue(now=late)
        assert ticket_clocks.repeated_pushes(as_of=late) == {}
        rows = {r.code: r for r in assessment.assess(Period("year", 2026, 0)).rows}
        # Rounds 1-2 on time at the first window; round 3 (transferred) for neither; round 4
        # late at the second.
        assert (rows["CD-SW-001"].ticket_rounds, rows["CD-SW-001"].ticket_on_time_rate) == (2, 1.0)
        assert (rows["CD-SW-002"].ticket_rounds, rows["CD-SW-002"].ticket_on_time_rate) == (1, 0.0)
        assert Session.get(Ticket, tid).overdue  # late again, now at the new window
        # Three failed pushes there make three in a row, all the new window's.
        for _ in range(3):
            ticket_loop.respond(unit, tid, "再次反馈", now=late)
            ticket_loop.send_back(agency, tid, "仍未整改到位", now=late)
        found = ticket_clocks.repeated_pushes(as_of=late + timedelta(days=1))
        window_ids = {p.window_id for pushes in found.values() for p in pushes}
        assert [p.rounds for pushes in found.values() for p in pushes] == [[4, 5, 6]]
        assert window_ids == {Session.get(Ticket, tid).window_id}


def test_a_transferred_bad_review_is_judged_by_the_new_windows_first_deadline(db, district):
    start = local(2026, 3, 2)
    with db():
        agency = users.get_user("agency")
        tid = ticket_open.open_from_feedback(agency, bad(at=start), now=start).id
        # Transferred after round 1's deadline; the new window's round is within its own.
        moved = local(2026, 3, 30)
        ticket_transfer.transfer(agency, tid, "CD-SW-002", "属发票领用窗口", now=moved)
        row = next(r for r in assessment.assess(Period("year", 2026, 0), as_of=moved).rows
                   if r.code == "CD-SW-001")
        assert (row.bad_reviews, row.bad_not_due, row.bad_assessed) == (1, 1, 0)
        # Past the new round's deadline it is judged, not rectified.
        row = next(r for r in assessment.assess(Period("year", 2026, 0),
                                                as_of=moved + timedelta(days=40)).rows
                   if r.code == "CD-SW-001")
        assert (row.bad_not_due, row.bad_assessed, row.bad_rectified_rate) == (0, 1, 0.0)
