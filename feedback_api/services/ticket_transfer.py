"""Transferring a supervision ticket (转办督办单) that went to the wrong window to another window
(perhaps another unit's). The ticket keeps its number, its feedback and its history; its current
round closes as transferred (已转办) for the old window, counted neither late nor as a push for
either window; a fresh round starts at the new window with a deadline in working days from the
transfer, as a new ticket's first round; the new unit is alerted as of a new ticket, and an
alert to the old unit not sent yet is withdrawn. The old unit no longer sees the ticket (scope
follows the ticket's window), the new one does.

Services flush; the caller commits. The transfer goes to the audit log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Ticket, TicketRound, User, Window
from feedback_api.models.reference import ACTIVE_TICKET_STATES, TICKET_STATES
from feedback_api.services import alerts, audit, scope
from feedback_api.services.errors import Conflict, NotFound, ValidationError
from feedback_api.services.tickets import (
    MAX_REASON,
    check_round,
    check_supervisor,
    clean_text,
    current_round,
    get_ticket,
    local_date,
    settings,
    ticket_view,
)
from feedback_api.services.workdays import Calendar


def _target(actor: User, code: object) -> Window:
    code = code.strip() if isinstance(code, str) else ""
    if not code:
        raise ValidationError("请选择转办的窗口", details={"window": "请填写或从列表中选择窗口"})
    window = Session.scalars(sa.select(Window).where(Window.code == code)).first()
    if window is None or not scope.can_see_window(actor, window):
        raise NotFound(f"窗口编号 {code} 不存在或无权查看", details={"window": f"没有编号为 {code} 的窗口"})
    return window


def transfer(actor: User, ticket_id: int, window: object, reason: object, *,
             round_no: int | None = None, now: datetime | None = None) -> TicketRound:
    """The agency or the office transfers a running ticket to the window coded ``window``, with
    a reason; ``round_no``: the round the form was typed on (``check_round``). Returns the new
    round."""
    ticket = get_ticket(actor, ticket_id, lock=True)
    check_supervisor(actor, "转办督办单")
    if ticket.state not in ACTIVE_TICKET_STATES:
        raise Conflict(f"督办单{TICKET_STATES[ticket.state]}，不能转办")
    check_round(ticket, round_no)
    text = clean_text(reason, "转办理由", MAX_REASON)
    target = _target(actor, window)
    old = ticket.window
    if target.id == old.id:
        raise Conflict(f"督办单已在窗口“{old.name}”，请选择其他窗口",
                       details={"window": "与当前窗口相同"})
    now = now or utcnow()
    rnd = current_round(ticket)
    before = {**ticket_view(ticket), "window": old.code}
    # Closed for the old window: neither late (the job never marks a round with a verdict) nor
    # a push (only sent back or unanswered rounds are).
    rnd.verdict, rnd.verdict_reason, rnd.verdict_by_id, rnd.verdict_at = (
        "transferred", text, actor.id, now)
    rnd.overdue = False
    due = Calendar().add(local_date(now), settings().fix_workdays)
    Session.add(TicketRound(ticket_id=ticket.id, number=rnd.number + 1, window_id=target.id,
                            opened_at=now, due=due, verdict_reason="", overdue=False))
    ticket.window_id, ticket.window = target.id, target
    # The ticket's lateness is its window's: the new window starts with none.
    ticket.state, ticket.fix_due, ticket.overdue = "open", due, False
    Session.flush()
    Session.refresh(ticket, ["rounds"])
    # An alert to the old unit still queued would tell it of a ticket it no longer has.
    alerts.withdraw_ticket_alerts(ticket, f"督办单已于 {local_date(now)} 转办至窗口“{target.name}”"
                                          f"（{target.code}），本提醒撤回未发")
    alerts.ticket_alert(ticket, target, now, transferred_from=old)
    audit.record_change(actor, "transfer", "ticket", ticket.id, before, {
        **ticket_view(ticket), "window": target.code, "from_window": old.code,
        "round": rnd.number + 1, "reason": text})
    return current_round(ticket)


def transferred_to(ticket: Ticket) -> dict[int, Window]:
    """For the ticket's history: the window each transferred round went to (by round number),
    the next round's."""
    rounds = ticket.rounds
    return {r.number: rounds[i + 1].window for i, r in enumerate(rounds[:-1])
            if r.verdict == "transferred"}

