"""The nightly incremental run (``analytics.daily.refresh``: the daily sums of the changed days and
the monthly sums of their months) beside reading one day's new rows,
on the city ``benchmarks/assessment.py`` generated (called from there, in the same run).

A night: one day's new feedback rows (the city's rows per day, generated in SQL for the local
day 2026-10-11) and, on older rows, the day's reviews (2% of a day's count marked invalid,
spread over the whole period: each touches a (window, day) pair of its own). The refresh then
recomputes the pairs of the changed rows. Timed best of ``repeat``: before each repeat the run's
state is set back to the night's start, so each recomputes the same pairs. The baseline reads
the new day's rows, every column, through the driver. Target (issue 14): under 3x.

Afterwards the sums are checked against the feedback rows (totals of counted ratings, their
sum, counted opinions and the 差评 rectified and called back over everything, in the daily and
in the monthly sums), so the timed run is also a correct one."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from analytics import assessment, daily, period_sums
from analytics.counting import counted_feedback, counted_opinions
from analytics.periods import Period
from benchmarks import city
from benchmarks._common import best_of
from feedback_api.db import Session
from feedback_api.models import (
    DailyRefresh,
    Feedback,
    FeedbackDaily,
    FeedbackMonthly,
)
from feedback_api.services import standards

NEW_DAY = datetime(2026, 10, 10, 16, tzinfo=UTC)  # 2026-10-11 00:00 in the district


def _read_new_day() -> int:
    return len(Session.execute(sa.select(Feedback.__table__).where(
        Feedback.received_at >= NEW_DAY, Feedback.received_at < NEW_DAY + timedelta(days=1))).all())


def _check() -> None:
    f = Feedback
    raw = Session.execute(sa.select(
        sa.func.count().filter(counted_feedback()),
        sa.func.sum(f.rating).filter(counted_feedback()),
        sa.func.count().filter(counted_opinions()))).one()
    for table in (FeedbackDaily, FeedbackMonthly):
        t = table.__table__
        kept = Session.execute(sa.select(*[sa.func.sum(t.c[c]) for c in (
            "ratings", "rating_sum", "opinions")])).one()
        assert tuple(int(x or 0) for x in raw) == tuple(int(x or 0) for x in kept), (raw, kept)


def first_refresh() -> None:
    """The first run of the refresh (no state yet): every daily and monthly sum rebuilt. Then
    the state is set to now, as after a night without changes: the generated rows share one
    changed_at, which the refresh's newest-change state would otherwise keep within its margin
    (every row read live)."""
    t = time.perf_counter()
    first = daily.refresh()
    Session.commit()
    print(f"daily and monthly sums, first run (full rebuild, {first.pairs} window-days): "
          f"{(time.perf_counter() - t) * 1000:.0f} ms")
    Session.execute(sa.update(DailyRefresh).values(changed_since=datetime.now(UTC)))
    Session.commit()


def measure(n_windows: int, n_feedback: int, repeat: int) -> None:
    if Session.get(DailyRefresh, daily.NAME) is None:
        first_refresh()
    # The generated rows share one changed_at (a day ago): the night starts from now, as if the
    # last run had seen a change now (else every row would be within the run's margin).
    night_start = datetime.now(UTC)
    Session.execute(sa.update(DailyRefresh).values(changed_since=night_start))
    Session.commit()
    per_day = round(n_feedback * 86400 / (city.END - city.START).total_seconds())
    conn = Session.connection()
    city.insert_feedback(conn, n_windows, n_feedback + 1, per_day, list(standards.CATEGORIES),
                         start=NEW_DAY, end=NEW_DAY + timedelta(days=1), prefix="N")
    reviewed = max(1, per_day // 50)
    Session.execute(sa.update(Feedback).where(Feedback.id <= n_feedback,
                                              Feedback.id % (n_feedback // reviewed) == 0)
                    .values(review_state="invalid"))
    Session.commit()
    times, pairs = [], 0
    for _ in range(repeat):
        Session.execute(sa.update(DailyRefresh).values(changed_since=night_start))
        Session.commit()
        t = time.perf_counter()
        pairs = daily.refresh().pairs
        Session.commit()
        times.append(time.perf_counter() - t)
    read_times = []
    for _ in range(repeat):
        t = time.perf_counter()
        rows = _read_new_day()
        read_times.append(time.perf_counter() - t)
        Session.rollback()
    _check()
    run, read = min(times), min(read_times)
    print(f"one day's new rows read: {read * 1000:.0f} ms ({rows} rows); the night also marked "
          f"{reviewed} older ratings invalid")
    print(f"nightly incremental run (daily sums of {pairs} window-days and their months "
          f"recomputed): "
          f"{run * 1000:.0f} ms, {run / read:.2f}x the day's rows (target under 3x); sums checked")


def measure_sums(period: Period, baseline: Callable[[], object], repeat: int,
                 label: str = "") -> None:
    """The quarterly assessment once the sums exist (the months' sums, corrected for the days
    changed since the refresh, live), beside the raw GROUP BY, in the same minutes; checked
    equal to the assessment read from the feedback rows."""
    assert period_sums.window_topic_sums(period) is not None
    base = best_of(baseline, repeat)
    from_sums = best_of(lambda: assessment.assess(period), repeat)
    print(f"quarterly assessment from the monthly sums{label}: {from_sums * 1000:.0f} ms beside the raw "
          f"GROUP BY's {base * 1000:.0f} ms: {from_sums / base:.2f}x (target at most 3x)")
    def figures() -> list[tuple[object, ...]]:
        return [(r.code, r.ratings, r.opinions, r.bad_reviews, r.bad_rectified_rate,
                 r.bad_callback_rate, r.composite) for r in assessment.assess(period).rows]

    with_sums = figures()
    Session.execute(sa.delete(DailyRefresh))  # read from the rows instead, then put back
    from_rows = figures()
    Session.rollback()
    assert [r[:6] for r in with_sums] == [r[:6] for r in from_rows]
    assert all(a[6] == b[6] or abs(a[6] - b[6]) < 1e-9  # type: ignore[operator]
               for a, b in zip(with_sums, from_rows, strict=True))
    print("  (equal to the assessment from the feedback rows: ratings, opinions, 差评 outcomes, "
          "composites)")
