"""The nightly incremental run: per-window, per-day sums of the counted feedback
(``feedback_daily``), refreshed only for the (window, day) pairs whose rows changed.

A feedback row's ``changed_at`` is set whenever it is inserted or updated (``onupdate``): a new
rating, the agency's review (invalid), an upheld appeal or a merge (``rating_counts``,
``duplicate_of_id``), an analysis (sentiment, main topic). A run:

1. serialises with any other run (SQLite's write lock; a PostgreSQL advisory lock);
2. collects the distinct (window, day) pairs of the rows changed since the newest change the
   last run saw, less ``MARGIN``: a row written by a transaction that committed after that run
   read is found again (recomputing a pair twice changes nothing);
3. deletes those pairs' sums and inserts them again from their feedback rows, in one GROUP BY
   reading each pair's rows through the (window_id, received_at) index;
4. records the newest ``changed_at`` it saw (unchanged when nothing is newer: run again at
   once, it changes nothing).

The first run (no state row) rebuilds every sum. Everything happens in SQL; nothing is summed
row by row in Python. The result equals ``full_sums()`` (tests prove it after each kind of
change). Days are the district's (Asia/Shanghai, no daylight saving), as the periods are."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from analytics.counting import counted_feedback, counted_opinions
from analytics.periods import Period
from feedback_api.db import Session, begin_write
from feedback_api.models import DailyRefresh, Feedback, FeedbackDaily
from feedback_api.services.feedback import LOCAL_TZ

NAME = "feedback_daily"
#: How far before the last run's start a run looks again: longer than any write transaction
#: (a row's ``changed_at`` is taken when it is flushed, and seen once its transaction commits).
MARGIN = timedelta(minutes=10)
WRITE_WAIT_MS = 60_000
#: The state of a first run over no feedback at all.
NOTHING_YET = datetime(2000, 1, 1, tzinfo=UTC)
_DIRTY = "feedback_daily_dirty"


@dataclass
class RefreshResult:
    full: bool
    pairs: int  # (window, day) pairs recomputed (every pair on a full run)
    since: datetime | None


def _offset_minutes() -> int:
    offset = datetime.now(LOCAL_TZ).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


def local_day(column: Any, dialect: str) -> Any:
    """The district's calendar day of a UTC timestamp column, in SQL."""
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone(LOCAL_TZ.key, column), sa.Date)
    return sa.type_coerce(sa.func.date(column, f"{_offset_minutes():+d} minutes"), sa.Date())


def _day_start(day: str, dialect: str, days: int = 0) -> str:
    """SQL text: the UTC instant a local day begins (``days`` later), comparable with
    ``received_at`` as each engine stores it."""
    if dialect == "postgresql":
        return f"(CAST({day} + {days} AS timestamp) AT TIME ZONE '{LOCAL_TZ.key}')"
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) and compares text.
    return f"(datetime({day}, '{days} days', '{-_offset_minutes():+d} minutes') || '.000000')"


def _sums(dialect: str) -> sa.Select[Any]:
    """The sums of ``feedback_daily``'s columns, grouped by window, day and main topic, over the
    feedback rows the caller filters (counting exactly as the assessment does)."""
    f = Feedback
    counted, opinion = counted_feedback(), counted_opinions()
    sentiment = sa.func.coalesce(f.reviewed_sentiment, f.sentiment)
    day = local_day(f.received_at, dialect)
    topic = sa.func.coalesce(f.main_topic, "")

    def when(cond: Any, value: Any = 1) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((cond, value), else_=0)), 0)

    return (sa.select(f.window_id, day.label("day"), topic.label("topic"),
                      when(counted).label("ratings"), when(counted, f.rating).label("rating_sum"),
                      *[when(sa.and_(counted, f.rating == k)).label(f"r{k}") for k in range(1, 6)],
                      when(opinion).label("opinions"),
                      when(sa.and_(opinion, sentiment.is_not(None)), sentiment)
                      .label("sentiment_sum"),
                      when(sa.and_(opinion, sentiment.is_not(None))).label("sentiment_count"))
            .group_by(f.window_id, day, topic))


COLUMNS = ("window_id", "day", "topic", "ratings", "rating_sum", "r1", "r2", "r3", "r4", "r5",
           "opinions", "sentiment_sum", "sentiment_count")


def full_sums() -> list[tuple[Any, ...]]:
    """Every (window, day, topic) sum computed from all feedback rows now (the reference the
    incremental result must equal); groups with nothing counted are left out, as the refresh
    leaves them out."""
    dialect = Session.get_bind().dialect.name
    rows = Session.execute(_sums(dialect)).all()
    return sorted(tuple(r) for r in rows if r[3] or r[10])


def stored_sums() -> list[tuple[Any, ...]]:
    t = FeedbackDaily.__table__
    return sorted(tuple(r) for r in Session.execute(sa.select(*[t.c[c] for c in COLUMNS])))


def _lock() -> None:
    if Session.new or Session.dirty or Session.deleted:
        raise RuntimeError("the daily refresh starts its own unit of work")
    Session.rollback()
    begin_write(WRITE_WAIT_MS)
    if Session.get_bind().dialect.name == "postgresql":
        # Lock waits stay bounded; a statement may take long (the first run reads every row).
        Session.execute(sa.select(sa.func.set_config("statement_timeout", "0", True)))
        key = int.from_bytes(hashlib.sha256(f"window-watch:{NAME}".encode()).digest()[:8],
                             "big", signed=True)
        Session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


def _insert(select: sa.Select[Any]) -> None:
    t = FeedbackDaily.__table__
    # Groups that count nothing (only uncounted ratings, unanalysed texts) are not stored.
    sub = select.subquery()
    Session.execute(t.insert().from_select(
        list(COLUMNS), sa.select(*sub.c).where(sa.or_(sub.c.ratings > 0, sub.c.opinions > 0))))


def _newest_change(since: datetime | None) -> datetime | None:
    f = Feedback
    query = sa.select(sa.func.max(f.changed_at))
    return Session.scalar(query if since is None else query.where(f.changed_at >= since))


def refresh() -> RefreshResult:
    """Bring ``feedback_daily`` up to date (see the module's description); the caller commits.
    Starts its own transaction (whatever the session held is rolled back). The state kept is the
    newest change seen, not the clock: a run that finds nothing new changes nothing."""
    _lock()
    conn = Session.connection()
    dialect = conn.dialect.name
    state = Session.get(DailyRefresh, NAME, populate_existing=True)
    if state is None:
        Session.execute(sa.delete(FeedbackDaily))
        _insert(_sums(dialect))
        pairs = Session.scalar(sa.select(sa.func.count()).select_from(
            sa.select(FeedbackDaily.window_id, FeedbackDaily.day).distinct().subquery())) or 0
        Session.add(DailyRefresh(name=NAME, changed_since=_newest_change(None) or NOTHING_YET))
        Session.flush()
        return RefreshResult(True, pairs, None)
    since = state.changed_since - MARGIN
    f = Feedback
    # The pairs to recompute, fixed once (the later statements must agree on them).
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_DIRTY}")
    conn.exec_driver_sql(f"CREATE TEMP TABLE {_DIRTY} (window_id integer, day date)"
                         + (" ON COMMIT DROP" if dialect == "postgresql" else ""))
    d = sa.table(_DIRTY, sa.column("window_id"), sa.column("day"))
    # Materialized first: without statistics SQLite would otherwise walk the (window_id,
    # received_at) index for the DISTINCT, reading every row; the changed rows are a few, found
    # by their own index.
    changed = (sa.select(f.window_id, f.received_at).where(f.changed_at >= since)
               .cte("changed").prefix_with("MATERIALIZED"))
    Session.execute(d.insert().from_select(["window_id", "day"], sa.select(
        changed.c.window_id, local_day(changed.c.received_at, dialect)).distinct()))
    pairs = conn.exec_driver_sql(f"SELECT count(*) FROM {_DIRTY}").scalar_one()
    if pairs:
        Session.execute(sa.text(
            f"DELETE FROM feedback_daily WHERE (window_id, day) IN "
            f"(SELECT window_id, day FROM {_DIRTY})"))
        _insert(_sums(dialect).join(d, sa.and_(
            d.c.window_id == f.window_id,
            f.received_at >= sa.literal_column(_day_start(f"{_DIRTY}.day", dialect)),
            f.received_at < sa.literal_column(_day_start(f"{_DIRTY}.day", dialect, 1)))))
    if dialect != "postgresql":
        conn.exec_driver_sql(f"DROP TABLE {_DIRTY}")
    newest = _newest_change(since)
    if newest is not None and newest > state.changed_since:
        state.changed_since = newest
    Session.flush()
    return RefreshResult(False, pairs, since)


def period_sums(period: Period) -> list[tuple[Any, ...]] | None:
    """Per window and main topic, the sums of ``feedback_daily``'s columns over ``period``'s
    days, exact as of now: the stored sums of the days whose rows did not change since the last
    refresh began (less ``MARGIN``), and for the (window, day) pairs whose rows did, the sums of
    their feedback rows, in one statement. None before the first refresh."""
    state = Session.get(DailyRefresh, NAME)
    if state is None:
        return None
    dialect = Session.get_bind().dialect.name
    start, end = period.utc_bounds()
    f, d = Feedback, FeedbackDaily
    changed = (sa.select(f.window_id, f.received_at)
               .where(f.changed_at >= state.changed_since - MARGIN,
                      f.received_at >= start, f.received_at < end)
               .cte("changed").prefix_with("MATERIALIZED"))
    dirty = (sa.select(changed.c.window_id, local_day(changed.c.received_at, dialect).label("day"))
             .distinct().cte("dirty"))
    sums = [d.ratings, d.rating_sum, d.r1, d.r2, d.r3, d.r4, d.r5, d.opinions, d.sentiment_sum,
            d.sentiment_count]
    # Summed per window and topic before the union: the period's stored rows are many.
    stored = (sa.select(d.window_id, d.topic, *[sa.func.sum(c).label(c.key) for c in sums])
              .where(d.day >= period.start, d.day < period.end,
                     ~sa.exists().where(dirty.c.window_id == d.window_id, dirty.c.day == d.day))
              .group_by(d.window_id, d.topic))
    live_sums = _sums(dialect).join(dirty, sa.and_(
        dirty.c.window_id == f.window_id,
        f.received_at >= sa.literal_column(_day_start("dirty.day", dialect)),
        f.received_at < sa.literal_column(_day_start("dirty.day", dialect, 1)))).subquery()
    live = sa.select(live_sums.c.window_id, live_sums.c.topic,
                     *[live_sums.c[c] for c in COLUMNS[3:]])
    both = sa.union_all(stored, live).subquery()
    return [tuple(r) for r in Session.execute(
        sa.select(both.c.window_id, both.c.topic, *[sa.func.sum(both.c[c]) for c in COLUMNS[3:]])
        .group_by(both.c.window_id, both.c.topic))]
