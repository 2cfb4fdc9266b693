"""Counts the pages show: windows by status, ratings within a user's scope, one window's ratings."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Feedback, User, Window
from feedback_api.services import scope


@dataclass(frozen=True)
class RatingSummary:
    #: Ratings that count (a citizen's later rating of the same day replaces the earlier one).
    total: int
    average: float | None
    #: Ratings of 1 or 2 (差评).
    bad: int


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
    """Count, average and bad ratings over the windows ``user`` may see, in one query."""
    total, average, bad = Session.execute(
        sa.select(sa.func.count(), sa.func.avg(Feedback.rating),
                  sa.func.sum(sa.case((Feedback.rating <= 2, 1), else_=0)))
        .where(Feedback.window_id.in_(_visible_window_ids(user)), Feedback.rating_counts.is_(True))
    ).one()
    return RatingSummary(total or 0, float(average) if average is not None else None, bad or 0)


def rating_counts(window_id: int) -> dict[int, int]:
    """How many counted ratings of each level (1–5) one window has."""
    rows = Session.execute(
        sa.select(Feedback.rating, sa.func.count())
        .where(Feedback.window_id == window_id, Feedback.rating.is_not(None),
               Feedback.rating_counts.is_(True))
        .group_by(Feedback.rating)
    ).all()
    return {rating: count for rating, count in rows}
