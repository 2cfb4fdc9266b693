"""The nightly incremental run: per-window, per-day sums of the counted feedback
(``feedback_daily``), refreshed only for the (window, day) pairs whose rows changed, and their
roll-up per month (``feedback_monthly``), refreshed for the (window, month) pairs of those days.

A feedback row's ``changed_at`` is set whenever it is inserted or updated (``onupdate``): a new
rating, the agency's review (invalid), an upheld appeal or a merge (``rating_counts``,
``duplicate_of_id``), an analysis (sentiment, main topic). (What became of a 差评 is not in the
sums: it depends on the assessment's clock, ``analytics.assessment_tickets``.) A run:

1. serialises with any other run (SQLite's write lock; a PostgreSQL advisory lock);
2. collects the distinct (window, day) pairs of the rows changed since the newest change the
   last run saw, less ``MARGIN``: a row written by a transaction that committed after that run
   read is found again (recomputing a pair twice changes nothing);
3. deletes those pairs' sums and inserts them again from their feedback rows, in one GROUP BY
   reading each pair's rows through the (window_id, received_at) index;
4. adds to the monthly sums of those pairs' months what the pairs' daily sums changed by (new
   less old, an upsert), and drops the monthly rows left counting nothing;
5. records the newest ``changed_at`` it saw (unchanged when nothing is newer: run again at
   once, it changes nothing).

The first run (no state row) rebuilds every sum. Everything happens in SQL; nothing is summed
row by row in Python. The result equals ``daily_sums.full_sums()`` and ``full_monthly()`` (tests
prove it after each kind of change). Days are the district's (Asia/Shanghai, no daylight saving), as the
periods are. Reading a period's sums: ``analytics.period_sums``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from analytics.daily_sums import COLUMNS, MONTH_COLUMNS, SUMS, local_day, month_of, sums_of_rows
from feedback_api.db import Session, begin_write
from feedback_api.models import DailyRefresh, Feedback, FeedbackDaily, FeedbackMonthly

NAME = "feedback_daily"
#: How far before the last run's start a run looks again: longer than any write transaction
#: (a row's ``changed_at`` is taken when it is flushed, and seen once its transaction commits).
MARGIN = timedelta(minutes=10)
WRITE_WAIT_MS = 60_000
#: The state of a first run over no feedback at all.
NOTHING_YET = datetime(2000, 1, 1, tzinfo=UTC)
_DIRTY = "feedback_daily_dirty"
_DELTA = "feedback_monthly_delta"


@dataclass
class RefreshResult:
    full: bool
    pairs: int  # (window, day) pairs recomputed (every pair on a full run)
    since: datetime | None


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


def _insert_monthly(dialect: str) -> None:
    """Every monthly sum from the daily rows (the first run)."""
    d, m = FeedbackDaily.__table__, FeedbackMonthly.__table__
    month = month_of(d.c.day, dialect)
    Session.execute(m.insert().from_select(list(MONTH_COLUMNS), sa.select(
        d.c.window_id, month, d.c.topic, *[sa.func.sum(d.c[c]) for c in SUMS])
        .group_by(d.c.window_id, month, d.c.topic)))


def _daily_of(dirty: Any, dialect: str, sign: int) -> sa.Select[Any]:
    """The stored daily sums of the dirty pairs, by month (negated with ``sign`` -1)."""
    d = FeedbackDaily.__table__
    return (sa.select(d.c.window_id, month_of(d.c.day, dialect), d.c.topic,
                      *[d.c[c] if sign > 0 else -d.c[c] for c in SUMS])
            .select_from(dirty.join(d, sa.and_(d.c.window_id == dirty.c.window_id,
                                               d.c.day == dirty.c.day))))


def _add_to_months(delta: Any, dialect: str) -> None:
    """Add the changes of the days (``delta``: their new daily sums less their old ones) to the
    monthly sums; drop the monthly rows left counting nothing. The counts stay exact; a
    sentiment sum may drift in its last bits over many nights (``--full`` rebuilds)."""
    m = FeedbackMonthly.__table__
    keys = [delta.c.window_id, delta.c.month, delta.c.topic]
    insert = (postgresql.insert(m) if dialect == "postgresql" else sqlite.insert(m)).from_select(
        list(MONTH_COLUMNS),
        # WHERE true: SQLite's parser needs a WHERE before an upsert's ON CONFLICT.
        sa.select(*keys, *[sa.func.sum(delta.c[c]) for c in SUMS]).where(sa.true())
        .group_by(*keys))
    Session.execute(insert.on_conflict_do_update(
        index_elements=["window_id", "month", "topic"],
        set_={c: m.c[c] + insert.excluded[c] for c in SUMS}))
    Session.execute(sa.text(
        f"DELETE FROM feedback_monthly WHERE ratings = 0 AND opinions = 0 AND "
        f"(window_id, month, topic) IN (SELECT window_id, month, topic FROM {_DELTA})"))


def _newest_change(since: datetime | None) -> datetime | None:
    f = Feedback
    query = sa.select(sa.func.max(f.changed_at))
    return Session.scalar(query if since is None else query.where(f.changed_at >= since))


def _temp_table(name: str, columns: str, dialect: str) -> None:
    conn = Session.connection()
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({columns})"
                         + (" ON COMMIT DROP" if dialect == "postgresql" else ""))


def refresh(full: bool = False) -> RefreshResult:
    """Bring ``feedback_daily`` and ``feedback_monthly`` up to date (see the module's
    description), or rebuild them all (``full``: after rows were written by hand-made SQL,
    which sets no ``changed_at``); the caller commits. Starts its own transaction (whatever the
    session held is rolled back). The state kept is the newest change seen, not the clock: a
    run that finds nothing new changes nothing."""
    _lock()
    conn = Session.connection()
    dialect = conn.dialect.name
    state = Session.get(DailyRefresh, NAME, populate_existing=True)
    if state is None or full:
        Session.execute(sa.delete(FeedbackMonthly))
        Session.execute(sa.delete(FeedbackDaily))
        _insert(sums_of_rows(dialect))
        _insert_monthly(dialect)
        pairs = Session.scalar(sa.select(sa.func.count()).select_from(
            sa.select(FeedbackDaily.window_id, FeedbackDaily.day).distinct().subquery())) or 0
        newest = _newest_change(None) or NOTHING_YET
        if state is None:
            Session.add(DailyRefresh(name=NAME, changed_since=newest))
        else:
            state.changed_since = max(newest, state.changed_since)
        Session.flush()
        return RefreshResult(True, pairs, None)
    since = state.changed_since - MARGIN
    f = Feedback
    if dialect == "postgresql":
        # The planner cannot know a pair holds a day's rows, not a window's share of a range:
        # its estimates of the night's statements reach the JIT's threshold, and compiling
        # outweighs the work (figures: benchmarks/README.md, "A monthly roll-up…", EXPLAIN ANALYZE).
        Session.execute(sa.select(sa.func.set_config("jit", "off", True)))
    # The pairs to recompute, fixed once (the later statements must agree on them).
    _temp_table(_DIRTY, "window_id integer, day date", dialect)
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
        # The months change by what their changed days change: the days' old sums taken away,
        # their new sums added (reading the whole month of every changed day again would read
        # a month of every window's daily rows on a month's last night).
        real = "double precision" if dialect == "postgresql" else "real"
        _temp_table(_DELTA, "window_id integer, month date, topic varchar(32), " + ", ".join(
            f"{c} {real if c == 'sentiment_sum' else 'integer'}" for c in SUMS), dialect)
        delta = sa.table(_DELTA, *[sa.column(c) for c in MONTH_COLUMNS])
        Session.execute(delta.insert().from_select(list(MONTH_COLUMNS), _daily_of(d, dialect, -1)))
        Session.execute(sa.text(
            f"DELETE FROM feedback_daily WHERE (window_id, day) IN "
            f"(SELECT window_id, day FROM {_DIRTY})"))
        _insert(sums_of_rows(dialect, d))
        Session.execute(delta.insert().from_select(list(MONTH_COLUMNS), _daily_of(d, dialect, 1)))
        _add_to_months(delta, dialect)
        if dialect != "postgresql":
            conn.exec_driver_sql(f"DROP TABLE {_DELTA}")
    if dialect != "postgresql":
        conn.exec_driver_sql(f"DROP TABLE {_DIRTY}")
    newest = _newest_change(since)
    if newest is not None and newest > state.changed_since:
        state.changed_since = newest
    Session.flush()
    return RefreshResult(False, pairs, since)
