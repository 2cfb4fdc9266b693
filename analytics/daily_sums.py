"""The sums of the nightly refresh (``analytics.daily``) in SQL: the district's day and month
of a timestamp, the per-window, per-day, per-topic sums of the counted feedback (of every row,
or of the rows of some (window, day) pairs), and the sums computed from all rows now beside
the stored ones (what the tests compare). Days are the district's (Asia/Shanghai)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from analytics.counting import SPLIT_CHANNELS, counted_feedback, counted_opinions
from feedback_api.db import Session
from feedback_api.models import Feedback, FeedbackDaily, FeedbackMonthly
from feedback_api.services.feedback import LOCAL_TZ


def _offset_minutes() -> int:
    offset = datetime.now(LOCAL_TZ).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


def local_day(column: Any, dialect: str) -> Any:
    """The district's calendar day of a UTC timestamp column, in SQL."""
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone(LOCAL_TZ.key, column), sa.Date)
    return sa.type_coerce(sa.func.date(column, f"{_offset_minutes():+d} minutes"), sa.Date())


def month_of(day: Any, dialect: str) -> Any:
    """The first day of a date column's month, in SQL."""
    if dialect == "postgresql":
        return sa.cast(sa.func.date_trunc("month", day), sa.Date)
    return sa.type_coerce(sa.func.date(day, "start of month"), sa.Date())


def _day_start(day: str, dialect: str, days: int = 0) -> str:
    """SQL text: the UTC instant a local day begins (``days`` later), comparable with
    ``received_at`` as each engine stores it."""
    if dialect == "postgresql":
        return f"(CAST({day} + {days} AS timestamp) AT TIME ZONE '{LOCAL_TZ.key}')"
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) and compares text.
    return f"(datetime({day}, '{days} days', '{-_offset_minutes():+d} minutes') || '.000000')"


def sums_of_rows(dialect: str, dirty: Any = None) -> sa.Select[Any]:
    """The sums of ``feedback_daily``'s columns, grouped by window, day and main topic, over every
    feedback row, or those of the (window, day) pairs of the table or CTE ``dirty`` (counting
    exactly as the assessment does). What became of a 差评 is not here: it depends on the
    assessment's clock (``analytics.assessment_tickets``)."""
    f = Feedback.__table__
    counted, opinion = counted_feedback(), counted_opinions()
    sentiment = sa.func.coalesce(f.c.reviewed_sentiment, f.c.sentiment)
    day = local_day(f.c.received_at, dialect)
    topic = sa.func.coalesce(f.c.main_topic, "")

    def when(cond: Any, value: Any = 1) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((cond, value), else_=0)), 0)

    rows: Any = f
    if dirty is not None:  # each pair's rows through the (window_id, received_at) index
        name = dirty.name
        rows = dirty.join(f, sa.and_(
            dirty.c.window_id == f.c.window_id,
            f.c.received_at >= sa.literal_column(_day_start(f"{name}.day", dialect)),
            f.c.received_at < sa.literal_column(_day_start(f"{name}.day", dialect, 1))))
    return (sa.select(f.c.window_id, day.label("day"), topic.label("topic"),
                      when(counted).label("ratings"), when(counted, f.c.rating).label("rating_sum"),
                      *[when(sa.and_(counted, f.c.rating == k)).label(f"r{k}") for k in range(1, 6)],
                      when(opinion).label("opinions"),
                      when(sa.and_(opinion, sentiment.is_not(None)), sentiment)
                      .label("sentiment_sum"),
                      when(sa.and_(opinion, sentiment.is_not(None))).label("sentiment_count"),
                      *[when(sa.and_(counted, f.c.channel == c)).label(f"ratings_{c}")
                        for c in SPLIT_CHANNELS],
                      *[when(sa.and_(counted, f.c.channel == c, f.c.rating == k)).label(f"r{k}_{c}")
                        for c in SPLIT_CHANNELS for k in range(1, 6)])
            .select_from(rows).group_by(f.c.window_id, day, topic))


#: The per-level counts of each split channel, WeChat's five then H5's (r1_wechat … r5_h5).
CHANNEL_LEVELS = tuple(f"r{k}_{c}" for c in SPLIT_CHANNELS for k in range(1, 6))
#: The summed columns, after the keys (window_id, day or month, topic).
SUMS = ("ratings", "rating_sum", "r1", "r2", "r3", "r4", "r5", "opinions", "sentiment_sum",
        "sentiment_count", "ratings_wechat", "ratings_h5", *CHANNEL_LEVELS)
COLUMNS = ("window_id", "day", "topic", *SUMS)
MONTH_COLUMNS = ("window_id", "month", "topic", *SUMS)


def full_sums() -> list[tuple[Any, ...]]:
    """Every (window, day, topic) sum computed from all feedback rows now (the reference the
    incremental result must equal); groups with nothing counted are left out, as the refresh
    leaves them out."""
    dialect = Session.get_bind().dialect.name
    rows = Session.execute(sums_of_rows(dialect)).all()
    return sorted(tuple(r) for r in rows if r[3] or r[10])


def full_monthly() -> list[tuple[Any, ...]]:
    """Every (window, month, topic) sum computed from all feedback rows now, for the same use."""
    dialect = Session.get_bind().dialect.name
    days = sums_of_rows(dialect).subquery()
    month = month_of(days.c.day, dialect)
    rows = Session.execute(
        sa.select(days.c.window_id, month, days.c.topic, *[sa.func.sum(days.c[c]) for c in SUMS])
        .where(sa.or_(days.c.ratings > 0, days.c.opinions > 0))
        .group_by(days.c.window_id, month, days.c.topic)).all()
    return sorted(tuple(r) for r in rows)


def stored_sums() -> list[tuple[Any, ...]]:
    t = FeedbackDaily.__table__
    return sorted(tuple(r) for r in Session.execute(sa.select(*[t.c[c] for c in COLUMNS])))


def stored_monthly() -> list[tuple[Any, ...]]:
    t = FeedbackMonthly.__table__
    return sorted(tuple(r) for r in Session.execute(sa.select(*[t.c[c] for c in MONTH_COLUMNS])))
