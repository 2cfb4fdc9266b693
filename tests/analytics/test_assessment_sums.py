"""The assessment read from the per-day sums (after the first refresh) equals the assessment read
from the feedback rows, also when rows changed after the last refresh (those days are summed
live)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from analytics import assessment, daily
from analytics.assessment import Period
from feedback_api.db import Session
from feedback_api.models import DailyRefresh, Feedback, Window
from feedback_api.services import appeals, opinions, review, ticket_loop, ticket_open, users
from feedback_api.services.feedback import record_feedback
from wechat_bot.contacts import get_or_create_citizen

_openids = iter(f"oSums{i:019d}" for i in range(10_000))
PERIODS = (Period("quarter", 2026, 3), Period("month", 2026, 8), Period("year", 2026, 0),
           assessment.current_quarter())


def _rate(code: str, rating: int | None, at: datetime | None, text: str | None = None) -> int:
    window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
    return record_feedback(window, citizen=get_or_create_citizen(next(_openids)), channel="wechat",
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
                    r.bad_rectified_rate, r.bad_callback_rate, r.rank_district,
                    *[None if x is None else pytest.approx(x, abs=1e-9) for x in
                      (r.mean_rating, r.smoothed_rating, r.sentiment, r.composite)]))
    return out


def _both_ways(db) -> None:  # type: ignore[no-untyped-def]
    with db():
        assert Session.get(DailyRefresh, daily.NAME) is not None
        from_sums = {p: _figures(p) for p in PERIODS}
        assert all(daily.period_sums(p) is not None for p in PERIODS)
    with db():  # the same without the sums: read from the feedback rows
        state = Session.get(DailyRefresh, daily.NAME)
        saved = (state.changed_since,)
        Session.delete(state)
        Session.flush()
        from_rows = {p: _figures(p) for p in PERIODS}
        assert daily.period_sums(PERIODS[0]) is None
        Session.rollback()  # the state row stays
        assert Session.get(DailyRefresh, daily.NAME).changed_since == saved[0]
    assert from_sums == from_rows
    assert any(row[1] for row in from_rows[PERIODS[0]])  # there was something to compare


def test_assessment_from_the_sums_equals_the_assessment_from_the_rows(db, district):
    aug = datetime(2026, 8, 10, 2, tzinfo=UTC)
    with db():
        agency, unit = users.get_user("agency"), users.get_user("unit")
        for k, rating in enumerate((5, 4, 4, 3, 1, 2, 5, 5)):
            _rate("CD-SW-001", rating, aug + timedelta(days=k, hours=k))
            _rate("CD-RMYY-001", 6 - max(rating, 1) if rating < 5 else 5, aug + timedelta(days=3 * k))
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
    _both_ways(db)

    # Changes after the refresh, not yet refreshed: read live for their days.
    with db():
        agency, unit = users.get_user("agency"), users.get_user("unit")
        _rate("CD-SW-002", 2, aug + timedelta(days=1))
        _rate("CD-RMYY-002", 5, None)
        first = Session.scalar(sa.select(Feedback.id).where(Feedback.rating == 5).limit(1))
        review.review_feedback(agency, first, {"valid": False})
        _analyse(_rate("CD-SW-002", None, aug + timedelta(days=20), text="很好"), "environment", 0.9)
        appeal = appeals.file_appeal(unit, today_bad, kind="malicious", reason="未到窗口")
        appeals.decide_appeal(agency, appeal.id, upheld=True, reason="属实")
    _both_ways(db)

    with db():  # and after the next refresh
        daily.refresh()
    _both_ways(db)
