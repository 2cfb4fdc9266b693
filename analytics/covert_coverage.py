"""Covert inspections are run at least quarterly: the windows of a quarter not yet visited, for
the office's plan (never shown to those visited: a visit announced is no covert visit)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from analytics.assessment import listed_by
from analytics.periods import Period
from feedback_api.db import Session
from feedback_api.models import CovertInspection, User, Window
from feedback_api.models.reference import DELISTED
from feedback_api.services import covert, scope


def not_visited(period: Period, user: User) -> list[Window] | None:
    """The windows ``user`` sees, in the programme now (not delisted) and listed before
    ``period`` ended, with no covert inspection in it; None for those who may not know."""
    if not covert.sees_evidence(user):
        return None
    visited = sa.select(CovertInspection.window_id).where(
        CovertInspection.inspected_on >= period.start, CovertInspection.inspected_on < period.end)
    return list(Session.scalars(
        sa.select(Window).join(Window.unit).options(contains_eager(Window.unit))
        .where(scope.window_clause(user), Window.status != DELISTED,
               listed_by(period), Window.id.not_in(visited))
        .order_by(Window.code)))
