"""Counts the pages show: windows by status, ratings within a user's scope, one window's ratings,
the running supervision tickets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Feedback, Ticket, User, Window
from feedback_api.services import scope, workdays
from feedback_api.services.complaints import BAD_RATINGS, counted_feedback
from feedback_api.services.tickets import (
    UNITS_LATENESS_ROLES,
    late_clause,
    late_clauses,
    ticket_query,
)


@dataclass(frozen=True)
class ChannelRatings:
    #: Ratings that count, as the assessment counts them (``counted_feedback``): a citizen's later
    #: rating of the same day replaces the earlier one; one marked invalid or upheld on appeal is out.
    total: int
    average: float | None
    #: Ratings of 1 or 2 (差评).
    bad: int


@dataclass(frozen=True)
class RatingSummary(ChannelRatings):
    #: The same per channel (``wechat``, ``h5``, ...): H5 and WeChat ratings are shown apart,
    #: since an H5 citizen is only a browser (issue 12).
    by_channel: dict[str, ChannelRatings] = field(default_factory=dict)


def _visible_window_ids(user: User) -> sa.Select[tuple[int]]:
    return sa.select(Window.id).join(Window.unit).where(scope.window_clause(user))


def windows_by_status(user: User) -> dict[str, int]:
    """How many windows ``user`` may see, per status."""
    rows = Session.execute(
        sa.select(Window.status, sa.func.count())
        .where(Window.id.in_(_visible_window_ids(user)))
        .group_by(Window.status)
    ).all()
    return {status: count for status, count in rows}


def rating_summary(user: User) -> RatingSummary:
    """Count, average and bad ratings over the windows ``user`` may see, overall and per
    channel, in one query; the ratings the assessment counts (``counted_feedback``), not merely
    those whose ``rating_counts`` is set, which a review marking one invalid leaves alone."""
    rows = Session.execute(
        sa.select(Feedback.channel, sa.func.count(), sa.func.sum(Feedback.rating),
                  sa.func.sum(sa.case((Feedback.rating.in_(BAD_RATINGS), 1), else_=0)))
        .where(Feedback.window_id.in_(_visible_window_ids(user)), counted_feedback())
        .group_by(Feedback.channel)
    ).all()
    by_channel = {channel: ChannelRatings(n, float(points) / n if n else None, int(bad or 0))
                  for channel, n, points, bad in rows}
    total = sum(n for _c, n, _p, _b in rows)
    points = sum(int(p or 0) for _c, _n, p, _b in rows)
    return RatingSummary(total, points / total if total else None,
                         sum(c.bad for c in by_channel.values()), by_channel)


def rating_counts(window_id: int) -> dict[int, int]:
    """How many counted ratings of each level (1–5) one window has."""
    rows = Session.execute(
        sa.select(Feedback.rating, sa.func.count())
        .where(Feedback.window_id == window_id, counted_feedback())
        .group_by(Feedback.rating)
    ).all()
    return {rating: count for rating, count in rows}


def rating_counts_by_channel(window_id: int) -> dict[str, dict[int, int]]:
    """How many counted ratings of each level one window has, per channel."""
    rows = Session.execute(
        sa.select(Feedback.channel, Feedback.rating, sa.func.count())
        .where(Feedback.window_id == window_id, counted_feedback())
        .group_by(Feedback.channel, Feedback.rating)
    ).all()
    out: dict[str, dict[int, int]] = {}
    for channel, rating, count in rows:
        out.setdefault(channel, {})[rating] = count
    return out


@dataclass(frozen=True)
class RunningTickets:
    #: Tickets open or responded (not yet closed) in the user's scope.
    running: int
    #: Of those, past a deadline (the tickets desk's "超期" rule for the user).
    overdue: int
    #: Of those, the units' late rounds (整改超期) and the agency's late call-backs (回访超期): a
    #: ticket late on both counts is in both. None for whom counts only the units' lateness.
    fix_overdue: int | None = None
    callback_overdue: int | None = None
    #: Of those, the ones waiting for the unit's answer (待整改) and for the agency's check
    #: (待核验), and the nearest deadline of an unanswered round not yet past.
    to_fix: int = 0
    to_verify: int = 0
    next_fix_due: date | None = None


def running_tickets(user: User) -> RunningTickets:
    """How many supervision tickets in ``user``'s scope are running, and how many of them are
    overdue, in one query over the desk's own query, so the figures match its filters; for the
    agency and the office, also split by whose lateness it is."""
    fix_late, callback_late = late_clauses()

    def how_many(clause: sa.ColumnElement[bool]) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((clause, 1), else_=0)), 0)

    unanswered = Ticket.state == "open"
    running, overdue, fix, callback, to_fix, next_due = Session.execute(
        ticket_query(user, state="active").with_only_columns(
            sa.func.count(), how_many(late_clause(user)), how_many(fix_late),
            how_many(callback_late), how_many(unanswered),
            sa.func.min(sa.case((sa.and_(unanswered, Ticket.fix_due >= workdays.local_today()),
                                 Ticket.fix_due))))).one()
    waiting = {"to_fix": to_fix, "to_verify": running - to_fix, "next_fix_due": next_due}
    if user.role in UNITS_LATENESS_ROLES:
        return RunningTickets(running, overdue, **waiting)
    return RunningTickets(running, overdue, fix, callback, **waiting)
