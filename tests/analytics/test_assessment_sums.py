"""The assessment read from the monthly sums (after the first refresh) equals the assessment read
from the feedback rows, also when rows changed after the last refresh (those days are corrected
live), for a month, a quarter and a year; so do the months a stored version keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from analytics import assessment, daily, period_sums, snapshot_compute
from analytics.assessment import Period
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

_openids = iter(f"oSums{i:019d}" for i in range(10_000))
PERIODS = (Period("quarter", 2026, 3), Period("month", 2026, 8), Period("month", 2026, 9),
           Period("year", 2026, 0), assessment.current_quarter())


def _rate(code: str, rating: int | None, at: datetime | None, text: str | None = None,
          openid: str | None = None, channel: str = "wechat") -> int:
    window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
    citizen = get_or_create_citizen(openid or next(_openids))
    return record_feedback(window, citizen=citizen, channel=channel,
                           rating=rating, text=text, received_at=at).feedback.id


def _analyse(fid: int, topic: str, sentiment: float) -> None:
    opinions.apply_analysis(
        Session.get(Feedback, fid), sentiment=sentiment,
        topics=[{"topic": topic, "confidence": 0.9}], keywords=[], masked_text="…", flags=[],
        model_version="t", uncertainty=0.1)


def _figures(period: Period) -> list[tuple]:  # type: ignore[type-arg]
    out = []
    for r in assessment.assess(period).rows:
        out.append((r.code, r.ratings, r.distribution, r.opinions, r.topics, r.bad_reviews,
                    r.bad_assessed, r.bad_rectified_rate, r.bad_callback_rate, r.bad_not_due,
                    r.bad_unticketed, r.bad_cancelled, r.rank_district,
                    r.ratings_wechat, r.ratings_h5, r.distribution_wechat, r.distribution_h5,
                    *[None if x is None else pytest.approx(x, abs=1e-9) for x in
                      (r.mean_rating, r.smoothed_rating, r.sentiment, r.composite)]))
    return out


def _months(period: Period) -> dict[int, list[list]]:  # type: ignore[type-arg]
    ids = list(Session.scalars(sa.select(Window.id)))
    return snapshot_compute._trend(period, ids)


def _both_ways(db) -> dict[Period, list[tuple]]:  # type: ignore[no-untyped-def,type-arg]
    """Every period's figures (and months) from the sums and from the rows: equal. Returns them."""
    with db():
        assert Session.get(DailyRefresh, daily.NAME) is not None
        from_sums = {p: _figures(p) for p in PERIODS}
        months_from_sums = {p: _months(p) for p in PERIODS}
        assert all(period_sums.window_topic_sums(p) is not None for p in PERIODS)
    with db():  # the same without the sums: read from the feedback rows
        state = Session.get(DailyRefresh, daily.NAME)
        saved = (state.changed_since,)
        Session.delete(state)
        Session.flush()
        from_rows = {p: _figures(p) for p in PERIODS}
        months_from_rows = {p: _months(p) for p in PERIODS}
        assert period_sums.window_topic_sums(PERIODS[0]) is None
        Session.rollback()  # the state row stays
        assert Session.get(DailyRefresh, daily.NAME).changed_since == saved[0]
    assert from_sums == from_rows
    assert months_from_sums == months_from_rows
    assert any(row[1] for row in from_rows[PERIODS[0]])  # there was something to compare
    for rows in from_rows.values():  # every counted rating is from WeChat or H5 here
        assert all(row[13] + row[14] == row[1] for row in rows)
        # ... and each channel's five levels add up to its count, and both to the distribution.
        assert all(sum(row[15].values()) == row[13] and sum(row[16].values()) == row[14]
                   and all(row[15][k] + row[16][k] == row[2][k] for k in range(1, 6))
                   for row in rows)
    return from_rows


def test_assessment_from_the_sums_equals_the_assessment_from_the_rows(db, district):
    aug = datetime(2026, 8, 10, 2, tzinfo=UTC)
    with db():
        agency, unit = users.get_user("agency"), users.get_user("unit")
        for k, rating in enumerate((5, 4, 4, 3, 1, 2, 5, 5)):
            _rate("CD-SW-001", rating, aug + timedelta(days=k, hours=k))
            _rate("CD-RMYY-001", 6 - max(rating, 1) if rating < 5 else 5, aug + timedelta(days=3 * k),
                  channel="h5" if k % 3 else "wechat")
        for k, (topic, s) in enumerate((("attitude", 0.1), ("efficiency", 0.8), ("attitude", 0.3))):
            _analyse(_rate("CD-SW-002", None, aug + timedelta(days=k), text="意见"), topic, s)
        bad = _rate("CD-SW-002", 1, aug)
        tid = ticket_open.open_from_feedback(agency, bad, now=aug).id
        ticket_loop.respond(unit, tid, "已整改", now=aug + timedelta(days=2))
        ticket_loop.verify(agency, tid, now=aug + timedelta(days=3))
        ticket_loop.record_callback(agency, tid, called_at=aug + timedelta(hours=5),
                                outcome="satisfied", now=aug + timedelta(hours=6))
        review.review_feedback(agency, _rate("CD-SW-001", 1, aug), {"valid": False})
        today_bad = _rate("CD-SW-001", 1, None)
    with db():
        daily.refresh()
    rmyy = next(row for row in _both_ways(db)[PERIODS[0]] if row[0] == "CD-RMYY-001")
    assert rmyy[13:15] == (3, 5)  # (WeChat, H5)
    # k = 0, 3, 6 on WeChat (5, 3, 5 after the mapping); 2, 2, 5, 4, 5 on H5.
    assert rmyy[15] == {1: 0, 2: 0, 3: 1, 4: 0, 5: 2}
    assert rmyy[16] == {1: 0, 2: 2, 3: 0, 4: 1, 5: 2}

    # Changes after the refresh, not yet refreshed: read live for their days.
    with db():
        agency, unit = users.get_user("agency"), users.get_user("unit")
        _rate("CD-SW-002", 2, aug + timedelta(days=1), channel="h5")
        _rate("CD-RMYY-002", 5, None, channel="h5")
        first = Session.scalar(sa.select(Feedback.id).where(Feedback.rating == 5).limit(1))
        review.review_feedback(agency, first, {"valid": False})
        _analyse(_rate("CD-SW-002", None, aug + timedelta(days=20), text="很好"), "environment", 0.9)
        appeal = appeals.file_appeal(unit, today_bad, kind="malicious", reason="未到窗口")
        appeals.decide_appeal(agency, appeal.id, upheld=True, reason="属实")
    _both_ways(db)

    with db():  # and after the next refresh
        daily.refresh()
    _both_ways(db)


def _rates(figures: list[tuple], code: str) -> tuple:  # type: ignore[type-arg]
    """(差评, 差评 judged, rectified rate, called-back rate) of a window."""
    return next(row[5:9] for row in figures if row[0] == code)


def test_outcomes_month_boundary_merges_and_the_first_refresh(db, district):
    """Ticket changes that change a 差评's outcome, before and after the refresh; a 差评 each
    side of a month's end (local time); a merge; a year's other quarter; the first refresh after
    the sums were dropped (as migration 0033 does) rebuilding everything."""
    before_midnight = datetime(2026, 8, 31, 15, 59, tzinfo=UTC)  # 23:59 on 31 August locally
    after_midnight = datetime(2026, 8, 31, 16, 1, tzinfo=UTC)  # 00:01 on 1 September
    q3, aug, sep = PERIODS[0], PERIODS[1], PERIODS[2]
    with db():
        agency, unit = users.get_user("agency"), users.get_user("unit")
        late = _rate("CD-SW-001", 1, before_midnight)
        early = _rate("CD-SW-001", 2, after_midnight)
        _rate("CD-SW-001", 4, after_midnight)
        _rate("CD-SW-002", 5, datetime(2026, 2, 3, 2, tzinfo=UTC))  # the year's first quarter
        _rate("CD-SW-002", 1, datetime(2025, 12, 31, 15, 59, tzinfo=UTC))  # 2025 locally
        _rate("CD-SW-002", 1, datetime(2025, 12, 31, 16, 1, tzinfo=UTC))  # 2026 locally
        tid = ticket_open.open_from_feedback(agency, late, now=after_midnight).id
        ticket_open.attach_feedback(agency, tid, early, now=after_midnight)
        ticket_loop.respond(unit, tid, "已整改", now=after_midnight + timedelta(hours=2))
        twice = [_rate("CD-RMYY-001", 2, datetime(2026, 9, 3 + k, 2, tzinfo=UTC),
                       openid="oSumsTwice000000000000000") for k in (0, 1)]
    with db():
        daily.refresh()
    figures = _both_ways(db)
    assert _rates(figures[aug], "CD-SW-001") == (1, 1, 0.0, 0.0)
    assert _rates(figures[sep], "CD-SW-001") == (1, 1, 0.0, 0.0)
    assert _rates(figures[q3], "CD-SW-001") == (2, 2, 0.0, 0.0)

    with db():  # not refreshed: a call-back, then the ticket verified, read live
        ticket_loop.record_callback(users.get_user("agency"), tid,
                                    called_at=after_midnight + timedelta(hours=3),
                                    outcome="satisfied", now=after_midnight + timedelta(hours=4))
    assert _rates(_both_ways(db)[q3], "CD-SW-001") == (2, 2, 0.0, 1.0)
    with db():
        ticket_loop.verify(users.get_user("agency"), tid, now=after_midnight + timedelta(days=1))
    figures = _both_ways(db)
    assert _rates(figures[aug], "CD-SW-001") == (1, 1, 1.0, 1.0)
    assert _rates(figures[sep], "CD-SW-001") == (1, 1, 1.0, 1.0)
    with db():
        daily.refresh()
    assert _rates(_both_ways(db)[q3], "CD-SW-001") == (2, 2, 1.0, 1.0)

    # A running ticket called back: a 差评 attached, then detached, unrefreshed and refreshed.
    with db():
        agency = users.get_user("agency")
        other = ticket_open.open_from_feedback(agency, twice[0], now=after_midnight).id
        ticket_loop.record_callback(agency, other, called_at=after_midnight + timedelta(hours=1),
                                    outcome="unreachable", now=after_midnight + timedelta(hours=2))
    with db():
        daily.refresh()
    assert _rates(_both_ways(db)[sep], "CD-RMYY-001") == (2, 1, 0.0, 1.0)  # one never ticketed
    with db():
        ticket_open.attach_feedback(users.get_user("agency"), other, twice[1], now=after_midnight)
    assert _rates(_both_ways(db)[sep], "CD-RMYY-001") == (2, 2, 0.0, 1.0)
    with db():
        daily.refresh()
    assert _rates(_both_ways(db)[sep], "CD-RMYY-001") == (2, 2, 0.0, 1.0)
    with db():
        ticket_links.detach_feedback(users.get_user("agency"), other, twice[1], "另一问题")
    assert _rates(_both_ways(db)[sep], "CD-RMYY-001") == (2, 1, 0.0, 1.0)

    # A merge: the second 差评 becomes the first's duplicate and stops counting.
    with db():
        desk.merge_duplicate(users.get_user("agency"), twice[1], twice[0], "同一问题重复提交")
    assert _rates(_both_ways(db)[sep], "CD-RMYY-001") == (1, 1, 0.0, 1.0)
    with db():
        daily.refresh()
    figures = _both_ways(db)
    assert _rates(figures[sep], "CD-RMYY-001") == (1, 1, 0.0, 1.0)
    year = next(row for row in figures[PERIODS[3]] if row[0] == "CD-SW-002")
    assert year[1:3] == (2, {1: 1, 2: 0, 3: 0, 4: 0, 5: 1})  # 2025's last minute left out

    # The first refresh after the sums were dropped (migration 0033) rebuilds them all.
    with db():
        Session.execute(sa.delete(DailyRefresh))
        Session.execute(sa.update(FeedbackDaily).values(ratings=FeedbackDaily.ratings + 7))
        Session.execute(sa.update(FeedbackMonthly).values(ratings=0))
    with db():
        assert daily.refresh().full
    assert _both_ways(db) == figures
