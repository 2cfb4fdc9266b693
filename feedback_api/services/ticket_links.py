"""Which feedback a supervision ticket (督办单) answers: the automatic grouping of a new feedback
into a running ticket about the same problem, a reviewer detaching one, and cancellation (已撤销):
when every feedback a ticket was born from is excluded (an upheld appeal, marked invalid, merged
as a duplicate), or when the office decides so.

A cancelled ticket's clocks stop; it leaves the unit's inbox, the digest, the assessment's
ticket figures and the delisting rule's repeated pushes. Citizens are told nothing of it (their
excluded feedback was excluded; nobody learns who appealed). Services flush; the caller commits."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import orm

from feedback_api.db import Session, utcnow
from feedback_api.models import Feedback, Ticket, TicketFeedback, User
from feedback_api.models.reference import ACTIVE_TICKET_STATES, TICKET_STATES
from feedback_api.services import alerts, audit, ticket_open, tickets
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError

#: Only the office cancels a ticket by decision (the agency's remedy is to send it back).
CANCEL_ROLES = frozenset({"office"})

#: Why a feedback stops being a ticket's source, as the ticket's record says it.
EXCLUSIONS = {"appeal": "申诉成立", "invalid": "审核为无效评价", "duplicate": "合并为重复评价"}


def group_days() -> int:
    """WW_TICKET_GROUP_DAYS: a new feedback joins a running ticket opened at most this many days
    ago; 0 (default) joins any ticket still running."""
    return int(current_app.config["WW_TICKET_GROUP_DAYS"])


def group_ticket(item: Feedback, topic: str, *, now: datetime | None = None) -> Ticket | None:
    """The ticket of ``item``'s window on ``topic`` waiting for the unit's answer that a new
    feedback about the same problem joins (the oldest, where the problem was first raised), or
    None. One whose answer waits for the agency's check (待核验) takes no newcomer: that answer
    never addressed it (``ticket_open.ANSWERED``), so the newcomer opens its own ticket."""
    stmt = (sa.select(Ticket)
            .where(Ticket.window_id == item.window_id, Ticket.topic == topic,
                   Ticket.state == "open")
            .order_by(Ticket.opened_at, Ticket.id).limit(1))
    days = group_days()
    if days:
        stmt = stmt.where(Ticket.opened_at >= (now or utcnow()) - timedelta(days=days))
    return Session.scalars(stmt).first()


def open_or_group(feedback_id: int, *, topic: str | None = None,
                  now: datetime | None = None) -> tuple[Ticket, bool]:
    """The automatic job's step for one feedback: attach it to a ticket about the same problem
    (same window and topic: ``topic``, else the feedback's own) waiting for the unit's answer,
    else open a ticket. True when it was grouped."""
    item = Session.get(Feedback, feedback_id)
    if item is None:
        raise NotFound(f"评价 {feedback_id} 不存在")
    topic = topic or ticket_open.default_topic(item)
    target = group_ticket(item, topic, now=now)
    if target is not None:
        ticket_open.link_feedback(None, target, item, now=now)
        return target, True
    return ticket_open.open_from_feedback(None, feedback_id, topic=topic, now=now), False


def links_of(ticket: Ticket) -> list[TicketFeedback]:
    """The ticket's feedback with who attached each and when (None: the system), oldest first."""
    return list(Session.scalars(
        sa.select(TicketFeedback).join(TicketFeedback.feedback)
        .where(TicketFeedback.ticket_id == ticket.id)
        .options(orm.contains_eager(TicketFeedback.feedback), orm.joinedload(TicketFeedback.attached_by))
        .order_by(Feedback.received_at, Feedback.id)))


def running_tickets(user: User, item: Feedback, *, limit: int = 20) -> list[Ticket]:
    """The tickets of ``item``'s window that a reviewer may attach it to (waiting for the unit's
    answer), those on its topic first."""
    if user.role not in tickets.SUPERVISOR_ROLES or item.review_state == "invalid":
        return []
    topic = ticket_open.default_topic(item)
    return list(Session.scalars(
        sa.select(Ticket).where(Ticket.window_id == item.window_id, Ticket.state == "open")
        .order_by(sa.case((Ticket.topic == topic, 0), else_=1), Ticket.opened_at.desc(),
                  Ticket.id.desc()).limit(limit)))


def _link(ticket_id: int, feedback_id: int) -> TicketFeedback | None:
    return Session.get(TicketFeedback, (ticket_id, feedback_id))


def _reason(value: object, label: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationError(f"请填写{label}", details={"reason": "必填"})
    if len(text) > tickets.MAX_REASON or "\x00" in text:
        raise ValidationError(f"{label}不能超过 {tickets.MAX_REASON} 字", details={"reason": "过长"})
    return text


def detach_feedback(actor: User, ticket_id: int, feedback_id: int, reason: object) -> Ticket:
    """A reviewer takes a feedback off a running ticket (it was about another problem). The
    last feedback of a ticket born from feedback stays: cancelling is the office's decision."""
    ticket = tickets.get_ticket(actor, ticket_id, lock=True)
    if actor.role not in tickets.SUPERVISOR_ROLES:
        raise PermissionDenied("只有第三方机构和区联席办可以解除关联")
    text = _reason(reason, "解除理由")
    if ticket.state not in ACTIVE_TICKET_STATES:
        raise Conflict(f"督办单{TICKET_STATES[ticket.state]}，不能解除关联")
    link = _link(ticket.id, feedback_id)
    if link is None:
        raise NotFound("该评价未关联此督办单")
    others = Session.scalar(sa.select(sa.func.count()).select_from(TicketFeedback).where(
        TicketFeedback.ticket_id == ticket.id, TicketFeedback.feedback_id != feedback_id)) or 0
    if ticket.source == "feedback" and not others:
        raise Conflict("这是该督办单唯一的关联评价，不能解除；如该问题不需督办，请区联席办撤销督办单")
    receipt = link.feedback.receipt_no
    Session.delete(link)
    Session.flush()
    Session.expire(ticket, ["feedback"])
    audit.record_change(actor, "detach", "ticket", ticket.id, {"feedback": feedback_id},
                        {"feedback": None, "receipt_no": receipt, "reason": text})
    return ticket


def _cancel(actor: User | None, ticket: Ticket, reason: str, now: datetime) -> None:
    before = {"state": ticket.state}
    ticket.state, ticket.cancel_reason = "cancelled", reason
    ticket.closed_at, ticket.closed_by_id = now, actor.id if actor else None
    Session.flush()
    # Its unit is not to be asked for an answer any more (new-ticket, sent-back alerts).
    alerts.withdraw_ticket_alerts(
        ticket, f"督办单已于 {tickets.local_date(now)} 撤销（{reason}），本提醒撤回未发")
    audit.record_change(actor, "cancel", "ticket", ticket.id, before,
                        {"state": "cancelled", "reason": reason}, actor_label="system")


def cancel_ticket(actor: User, ticket_id: int, reason: object, *,
                  now: datetime | None = None) -> Ticket:
    """The office cancels a running ticket with a reason (its feedback stays on record)."""
    ticket = tickets.get_ticket(actor, ticket_id, lock=True)
    if actor.role not in CANCEL_ROLES:
        raise PermissionDenied("只有区联席办可以撤销督办单")
    text = _reason(reason, "撤销理由")
    if ticket.state not in ACTIVE_TICKET_STATES:
        raise Conflict(f"督办单{TICKET_STATES[ticket.state]}，不能撤销")
    _cancel(actor, ticket, text, now or utcnow())
    return ticket


def feedback_excluded(actor: User | None, item: Feedback, why: str, *,
                      now: datetime | None = None) -> Ticket | None:
    """``item`` no longer counts (``why``: a key of EXCLUSIONS). It leaves its running ticket;
    a ticket born from feedback that has none left is cancelled with the reason. A closed or
    cancelled ticket stays as it was (its record is history). Returns the ticket touched."""
    link = Session.scalars(sa.select(TicketFeedback)
                           .where(TicketFeedback.feedback_id == item.id)).first()
    if link is None:
        return None
    ticket = Session.get(Ticket, link.ticket_id, with_for_update=True, populate_existing=True)
    if ticket is None or ticket.state not in ACTIVE_TICKET_STATES:
        return None
    Session.delete(link)
    Session.flush()
    Session.expire(ticket, ["feedback"])
    label = EXCLUSIONS[why]
    audit.record_change(actor, "detach", "ticket", ticket.id, {"feedback": item.id},
                        {"feedback": None, "receipt_no": item.receipt_no, "reason": label},
                        actor_label="system")
    left = Session.scalar(sa.select(sa.func.count()).select_from(TicketFeedback)
                          .where(TicketFeedback.ticket_id == ticket.id)) or 0
    if ticket.source == "feedback" and not left:
        _cancel(actor, ticket, f"关联评价均已排除（评价 {item.receipt_no} {label}）", now or utcnow())
    return ticket
