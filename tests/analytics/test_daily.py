"""The nightly incremental run (feedback_daily, feedback_monthly): after each kind of change,
refreshing only the (window, day) pairs of changed rows, and the months of those days, gives
exactly the sums a full recompute gives; two runs at once are still correct."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from analytics import daily, daily_sums, scheduler
from analytics.daily_sums import CHANNEL_LEVELS
from feedback_api.db import Session
from feedback_api.models import DailyRefresh, Feedback, FeedbackDaily, FeedbackMonthly, Window
from feedback_api.services import (
    appeals,
    desk,
    opinions,
    review,
    ticket_links,
    ticket_loop,
    ticket_open,
    users,
)
from feedback_api.services.feedback import record_feedback
from wechat_bot.contacts import get_or_create_citizen

OPENID = "oDaily000000000000000000"
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def _rate(code: str, rating: int | None, at: datetime | None = None, openid: str = OPENID,
          text: str | None = None) -> int:
    window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
    citizen = get_or_create_citizen(openid)
    return record_feedback(window, citizen=citizen, channel="wechat", rating=rating, text=text,
                           received_at=at).feedback.id


def _rounded(rows: list[tuple]) -> list[tuple]:  # type: ignore[type-arg]
    # Float sums may differ in the last bits with the order rows are added in.
    return [(*r[:11], round(r[11], 9), *r[12:]) for r in rows]


def _refresh_and_compare(db) -> daily.RefreshResult:  # type: ignore[no-untyped-def]
    with db():
        result = daily.refresh()
    with db():
        stored, full = daily_sums.stored_sums(), daily_sums.full_sums()
        assert _rounded(stored) == _rounded(full)
        assert _rounded(daily_sums.stored_monthly()) == _rounded(daily_sums.full_monthly())
        # Then everything looks a day old, so the next run sees only what changes after this.
        Session.execute(sa.update(Feedback).values(changed_at=LONG_AGO))
        Session.execute(sa.update(DailyRefresh).values(changed_since=LONG_AGO + timedelta(days=1)))
    return result


def _sums(db) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    with db():
        return _rounded(daily_sums.stored_sums())


def _monthly(db) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    with db():
        return _rounded(daily_sums.stored_monthly())


def test_incremental_equals_full_recompute_after_each_kind_of_change(db, district):
    # Two local days apart by two minutes: 2026-08-10 23:59 and 2026-08-11 00:01 in Shanghai.
    late, early = datetime(2026, 8, 10, 15, 59, tzinfo=UTC), datetime(2026, 8, 11, 16, 1, tzinfo=UTC)
    with db():
        first = _rate("CD-SW-001", 5, late)
        _rate("CD-SW-001", 2, early, openid="oDaily000000000000000002")
        _rate("CD-SW-002", 4, late, openid="oDaily000000000000000003")
    result = _refresh_and_compare(db)
    assert result.full and result.pairs == 3
    with db():
        assert {(r[0], str(r[1])) for r in daily_sums.stored_sums()} >= {
            (Session.scalar(sa.select(Window.id).where(Window.code == "CD-SW-001")), "2026-08-10")}
    before = _sums(db)

    # Nothing changed: nothing recomputed, nothing different.
    assert _refresh_and_compare(db).pairs == 0
    assert _sums(db) == before

    # A new rating today (the citizen's second of the day: the first stops counting, a Core
    # UPDATE of rating_counts, which sets changed_at too).
    with db():
        today_first = _rate("CD-RMYY-001", 1, openid="oDaily000000000000000004")
        _rate("CD-RMYY-001", 3, openid="oDaily000000000000000004")
        assert Session.get(Feedback, today_first).rating_counts is False
    result = _refresh_and_compare(db)
    assert not result.full and result.pairs == 1
    assert _sums(db) != before
    before = _sums(db)

    # The agency marks an old rating invalid.
    with db():
        review.review_feedback(users.get_user("agency"), first, {"valid": False})
    assert _refresh_and_compare(db).pairs == 1
    assert _sums(db) != before
    before = _sums(db)

    # An opinion analysed (sentiment and main topic arrive later).
    with db():
        opinion = _rate("CD-SW-002", None, late, openid="oDaily000000000000000005", text="态度很差")
    _refresh_and_compare(db)
    with db():
        opinions.apply_analysis(
            Session.get(Feedback, opinion), sentiment=0.1,
            topics=[{"topic": "attitude", "confidence": 0.9}], keywords=["态度"],
            masked_text="态度很差", flags=[], model_version="t", uncertainty=0.2)
    assert _refresh_and_compare(db).pairs == 1
    assert _sums(db) != before
    before = _sums(db)

    # An upheld appeal takes a 差评 out.
    with db():
        bad = _rate("CD-SW-001", 1, openid="oDaily000000000000000006")
    _refresh_and_compare(db)
    before = _sums(db)
    with db():
        appeal = appeals.file_appeal(users.get_user("unit"), bad, kind="malicious",
                                     reason="当日未到窗口办理业务")
        appeals.decide_appeal(users.get_user("agency"), appeal.id, upheld=True, reason="属实")
        assert Session.get(Feedback, bad).rating_counts is False
    assert _refresh_and_compare(db).pairs == 1
    assert _sums(db) != before
    before = _sums(db)

    # A merge: the citizen's repeated rating of another day becomes a duplicate.
    with db():
        one = _rate("CD-SW-002", 2, datetime(2026, 9, 1, 2, tzinfo=UTC), openid="oDaily07")
        again = _rate("CD-SW-002", 2, datetime(2026, 9, 2, 2, tzinfo=UTC), openid="oDaily07")
    _refresh_and_compare(db)
    before = _sums(db)
    with db():
        desk.merge_duplicate(users.get_user("agency"), again, one, "同一问题重复提交")
    assert _refresh_and_compare(db).pairs == 1
    assert _sums(db) != before


def test_ticket_changes_leave_the_sums_alone(db, district):
    """What became of a 差评 depends on the assessment's clock and is not in the sums: opening,
    attaching, responding, a call-back, detaching, verifying and cancelling mark no feedback
    changed, so the refresh recomputes nothing."""
    aug, sep = datetime(2026, 8, 31, 15, 30, tzinfo=UTC), datetime(2026, 9, 1, 3, tzinfo=UTC)
    with db():
        first = _rate("CD-SW-001", 1, aug, openid="oDaily30")  # 23:30 on 31 August locally
        second = _rate("CD-SW-001", 2, sep, openid="oDaily31")  # 11:00 on 1 September
        third = _rate("CD-SW-001", 2, sep, openid="oDaily32")
    assert _refresh_and_compare(db).full
    before = _sums(db)
    with db():
        agency, unit, office = (users.get_user(n) for n in ("agency", "unit", "office"))
        tid = ticket_open.open_from_feedback(agency, first, now=aug).id
        ticket_open.attach_feedback(agency, tid, second, now=sep)
        ticket_open.attach_feedback(agency, tid, third, now=sep)
        ticket_loop.respond(unit, tid, "已整改", now=sep + timedelta(hours=1))
        ticket_loop.record_callback(agency, tid, called_at=sep + timedelta(hours=2),
                                    outcome="satisfied", now=sep + timedelta(hours=3))
        ticket_links.detach_feedback(agency, tid, third, "另一问题")
        ticket_loop.verify(agency, tid, now=sep + timedelta(days=1))
        other = ticket_open.open_from_feedback(agency, third, now=sep).id
        ticket_links.cancel_ticket(office, other, "不属于窗口问题")
    assert _refresh_and_compare(db).pairs == 0
    assert _sums(db) == before


def test_first_run_rebuilds_and_leaves_out_empty_groups(db, district):
    with db():
        _rate("CD-SW-001", None, datetime(2026, 8, 1, tzinfo=UTC), text="未分析的意见")
        stray = {"window_id": Session.scalar(sa.select(Window.id).limit(1)), "topic": "",
                 "ratings": 1, "rating_sum": 5, "r1": 0, "r2": 0, "r3": 0, "r4": 0, "r5": 1,
                 "opinions": 0, "sentiment_sum": 0, "sentiment_count": 0,
                 "ratings_wechat": 0, "ratings_h5": 1,
                 **dict.fromkeys(CHANNEL_LEVELS, 0), "r5_h5": 1}
        Session.add(FeedbackDaily(day=datetime(2020, 1, 1).date(), **stray))
        Session.add(FeedbackMonthly(month=datetime(2020, 1, 1).date(), **stray))
    with db():
        result = daily.refresh()
        assert result.full
        assert daily_sums.stored_sums() == [] == daily_sums.full_sums()  # the stray rows went too
        assert daily_sums.stored_monthly() == [] == daily_sums.full_monthly()


def test_two_runs_at_once_are_both_correct(app, db, district, monkeypatch):
    with db():
        for k in range(5):
            _rate("CD-SW-001", 1 + k, datetime(2026, 8, 1 + k, 3, tzinfo=UTC), openid=f"oDaily1{k}")
    real_lock = daily._lock
    job = scheduler.Job("assessment-daily-sums", daily.refresh, None, "")
    for round_ in ("first (full) run", "later (incremental) run"):
        both_ready = threading.Barrier(2, timeout=30)

        def lock(ready: threading.Barrier = both_ready) -> None:
            ready.wait()  # both runs have begun before either takes the lock
            real_lock()

        monkeypatch.setattr(daily, "_lock", lock)
        results: list[object] = []

        def run(out: list[object] = results) -> None:
            out.append(scheduler.run_job(app, job))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(results) == 2 and all(r is not None for r in results), round_  # none failed
        fulls = [r.full for r in results]  # type: ignore[attr-defined]
        assert fulls.count(True) == (1 if round_.startswith("first") else 0), round_
        with db():
            assert _rounded(daily_sums.stored_sums()) == _rounded(daily_sums.full_sums())
            assert _rounded(daily_sums.stored_monthly()) == _rounded(daily_sums.full_monthly())
            assert daily_sums.stored_monthly()  # there was something to compare
            assert Session.scalar(sa.select(sa.func.count()).select_from(DailyRefresh)) == 1
            _rate("CD-SW-002", 3, datetime(2026, 8, 9, 3, tzinfo=UTC), openid="oDaily20")


def test_cli_command_and_scheduled_job(app, db, district, runner):
    assert any(j.id == "assessment-daily-sums" for j in scheduler.all_jobs(app))
    with db():
        _rate("CD-SW-001", 4, datetime(2026, 8, 3, 3, tzinfo=UTC))
    first = runner.invoke(args=["assessment", "refresh-daily"])
    assert first.exit_code == 0, first.output
    assert "全部重算 1 个" in first.output
    again = runner.invoke(args=["assessment", "refresh-daily"])
    assert again.exit_code == 0 and "增量更新" in again.output, again.output
    with db():
        assert [(r[3], r[4]) for r in daily_sums.stored_sums()] == [(1, 4)]
        assert [(str(r[1]), r[3], r[4]) for r in daily_sums.stored_monthly()] == [("2026-08-01", 1, 4)]
        # A row written by hand-made SQL sets no changed_at: only a full run counts it.
        window_id = Session.scalar(sa.select(Window.id).where(Window.code == "CD-SW-001"))
        Session.execute(sa.insert(Feedback).values(
            receipt_no="HAND-1", window_id=window_id, rating=2, channel="wechat",
            received_at=datetime(2026, 8, 20, 4, tzinfo=UTC), changed_at=LONG_AGO))
    assert "增量更新" in runner.invoke(args=["assessment", "refresh-daily"]).output
    with db():
        assert [(r[3], r[4]) for r in daily_sums.stored_monthly()] == [(1, 4)]  # not seen
    full = runner.invoke(args=["assessment", "refresh-daily", "--full"])
    assert full.exit_code == 0 and "全部重算 2 个" in full.output, full.output
    with db():
        assert [(r[3], r[4]) for r in daily_sums.stored_monthly()] == [(2, 6)]
        assert _rounded(daily_sums.stored_sums()) == _rounded(daily_sums.full_sums())
