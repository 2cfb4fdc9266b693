"""A period's feedback sums, exact as of now, from the monthly roll-up (``feedback_monthly``)
once the nightly refresh has built it (``analytics.daily``); None before.

Periods are whole months, so a period's stored sums are its months' rows. Rows changed since the
last refresh began (less ``daily.MARGIN``) are not in them yet, or not as they are now: for each
(window, day) pair of such rows, the pair's stored daily sums are taken away and the sums of its
feedback rows now added, in the same statement. Nothing is written."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from analytics.daily import MARGIN, NAME
from analytics.daily_sums import SUMS, local_day, month_of, sums_of_rows
from analytics.periods import Period
from feedback_api.db import Session
from feedback_api.models import DailyRefresh, Feedback, FeedbackDaily, FeedbackMonthly

#: What the results can be grouped by.
KEYS = ("window_id", "month", "topic")


def _rows(period: Period, keys: tuple[str, ...], sums: tuple[str, ...]) -> list[Any] | None:
    state = Session.get(DailyRefresh, NAME)
    if state is None:
        return None
    dialect = Session.get_bind().dialect.name
    start, end = period.utc_bounds()
    f, d, m = Feedback, FeedbackDaily.__table__, FeedbackMonthly.__table__
    # The changed rows through their own index (the period's bounds on the materialized rows:
    # given them inside, SQLite without statistics reads the period by received_at instead).
    changed = (sa.select(f.window_id, f.received_at)
               .where(f.changed_at >= state.changed_since - MARGIN)
               .cte("changed").prefix_with("MATERIALIZED"))
    dirty = (sa.select(changed.c.window_id, local_day(changed.c.received_at, dialect).label("day"))
             .where(changed.c.received_at >= start, changed.c.received_at < end)
             .distinct().cte("dirty"))
    def narrow(c: str, value: Any) -> Any:
        # Every part as 4-byte integers (a window's sum over a year is far below 2^31):
        # PostgreSQL sums bigints into numerics, whose aggregate state spilled the final
        # grouping to disk at 500,000 rows and which Python reads as Decimal, slowly.
        return sa.cast(value, sa.Float if c == "sentiment_sum" else sa.Integer).label(c)

    # The months' stored sums, grouped by the keys first (a year is some 200,000 rows).
    stored = (sa.select(*[m.c[k] for k in keys], *[narrow(c, sa.func.sum(m.c[c])) for c in sums])
              .where(m.c.month >= period.start, m.c.month < period.end)
              .group_by(*[m.c[k] for k in keys]))
    # The changed pairs' stored daily sums, taken away...
    old = (sa.select(d.c.window_id, month_of(d.c.day, dialect).label("month"), d.c.topic,
                     *[(-d.c[c]).label(c) for c in sums])
           .join(dirty, sa.and_(dirty.c.window_id == d.c.window_id, dirty.c.day == d.c.day))
           .subquery())
    # ... and their feedback rows' sums now, added.
    now = sums_of_rows(dialect, dirty).subquery()
    new = sa.select(now.c.window_id, month_of(now.c.day, dialect).label("month"), now.c.topic,
                    *[narrow(c, now.c[c]) for c in sums]).subquery()
    both = sa.union_all(stored, *[sa.select(*[part.c[k] for k in keys], *[part.c[c] for c in sums])
                                  for part in (old, new)]).subquery()
    return list(Session.execute(
        sa.select(*[both.c[k] for k in keys], *[sa.func.sum(both.c[c]) for c in sums])
        .group_by(*[both.c[k] for k in keys])))


def window_topic_sums(period: Period) -> list[tuple[Any, ...]] | None:
    """Per window and main topic: (window_id, topic, *``daily_sums.SUMS``) over ``period``."""
    rows = _rows(period, ("window_id", "topic"), SUMS)
    return None if rows is None else [tuple(r) for r in rows]


def window_month_sums(period: Period) -> list[tuple[Any, ...]] | None:
    """Per window and month: (window_id, month, ratings, rating_sum, r1, r2, ratings_wechat,
    ratings_h5) over ``period``."""
    rows = _rows(period, ("window_id", "month"),
                 ("ratings", "rating_sum", "r1", "r2", "ratings_wechat", "ratings_h5"))
    return None if rows is None else [tuple(r) for r in rows]
