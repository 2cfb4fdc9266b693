"""The ticket-handling component (督办办理) of the assessment: per window and period, the on-time
rate of the rounds due, and of the counted 差评 the shares rectified and called back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from analytics.counting import BAD_RATINGS, counted_feedback
from analytics.periods import Period
from feedback_api.db import Session
from feedback_api.models import CallBack, Feedback, Ticket, TicketFeedback, TicketRound
from feedback_api.models.reference import ACTIVE_TICKET_STATES

if TYPE_CHECKING:
    from analytics.assessment import WindowAssessment


def ticket_rates(rows: dict[int, WindowAssessment], period: Period) -> None:
    """The ticket figures of every window, in two GROUP BY queries."""
    # Rounds due in the period, once decided: responded (on time unless marked overdue), or
    # marked overdue by the clock job.
    decided = sa.or_(TicketRound.responded_at.is_not(None), TicketRound.overdue.is_(True))
    on_time = sa.and_(TicketRound.responded_at.is_not(None), TicketRound.overdue.is_(False))
    for window_id, n, ok in Session.execute(
            sa.select(Ticket.window_id, sa.func.count(),
                      sa.func.sum(sa.case((on_time, 1), else_=0)))
            .join(TicketRound, TicketRound.ticket_id == Ticket.id)
            .where(TicketRound.due >= period.start, TicketRound.due < period.end, decided,
                   Ticket.state != "cancelled")  # a cancelled ticket is neither late nor on time
            .group_by(Ticket.window_id)):
        if window_id in rows:
            rows[window_id].ticket_rounds = int(n)
            rows[window_id].ticket_on_time_rate = int(ok or 0) / n if n else None
    # The period's counted 差评, each with its ticket (if any): rectified when the ticket is
    # closed (verified), called back when the ticket has a call-back.
    start, end = period.utc_bounds()
    called = sa.exists().where(CallBack.ticket_id == Ticket.id)
    for window_id, n, closed, back in Session.execute(
            sa.select(Feedback.window_id, sa.func.count(),
                      sa.func.sum(sa.case((Ticket.state == "closed", 1), else_=0)),
                      sa.func.sum(sa.case((called, 1), else_=0)))
            .outerjoin(TicketFeedback, TicketFeedback.feedback_id == Feedback.id)
            .outerjoin(Ticket, Ticket.id == TicketFeedback.ticket_id)
            .where(counted_feedback(), Feedback.rating.in_(BAD_RATINGS),
                   Feedback.received_at >= start, Feedback.received_at < end)
            .group_by(Feedback.window_id)):
        if window_id in rows and n:
            r = rows[window_id]
            r.bad_reviews = int(n)
            r.bad_rectified_rate = int(closed or 0) / n
            r.bad_callback_rate = int(back or 0) / n
    for window_id, n in Session.execute(
            sa.select(Ticket.window_id, sa.func.count())
            .where(Ticket.state.in_(ACTIVE_TICKET_STATES))
            .group_by(Ticket.window_id)):
        if window_id in rows:
            rows[window_id].open_tickets = int(n)


def ticket_component(r: WindowAssessment) -> tuple[float | None, str]:
    rates = [(label, rate) for label, rate in (("按时办理率", r.ticket_on_time_rate),
                                               ("差评整改率", r.bad_rectified_rate),
                                               ("差评回访率", r.bad_callback_rate))
             if rate is not None]
    if not rates:
        return None, "本期无到期督办、无计分差评"
    value = 100 * sum(rate for _label, rate in rates) / len(rates)
    return value, "、".join(f"{label} {100 * rate:.0f}%" for label, rate in rates)
