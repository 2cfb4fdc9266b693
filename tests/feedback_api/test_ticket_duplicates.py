"""Who joins which ticket: a second ticket opened by hand on a running problem needs a
confirmation; a new complaint never joins a round the unit has already answered; a cancelled
ticket's complaint may be ticketed again (it moves, the cancelled ticket's record says where)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import AuditLog, Feedback, Ticket
from feedback_api.services import (
    ticket_jobs,
    ticket_links,
    ticket_loop,
    ticket_open,
    tickets,
    users,
)
from feedback_api.services.errors import Conflict

from .test_ticket_links import audit_actions, bad


def test_a_second_ticket_by_hand_on_a_running_problem_needs_a_confirmation(db, district):
    with db():
        office, agency = users.get_user("office"), users.get_user("agency")
        first = ticket_open.open_on_window(office, "CD-SW-001", topic="attitude", problem="暗访发现",
                                           source="office", check_duplicates=True)
        with pytest.raises(ticket_open.DuplicateTicket) as refused:
            ticket_open.open_on_window(office, "CD-SW-001", topic="attitude", problem="又一次",
                                       source="office", check_duplicates=True)
        assert refused.value.status == 409 and refused.value.code == "duplicate"
        assert [t.id for t in refused.value.tickets] == [first.id]
        assert refused.value.details == {"existing": [
            {"id": first.id, "number": first.number, "state": "open"}]}
        assert first.number in refused.value.message
        # From a feedback as well (the reviewer could attach it instead).
        with pytest.raises(ticket_open.DuplicateTicket):
            ticket_open.open_from_feedback(agency, bad(topic="attitude"), topic="attitude",
                                           check_duplicates=True)
        # Another topic, another window, or a confirmed one: opened.
        ticket_open.open_on_window(office, "CD-SW-001", topic="efficiency", problem="x",
                                   source="office", check_duplicates=True)
        ticket_open.open_on_window(office, "CD-SW-002", topic="attitude", problem="x",
                                   source="office", check_duplicates=True)
        second = ticket_open.open_on_window(office, "CD-SW-001", topic="attitude", problem="另案",
                                            source="office")
        assert second.id != first.id
        # A closed or cancelled ticket is no duplicate.
        ticket_links.cancel_ticket(office, first.id, "重复")
        ticket_links.cancel_ticket(office, second.id, "重复")
        ticket_open.open_on_window(office, "CD-SW-001", topic="attitude", problem="x",
                                   source="office", check_duplicates=True)


def test_the_automatic_job_still_groups_without_asking(db, district):
    now = datetime.now(UTC)
    with db():
        bad(at=now), bad(at=now)
        assert ticket_jobs.auto_open(now=now) == (
            "1 tickets opened, 1 feedback attached to open tickets")


def test_a_new_complaint_never_joins_a_round_the_unit_has_answered(db, district):
    now = datetime.now(UTC)
    with db():
        agency, unit = users.get_user("agency"), users.get_user("unit")
        first = bad(at=now)
        ticket_jobs.auto_open(now=now)
        tid = tickets.ticket_of_feedback(first).id
        ticket_loop.respond(unit, tid, "已对窗口人员批评教育", now=now)
        # By hand: refused, with what to do instead.
        late = bad(at=now)
        with pytest.raises(Conflict, match="待核验") as refused:
            ticket_open.attach_feedback(agency, tid, late)
        assert "退回重办" in refused.value.message
        assert ticket_links.running_tickets(agency, Session.get(Feedback, late)) == []
        # Automatically: it opens its own ticket, which the unit answers for it.
        assert ticket_jobs.auto_open(now=now) == "1 tickets opened"
        own = tickets.ticket_of_feedback(late)
        assert own.id != tid and own.state == "open"
        # The agency's check answers only the citizen the answer was written for.
        done = ticket_loop.verify(agency, tid, now=now)
        assert done.answered == [first]
        # Sent back, a ticket waits for the unit again and takes newcomers into the next round.
        ticket_loop.respond(unit, own.id, "已整改", now=now)
        ticket_loop.send_back(agency, own.id, "未到位", now=now)
        again = bad(at=now)
        ticket_open.attach_feedback(agency, own.id, again)
        assert [f.id for f in tickets.feedback_of(own.id)] == [late, again]


def test_a_cancelled_tickets_complaint_may_be_ticketed_again(db, district):
    with db():
        office, agency = users.get_user("office"), users.get_user("agency")
        fid = bad()
        old = ticket_open.open_from_feedback(agency, fid)
        ticket_links.cancel_ticket(office, old.id, "误派，待重新核实")
        new = ticket_open.open_from_feedback(agency, fid, topic="efficiency", check_duplicates=True)
        assert tickets.ticket_of_feedback(fid).id == new.id
        assert tickets.feedback_of(old.id) == [] and Session.get(Ticket, old.id).state == "cancelled"
        assert audit_actions(old.id)[-1] == "detach"
        note = Session.scalars(sa.select(AuditLog.after).where(
            AuditLog.entity_id == str(old.id), AuditLog.action == "detach")).one()
        assert note["reason"] == f"改由督办单 {new.number} 督办"
        # A running ticket's complaint still cannot.
        with pytest.raises(Conflict, match="已关联其他督办单"):
            ticket_open.open_from_feedback(agency, fid)
        # Attaching one to a running ticket works the same way.
        other = bad()
        gone = ticket_open.open_from_feedback(agency, other, topic="environment")
        ticket_links.cancel_ticket(office, gone.id, "撤销")
        ticket_open.attach_feedback(agency, new.id, other)
        assert [f.id for f in tickets.feedback_of(new.id)] == [fid, other]
