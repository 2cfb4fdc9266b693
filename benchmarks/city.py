"""A generated city's feedback and tickets, made inside the database (benchmarks only).

Each chunk of feedback rows is one ``INSERT ... SELECT`` over a recursive CTE counting the ids
(on both engines: SQLite has no ``generate_series`` built in); every random draw of a row is a
column of that CTE, so the row's fields agree with one another. Tickets, their rounds, links and
call-backs are then derived from the 差评 in SQL, with choices taken from the feedback id (half
of the 差评 get a ticket: 60% closed, 20% responded, 20% open; half called back). Python sends a
few statements instead of 5,000,000 rows: 40 minutes through ``executemany`` at 2,000 rows/s
became minutes.

The distributions are the earlier Python generator's: ratings 1–5 weighted 3/4/10/33/50, 5% of
ratings not counting (a later rating of the same citizen and day), 2% marked invalid, 30% of
the opinions analysed (sentiment, one topic), times uniform over 2026-06-20 .. 2026-10-10.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from feedback_api.db import UTCDateTime

START = datetime(2026, 6, 20, tzinfo=UTC)  # some rows fall before the quarter
END = datetime(2026, 10, 10, tzinfo=UTC)
CHUNK = 500_000


class Dialect:
    """The few expressions the two engines spell differently."""

    def __init__(self, name: str) -> None:
        self.pg = name == "postgresql"

    def rand(self) -> str:
        """Uniform in [0, 1)."""
        return "random()" if self.pg else "(abs(random()) % 1000000) / 1000000.0"

    def whole(self, x: str) -> str:
        """The integer part (PostgreSQL's CAST rounds, SQLite's truncates)."""
        return f"CAST(floor({x}) AS integer)" if self.pg else f"CAST({x} AS integer)"

    def plus_seconds(self, ts: str, seconds: str) -> str:
        if self.pg:
            return f"({ts} + ({seconds}) * interval '1 second')"
        # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' and compares text.
        return f"(datetime({ts}, '+' || CAST(({seconds}) AS integer) || ' seconds') || '.000000')"

    def to_date(self, ts: str) -> str:
        return f"CAST({ts} AS date)" if self.pg else f"date({ts})"

    def plus_days(self, day: str, days: str) -> str:
        return f"({day} + {days})" if self.pg else f"date({day}, '+' || ({days}) || ' days')"

    def receipt(self, prefix: str, i: str) -> str:
        if self.pg:
            return f"'{prefix}' || lpad(CAST({i} AS text), 12, '0')"
        return f"printf('{prefix}%012d', {i})"

    def json(self, text: str) -> str:
        return f"CAST({text} AS json)" if self.pg else text


def _times() -> list[sa.BindParameter]:  # type: ignore[type-arg]
    return [sa.bindparam("start", type_=UTCDateTime()), sa.bindparam("now", type_=UTCDateTime())]


def feedback_sql(d: Dialect, topics: Sequence[str], prefix: str = "B") -> sa.TextClause:
    """Feedback rows with ids :lo .. :hi over :windows windows, received uniformly in :span
    seconds from :start."""
    r = d.rand()
    whens = " ".join(f"WHEN {k} THEN '{t}'" for k, t in enumerate(topics))
    topic = f"CASE {d.whole(f'u_topic * {len(topics)}')} {whens} END"
    topics_json = d.json("""'[{"topic": "' || """ + topic + """ || '", "score": 0.8}]'""")
    return sa.text(f"""
        WITH RECURSIVE s(i, u_window, u_rating, u_time, u_counts, u_invalid, u_analysed,
                         u_topic, u_sentiment) AS (
            SELECT CAST(:lo AS integer), {r}, {r}, {r}, {r}, {r}, {r}, {r}, {r}
            UNION ALL
            SELECT i + 1, {r}, {r}, {r}, {r}, {r}, {r}, {r}, {r} FROM s WHERE i < :hi
        )
        INSERT INTO feedback_items (id, receipt_no, window_id, channel, rating, rating_counts,
            received_at, review_state, sentiment, topics, main_topic, analyzed_at, created_at,
            changed_at)
        SELECT i, {d.receipt(prefix, 'i')}, 1 + {d.whole('u_window * :windows')}, 'wechat',
            CASE WHEN u_rating < 0.03 THEN 1 WHEN u_rating < 0.07 THEN 2
                 WHEN u_rating < 0.17 THEN 3 WHEN u_rating < 0.50 THEN 4 ELSE 5 END,
            u_counts > 0.05,
            {d.plus_seconds(':start', 'u_time * :span')},
            CASE WHEN u_invalid < 0.02 THEN 'invalid' ELSE 'pending' END,
            CASE WHEN u_analysed < 0.3 THEN u_sentiment END,
            CASE WHEN u_analysed < 0.3
                 THEN {topics_json} END,
            CASE WHEN u_analysed < 0.3 THEN {topic} END,
            CASE WHEN u_analysed < 0.3 THEN :now END,
            :now, :now
        FROM s
    """).bindparams(*_times())


def insert_feedback(conn: sa.Connection, windows: int, first_id: int, count: int,
                    topics: Sequence[str], start: datetime = START, end: datetime = END,
                    now: datetime | None = None, prefix: str = "B", progress: bool = False) -> None:
    """``count`` feedback rows from id ``first_id``, in chunks (each its own statement)."""
    d = Dialect(conn.dialect.name)
    stmt = feedback_sql(d, topics, prefix)
    now = now or datetime.now(UTC)
    for lo in range(first_id, first_id + count, CHUNK):
        hi = min(lo + CHUNK, first_id + count) - 1
        conn.execute(stmt, {"lo": lo, "hi": hi, "windows": windows, "start": start,
                            "span": (end - start).total_seconds(), "now": now})
        if progress:
            print(f"  feedback rows {lo}..{hi}", flush=True)


def insert_tickets(conn: sa.Connection, now: datetime, min_feedback_id: int = 1) -> None:
    """A ticket per chosen 差评 (ticket id = feedback id), with its round, link and call-back."""
    d = Dialect(conn.dialect.name)
    opened = d.plus_seconds("f.received_at", "3600")
    due = d.plus_days(d.to_date(opened), "21")
    state = ("CASE WHEN (f.id / 2) % 10 < 6 THEN 'closed' WHEN (f.id / 2) % 10 < 8 "
             "THEN 'responded' ELSE 'open' END")
    conn.execute(sa.text(f"""
        INSERT INTO tickets (id, number, window_id, topic, problem, source, source_ref, opened_at,
            state, callback_due, callback_overdue, fix_due, overdue)
        SELECT f.id, 'DB-' || f.id, f.window_id, coalesce(f.main_topic, 'attitude'), '群众差评',
            'feedback', '', {opened}, {state}, {due}, false, {due}, false
        FROM feedback_items f
        WHERE f.rating <= 2 AND f.id % 2 = 0 AND f.id >= :lo
    """), {"lo": min_feedback_id})
    # Responded 1..30 days after opening unless open; late when after the deadline.
    responded = d.plus_seconds("t.opened_at", "86400 * (1 + (t.id * 31) % 30)")
    responded_or_null = f"CASE WHEN t.state <> 'open' THEN {responded} END"
    late = f"(t.state <> 'open' AND {d.to_date(responded)} > t.fix_due)"
    conn.execute(sa.text(f"""
        UPDATE tickets SET overdue = {late.replace('t.', '')},
            closed_at = CASE WHEN state = 'closed' THEN {responded.replace('t.', '')} END
        WHERE id >= :lo
    """), {"lo": min_feedback_id})
    conn.execute(sa.text(f"""
        INSERT INTO ticket_rounds (ticket_id, number, window_id, opened_at, due, responded_at,
            overdue, verdict_reason, verdict)
        SELECT t.id, 1, t.window_id, t.opened_at, t.fix_due, {responded_or_null}, t.overdue, '',
            CASE WHEN t.state = 'closed' THEN 'verified' END
        FROM tickets t WHERE t.id >= :lo
    """), {"lo": min_feedback_id})
    conn.execute(sa.text("""
        INSERT INTO ticket_feedback (ticket_id, feedback_id, attached_at)
        SELECT t.id, t.id, t.opened_at FROM tickets t WHERE t.id >= :lo
    """), {"lo": min_feedback_id})
    conn.execute(sa.text(f"""
        INSERT INTO ticket_callbacks (ticket_id, called_at, outcome, note, created_at)
        SELECT t.id, {d.plus_seconds('t.opened_at', '86400')}, 'satisfied', '', :now
        FROM tickets t WHERE (t.id / 20) % 2 = 0 AND t.id >= :lo
    """).bindparams(sa.bindparam("now", type_=UTCDateTime())), {"now": now, "lo": min_feedback_id})


def forget_runs(conn: sa.Connection, n_feedback: int) -> None:
    """Back to the generated city (``--reuse``): without an earlier run's night (its rows after
    the generated ids), daily and monthly sums and stored assessment versions."""
    conn.execute(sa.text("DELETE FROM feedback_items WHERE id > :n"), {"n": n_feedback})
    for table in ("feedback_monthly", "feedback_daily", "feedback_daily_refresh",
                  "assessment_snapshot_rows", "assessment_snapshots"):
        conn.execute(sa.text(f"DELETE FROM {table}"))
