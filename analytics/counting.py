"""What counts in the assessment: THE filter of counted ratings, the opinions whose topics and
sentiment count, the main topic, and the smoothing of a window's mean rating."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from feedback_api.models import Feedback

# THE filter of counted ratings and the 差评 ratings live with the definition of a complaint, below
# analytics, so that the core's ticket job uses them too.
from feedback_api.services.complaints import BAD_RATINGS as BAD_RATINGS
from feedback_api.services.complaints import counted_feedback as counted_feedback

#: How many ratings at the industry mean the smoothing adds to each window (see ``smoothed``).
PRIOR_RATINGS = 10
#: The citizens' channels whose counted ratings are shown apart (issue 12: WeChat and H5).
SPLIT_CHANNELS = ("wechat", "h5")


def split_sum(values: list[int | None]) -> int | None:
    """The sum of some rows' counts of one channel; None when a row has none (a version published
    before the channels were kept), which pages show as "—"."""
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def split_levels(values: list[dict[int, int] | None]) -> dict[int, int] | None:
    """The five-level distribution of some rows' ratings of one channel, by level; None as in
    ``split_sum``."""
    if any(v is None for v in values):
        return None
    return {k: sum(v[k] for v in values if v is not None) for k in range(1, 6)}


def counted_opinions() -> sa.ColumnElement[bool]:
    """Opinions whose topics and sentiment count: analysed, not marked invalid, and not merged
    into another as its duplicate (the desk's merge)."""
    return sa.and_(Feedback.analyzed_at.is_not(None), Feedback.review_state != "invalid",
                   Feedback.duplicate_of_id.is_(None))


def primary_topic() -> sa.ColumnElement[Any]:
    """An opinion's main topic: the reviewer's first topic, else the model's first (kept in
    ``Feedback.main_topic`` whenever either is set)."""
    return Feedback.main_topic


def smoothed(total: float, n: int, prior_mean: float, prior_weight: float = PRIOR_RATINGS) -> float:
    """The Bayesian average of a window's ratings: its ratings plus ``prior_weight`` imagined
    ratings at its industry's mean, averaged.

    Why this estimator: with three ratings of 5 a window's raw mean is 5.0, and with one 1 it is
    1.0; neither says much. The Bayesian average pulls a small sample toward the industry mean and
    lets a large one speak for itself (at 10 ratings it is halfway, at 200 within 5 %), stays on the
    1–5 scale the office reads, and uses all five levels. A Wilson lower bound would rate the share
    of good reviews only and pull every small sample down, below the mean, not toward it."""
    return (prior_weight * prior_mean + total) / (prior_weight + n)
