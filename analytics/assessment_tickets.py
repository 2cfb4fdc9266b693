"""The ticket-handling component (督办办理) of the assessment: per window and period, the on-time
rate of the rounds due, and of the counted 差评 that are due for judging the shares rectified
and called back.

A 差评 is judged once its ticket is closed or its first round's deadline has passed (the first
at the window it is at: a ticket transferred (转办) is judged from the round after the transfer),
as of the assessment's clock: a 差评 whose ticket is still within its deadline, that was never ticketed,
or whose ticket was cancelled is left out (the component's note says how many and why). This
depends on "now", so it is never in the nightly sums: one grouped query over the tickets'
feedback links (tickets are few) gives it, whichever way the ratings were read."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import orm

from analytics.counting import BAD_RATINGS, counted_feedback
from analytics.periods import Period
from feedback_api.db import Session, utcnow
from feedback_api.models import CallBack, Feedback, Ticket, TicketFeedback, TicketRound
from feedback_api.models.reference import ACTIVE_TICKET_STATES
from feedback_api.services.feedback import LOCAL_TZ

if TYPE_CHECKING:
    from analytics.assessment import WindowAssessment

#: The component's value and note for a window with nothing to handle in the period.
NOTHING_TO_HANDLE = "本期无督办事项，按满分计"


def ticket_rates(rows: dict[int, WindowAssessment], period: Period,
                 as_of: datetime | None = None) -> None:
    """The ticket figures of every window (after the ratings: the 差评 are counted there);
    ``as_of`` is the clock the deadlines are judged by (now by default)."""
    today = (as_of or utcnow()).astimezone(LOCAL_TZ).date()
    # Rounds due in the period, once decided: responded (on time unless marked overdue), or
    # marked overdue by the clock job; each for the window it was pushed to, and a round
    # transferred (已转办) away from a window that was not the problem's for neither.
    decided = sa.and_(sa.or_(TicketRound.responded_at.is_not(None), TicketRound.overdue.is_(True)),
                      sa.or_(TicketRound.verdict.is_(None), TicketRound.verdict != "transferred"))
    on_time = sa.and_(TicketRound.responded_at.is_not(None), TicketRound.overdue.is_(False))
    for window_id, n, ok in Session.execute(
            sa.select(TicketRound.window_id, sa.func.count(),
                      sa.func.sum(sa.case((on_time, 1), else_=0)))
            .select_from(Ticket).join(TicketRound, TicketRound.ticket_id == Ticket.id)
            .where(TicketRound.due >= period.start, TicketRound.due < period.end, decided,
                   Ticket.state != "cancelled")  # a cancelled ticket is neither late nor on time
            .group_by(TicketRound.window_id)):
        if window_id in rows:
            rows[window_id].ticket_rounds = int(n)
            rows[window_id].ticket_on_time_rate = int(ok or 0) / n if n else None
    _bad_outcomes(rows, period, today)
    for window_id, n in Session.execute(
            sa.select(Ticket.window_id, sa.func.count())
            .where(Ticket.state.in_(ACTIVE_TICKET_STATES))
            .group_by(Ticket.window_id)):
        if window_id in rows:
            rows[window_id].open_tickets = int(n)


def _bad_outcomes(rows: dict[int, WindowAssessment], period: Period, today: date) -> None:
    """Of the period's counted 差评 (levels 1–2 of the distribution), through their ticket links
    (a feedback has one ticket at most): those on a cancelled ticket, those whose ticket is still
    within its first deadline, and of the rest (judged) those rectified (closed) and called back.
    Those with no link are the distribution's 差评 less the linked ones."""
    start, end = period.utc_bounds()
    # Every link with its ticket's state, first deadline and whether it was called back, first
    # (tickets are few); then each linked feedback by its key. Left to itself, SQLite (no
    # statistics) reads the period's feedback by received_at instead: every row of the quarter.
    moved = orm.aliased(TicketRound)
    first = (sa.select(sa.func.coalesce(sa.func.max(moved.number) + 1, 1))
             .where(moved.ticket_id == Ticket.id, moved.verdict == "transferred")
             .correlate(Ticket).scalar_subquery())
    links = (sa.select(TicketFeedback.feedback_id, Ticket.state, TicketRound.due,
                       sa.exists().where(CallBack.ticket_id == Ticket.id).label("called"))
             .join(Ticket, Ticket.id == TicketFeedback.ticket_id)
             .join(TicketRound, sa.and_(TicketRound.ticket_id == Ticket.id, TicketRound.number == first))
             .cte("links").prefix_with("MATERIALIZED"))
    cancelled = links.c.state == "cancelled"
    closed = links.c.state == "closed"
    not_due = sa.and_(~cancelled, ~closed, links.c.due >= today)
    judged = sa.and_(~cancelled, sa.or_(closed, links.c.due < today))

    def count(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.sum(sa.case((cond, 1), else_=0))

    found: dict[int, tuple[int, ...]] = {}
    for window_id, *figures in Session.execute(
            sa.select(Feedback.window_id, sa.func.count(), count(cancelled), count(not_due),
                      count(judged), count(sa.and_(judged, closed)),
                      count(sa.and_(judged, links.c.called)))
            .select_from(links).join(Feedback, Feedback.id == links.c.feedback_id)
            .where(Feedback.rating.in_(BAD_RATINGS), counted_feedback(),
                   Feedback.received_at >= start, Feedback.received_at < end)
            .group_by(Feedback.window_id)):
        found[window_id] = tuple(int(x or 0) for x in figures)
    for window_id, r in rows.items():
        r.bad_reviews = sum(r.distribution[k] for k in BAD_RATINGS)
        linked, r.bad_cancelled, r.bad_not_due, judged_n, fixed, back = found.get(
            window_id, (0, 0, 0, 0, 0, 0))
        r.bad_unticketed = max(r.bad_reviews - linked, 0)
        r.bad_assessed = judged_n
        if judged_n:
            r.bad_rectified_rate, r.bad_callback_rate = fixed / judged_n, back / judged_n


def nothing_to_handle(r: WindowAssessment) -> bool:
    return r.ticket_on_time_rate is None and not r.bad_assessed


def ticket_component(r: WindowAssessment) -> tuple[float | None, str]:
    left_out = [f"{n} 条差评{why}" for n, why in ((r.bad_not_due, "督办未到期"),
                                               (r.bad_unticketed, "未督办"),
                                               (r.bad_cancelled, "督办已撤销")) if n]
    tail = f"；另有 {'、'.join(left_out)}，不计" if left_out else ""
    rates = [(label, rate) for label, rate in (("按时办理率", r.ticket_on_time_rate),
                                               ("差评整改率", r.bad_rectified_rate),
                                               ("差评回访率", r.bad_callback_rate))
             if rate is not None]
    if not rates:
        return 100.0, NOTHING_TO_HANDLE + tail
    value = 100 * sum(rate for _label, rate in rates) / len(rates)
    return value, "、".join(f"{label} {100 * rate:.0f}%" for label, rate in rates) + tail
