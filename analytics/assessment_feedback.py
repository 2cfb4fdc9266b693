"""The feedback figures of the assessment, per window and period: counted ratings (per level and
their sum; from WeChat and from H5, each per level too) and counted opinions (per main topic,
with their sentiment). (What became of the 差评 is the ticket component's,
``analytics.assessment_tickets``: it depends on the clock.)

Two ways, with the same result:

* from the monthly sums (``feedback_monthly``) once they have been built: the stored sums of the
  period's months, corrected in the same statement for the (window, day) pairs whose rows
  changed since the last refresh (``period_sums.window_topic_sums``);
* from the feedback rows (before the first refresh).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import sqlalchemy as sa

from analytics import period_sums
from analytics.counting import SPLIT_CHANNELS, counted_feedback, counted_opinions, primary_topic
from analytics.periods import Period
from feedback_api.db import Session
from feedback_api.models import Feedback
from feedback_api.models.reference import TOPICS

if TYPE_CHECKING:
    from analytics.assessment import WindowAssessment


def feedback_figures(rows: dict[int, WindowAssessment], period: Period) -> dict[int, float]:
    """Fill every row's ratings, distribution, opinions, topics and sentiment; return the sum of
    each window's counted ratings."""
    for row in rows.values():
        row.ratings_wechat = row.ratings_h5 = 0
        row.distribution_wechat = dict.fromkeys(range(1, 6), 0)
        row.distribution_h5 = dict.fromkeys(range(1, 6), 0)
    sums = period_sums.window_topic_sums(period)
    if sums is None:
        return _from_rows(rows, period)
    rating_sums: dict[int, float] = {}
    sentiment: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
    for (window_id, topic, n, total, r1, r2, r3, r4, r5, opinions, s_sum, s_count,
         wechat, h5, *channel_levels) in sums:
        row = rows.get(window_id)
        if row is None:
            continue
        if n:
            row.ratings += int(n)
            for k, v in zip(range(1, 6), (r1, r2, r3, r4, r5), strict=True):
                row.distribution[k] += int(v)
            rating_sums[window_id] = rating_sums.get(window_id, 0.0) + float(total)
            row.ratings_wechat += int(wechat)  # type: ignore[operator]
            row.ratings_h5 += int(h5)  # type: ignore[operator]
            _add_levels(row, channel_levels)
        if opinions:
            row.opinions += int(opinions)
            if topic in TOPICS and topic != "other":
                row.topics.append((topic, int(opinions)))
        acc = sentiment[window_id]
        acc[0] += float(s_sum or 0)
        acc[1] += int(s_count or 0)
    _sentiment(rows, sentiment)
    return rating_sums


def _add_levels(row: WindowAssessment, levels: list[int]) -> None:
    """Add per-level counts of the split channels (``daily_sums.CHANNEL_LEVELS``' order:
    WeChat's five levels, then H5's) to the row's distributions per channel."""
    for dist, part in ((row.distribution_wechat, levels[:5]), (row.distribution_h5, levels[5:])):
        for k, v in zip(range(1, 6), part, strict=True):
            dist[k] += int(v or 0)  # type: ignore[index]


def _sentiment(rows: dict[int, WindowAssessment], sums: dict[int, list[float]]) -> None:
    for window_id, row in rows.items():
        s_sum, s_count = sums.get(window_id, (0.0, 0))
        row.sentiment = s_sum / s_count if s_count else None


def _from_rows(rows: dict[int, WindowAssessment], period: Period) -> dict[int, float]:
    start, end = period.utc_bounds()
    in_period = sa.and_(Feedback.received_at >= start, Feedback.received_at < end)
    # Ratings: counts per level and their sum, per window.
    level = [sa.func.sum(sa.case((Feedback.rating == k, 1), else_=0)) for k in range(1, 6)]
    rating_sums: dict[int, float] = {}
    by_channel = [sa.func.sum(sa.case((Feedback.channel == c, 1), else_=0)) for c in SPLIT_CHANNELS]
    # ... and per level of each split channel, in daily_sums.CHANNEL_LEVELS' order.
    channel_level = [sa.func.sum(sa.case((sa.and_(Feedback.channel == c, Feedback.rating == k), 1),
                                         else_=0))
                     for c in SPLIT_CHANNELS for k in range(1, 6)]
    for window_id, n, total, wechat, h5, *levels in Session.execute(
            sa.select(Feedback.window_id, sa.func.count(), sa.func.sum(Feedback.rating),
                      *by_channel, *level, *channel_level)
            .where(counted_feedback(), in_period).group_by(Feedback.window_id)):
        if window_id in rows:
            row = rows[window_id]
            row.ratings = n
            row.distribution = {k: int(levels[k - 1] or 0) for k in range(1, 6)}
            row.ratings_wechat, row.ratings_h5 = int(wechat), int(h5)
            _add_levels(row, levels[5:])
            rating_sums[window_id] = float(total)
    # Opinions: sentiment and the topic breakdown, per window and main topic (a plain column).
    sentiment = sa.func.coalesce(Feedback.reviewed_sentiment, Feedback.sentiment)
    sentiment_sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
    for window_id, code, n, s_sum, s_count in Session.execute(
            sa.select(Feedback.window_id, primary_topic(), sa.func.count(), sa.func.sum(sentiment),
                      sa.func.count(sentiment))
            .where(counted_opinions(), in_period).group_by(Feedback.window_id, primary_topic())):
        row = rows.get(window_id)
        if row is None:
            continue
        row.opinions += n
        acc = sentiment_sums[window_id]
        acc[0] += float(s_sum or 0)
        acc[1] += int(s_count or 0)
        if code in TOPICS and code != "other":
            row.topics.append((code, n))
    _sentiment(rows, sentiment_sums)
    return rating_sums

