"""The loop of a supervision ticket (督办单): the unit's response with evidence, the agency's
verdict (verify closes and answers the citizens; send back opens the next round, 督办轮次), and
call-backs (回访). Services flush; the caller commits. Every change goes to the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from feedback_api.db import Session, utcnow
from feedback_api.models import CallBack, Ticket, TicketRound, User
from feedback_api.models.reference import CALLBACK_OUTCOMES, TICKET_STATES
from feedback_api.services import alerts, answers, audit, evidence_files, scope
from feedback_api.services.errors import Conflict, PermissionDenied, ValidationError
from feedback_api.services.tickets import (
    MAX_REASON,
    MAX_RESPONSE,
    RESPONDER_ROLES,
    check_round,
    check_supervisor,
    clean_text,
    current_round,
    feedback_of,
    get_ticket,
    local_date,
    settings,
    ticket_view,
)
from feedback_api.services.workdays import Calendar


def respond(actor: User, ticket_id: int, text: object,
            files: list[evidence_files.Upload] | None = None, *, round_no: int | None = None,
            now: datetime | None = None) -> TicketRound:
    """The unit says what it did (with evidence files); the agency verifies next. ``round_no``:
    the round the form was typed on (``check_round``)."""
    ticket = get_ticket(actor, ticket_id, lock=True)
    if actor.role not in RESPONDER_ROLES:
        raise PermissionDenied("只有窗口单位（或区联席办代为）可以反馈整改情况")
    if ticket.state != "open":
        raise Conflict("该督办单当前不需要反馈（已反馈待核验，或已办结）")
    check_round(ticket, round_no)
    clean = clean_text(text, "整改情况", MAX_RESPONSE)
    checked = evidence_files.check(files or [])
    now = now or utcnow()
    rnd = current_round(ticket)
    before = ticket_view(ticket)
    rnd.response_text, rnd.responded_by_id, rnd.responded_at = clean, actor.id, now
    if local_date(now) > rnd.due:
        rnd.overdue = True
        ticket.overdue = True
    ticket.state = "responded"
    Session.flush()
    stored = evidence_files.store(checked, actor, round_=rnd)
    audit.record_change(actor, "respond", "ticket", ticket.id, before, {
        **ticket_view(ticket), "round": rnd.number, "text": clean,
        "files": [f"{f.original_name} sha256:{f.sha256}" for f in stored]})
    return rnd


@dataclass(frozen=True)
class Verified:
    ticket: Ticket
    #: Feedback that got the unit's answer (kept for staff, whether or not it reaches anyone).
    answered: list[int]
    #: Feedback whose citizen was asked to rate the fix (整改评价).
    rerating_requested: list[int]
    #: Feedback whose citizen got the answer queued (WeChat); the rest no channel reaches.
    messaged: list[int]


def verify(actor: User, ticket_id: int, reason: object = "", *, round_no: int | None = None,
           now: datetime | None = None) -> Verified:
    """The agency checks the fix and closes the ticket. The unit's response then goes to every
    linked feedback's citizen as the unit's answer, and the citizens who gave a 差评 are asked
    to rate the fix (through the answers service, within the outbox's rules)."""
    ticket = get_ticket(actor, ticket_id, lock=True)
    check_supervisor(actor, "核验督办单")
    if ticket.state != "responded":
        raise Conflict("单位尚未反馈整改情况，不能核验" if ticket.state == "open"
                       else f"督办单{TICKET_STATES[ticket.state]}")
    check_round(ticket, round_no)
    clean = clean_text(reason, "核验意见", MAX_REASON, required=False)
    now = now or utcnow()
    rnd = current_round(ticket)
    before = ticket_view(ticket)
    rnd.verdict, rnd.verdict_reason, rnd.verdict_by_id, rnd.verdict_at = (
        "verified", clean, actor.id, now)
    ticket.state, ticket.closed_at, ticket.closed_by_id = "closed", now, actor.id
    Session.flush()
    answered, rerate, messaged = [], [], []
    # The answer is the unit's: its author is who responded (the agency if that account is gone
    # or no longer answers for the window).
    responder = Session.get(User, rnd.responded_by_id) if rnd.responded_by_id else None
    for item in feedback_of(ticket.id):
        author = actor
        if (responder is not None and responder.active and answers.can_answer(responder)
                and scope.can_see_window(responder, item.window)):
            author = responder
        if answers.answer_feedback(author, item.id, rnd.response_text or "",
                                   now=now).message is not None:
            messaged.append(item.id)
        answered.append(item.id)
        # Every 差评 on the ticket, the first or one attached later, rates the fix.
        if item.rating is not None and item.rating <= 2 and answers.reachable(item):
            try:
                answers.request_rerating(actor, item.id, now=now)
            except Conflict:  # an invitation is already waiting to go out
                continue
            rerate.append(item.id)
    audit.record_change(actor, "verify", "ticket", ticket.id, before, {
        **ticket_view(ticket), "round": rnd.number, "reason": clean,
        "answered": answered, "messaged": messaged, "rerating_requested": rerate})
    return Verified(ticket, answered, rerate, messaged)


def send_back(actor: User, ticket_id: int, reason: object, *, round_no: int | None = None,
              now: datetime | None = None) -> TicketRound:
    """The agency is not satisfied: the round is sent back and the next round opens with a new
    deadline (another push, 督办轮次); the unit is alerted at once, as of a new ticket."""
    ticket = get_ticket(actor, ticket_id, lock=True)
    check_supervisor(actor, "退回督办单")
    if ticket.state != "responded":
        raise Conflict("单位尚未反馈整改情况，不能退回" if ticket.state == "open"
                       else f"督办单{TICKET_STATES[ticket.state]}")
    check_round(ticket, round_no)
    clean = clean_text(reason, "退回理由", MAX_REASON)
    now = now or utcnow()
    rnd = current_round(ticket)
    before = ticket_view(ticket)
    rnd.verdict, rnd.verdict_reason, rnd.verdict_by_id, rnd.verdict_at = (
        "sent_back", clean, actor.id, now)
    due = Calendar().add(local_date(now), settings().fix_workdays)
    nxt = TicketRound(ticket_id=ticket.id, number=rnd.number + 1, window_id=ticket.window_id,
                      opened_at=now, due=due, verdict_reason="", overdue=False)
    Session.add(nxt)
    ticket.state, ticket.fix_due = "open", due
    Session.flush()
    Session.refresh(ticket, ["rounds"])
    alerts.sent_back_alert(ticket, nxt, clean, now)
    audit.record_change(actor, "send_back", "ticket", ticket.id, before, {
        **ticket_view(ticket), "round": nxt.number, "reason": clean})
    return nxt


def record_callback(actor: User, ticket_id: int, *, called_at: datetime, outcome: str,
                    note: object = "", now: datetime | None = None) -> CallBack:
    """The agency's call-back (回访) to the citizen: when, by whom, the outcome."""
    ticket = get_ticket(actor, ticket_id, lock=True)
    check_supervisor(actor, "登记回访")
    if ticket.state == "cancelled":
        raise Conflict("督办单已撤销，无需回访")
    if ticket.callback_due is None:
        raise Conflict("该督办单不是由群众评价产生的，无需回访")
    if outcome not in CALLBACK_OUTCOMES:
        raise ValidationError("请选择回访结果", details={"outcome": "未知"})
    if called_at.tzinfo is None:
        raise ValidationError("回访时间须带时区")
    now = now or utcnow()
    if called_at > now + timedelta(minutes=5):
        raise ValidationError("回访时间不能晚于现在")
    if called_at < ticket.opened_at - timedelta(days=1):
        raise ValidationError("回访时间不能早于督办单开单时间")
    clean = clean_text(note, "回访情况", MAX_REASON, required=False)
    row = CallBack(ticket_id=ticket.id, called_at=called_at, by_id=actor.id, outcome=outcome,
                   note=clean, created_at=now)
    Session.add(row)
    before = ticket_view(ticket)
    if ticket.callback_due is not None and local_date(called_at) > ticket.callback_due:
        ticket.callback_overdue = True
    Session.flush()
    audit.record_change(actor, "callback", "ticket", ticket.id, None, {
        **({"callback_overdue": True} if ticket.callback_overdue and not before["callback_overdue"]
           else {}), "called_at": called_at, "outcome": outcome, "note": clean})
    return row
