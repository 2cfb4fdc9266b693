"""The ticket-handling component (督办办理) of the assessment: per window and period, the on-time
rate of the rounds due, and of the counted 差评 the shares rectified and called back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from analytics.counting import BAD_RATINGS
from analytics.periods import Period
from feedback_api.db import Session
from feedback_api.models import Ticket, TicketRound
from feedback_api.models.reference import ACTIVE_TICKET_STATES

if TYPE_CHECKING:
    from analytics.assessment import WindowAssessment


def ticket_rates(rows: dict[int, WindowAssessment], period: Period,
                 bad_outcomes: dict[int, tuple[int, int]]) -> None:
    """The ticket figures of every window (after the ratings: the 差评 are counted there)."""
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
    # The period's counted 差评 (levels 1–2 of the distribution) and, counted in the ratings'
    # pass, those rectified (ticket closed) and called back.
    for window_id, r in rows.items():
        n = sum(r.distribution[k] for k in BAD_RATINGS)
        if n:
            closed, back = bad_outcomes.get(window_id, (0, 0))
            r.bad_reviews = n
            r.bad_rectified_rate, r.bad_callback_rate = closed / n, back / n
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
