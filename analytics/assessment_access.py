"""Who reads a period's figures before the office publishes it: the office and the agency read
them computed live (marked 实时结果，未发布); units and authorities see scores and ranks only once
the period is published (a stored version), and are told 本季度考核结果尚未发布 until then, on
every page, download and the API (``NotPublished``, a 404 with code ``not_published``)."""

from __future__ import annotations

import sqlalchemy as sa

from analytics.periods import Period, parse_period
from feedback_api.db import Session
from feedback_api.models import AssessmentSnapshot, User
from feedback_api.services import scope
from feedback_api.services.errors import NotFound

#: The roles that read live figures of a period not yet published.
LIVE_READERS = scope.GLOBAL_ROLES
_WHICH = {"quarter": "本季度", "month": "本月", "year": "本年度"}


class NotPublished(NotFound):
    code = "not_published"


def reads_live(user: User | None) -> bool:
    """Whether ``user`` reads live figures (None: the command line, the jobs)."""
    return user is None or user.role in LIVE_READERS


def not_published(period: Period) -> str:
    return f"{_WHICH[period.kind]}考核结果尚未发布（{period.label}）"


def require_live(period: Period, user: User | None) -> None:
    """Refuse live figures of ``period`` to a reader who sees published ones only."""
    if not reads_live(user):
        raise NotPublished(not_published(period))


def published_periods(kind: str, limit: int = 4) -> list[Period]:
    """The newest periods of ``kind`` the office published (a reader told that a period is not
    published yet is pointed to these)."""
    codes = Session.scalars(sa.select(AssessmentSnapshot.period).distinct())
    periods = [p for p in map(parse_period, codes) if p.kind == kind]
    return sorted(periods, key=lambda p: p.start, reverse=True)[:limit]


def published_in(year: int) -> list[Period]:
    """The periods of ``year`` (its quarters, months and the year itself) with a published
    version, in order: what a change of the year's standard no longer reaches unless recomputed."""
    codes = Session.scalars(sa.select(AssessmentSnapshot.period).distinct()
                            .where(AssessmentSnapshot.period.like(f"{year}%"))).all()
    return sorted((parse_period(c) for c in codes), key=lambda p: (p.start, p.end))
