"""Per-window, per-day sums of the counted feedback (``feedback_daily``) and their roll-up per
month (``feedback_monthly``), kept by the nightly refresh (``analytics.daily``): what a period's
ratings and opinions add up to, without reading every feedback row of the period
again (periods are whole months)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback_api.db import Base, UTCDateTime


class _Sums:
    """The sums a day and a month both keep, per window and main topic."""

    #: Counted ratings (``analytics.counting.counted_feedback``), their sum and per level.
    ratings: Mapped[int]
    rating_sum: Mapped[int]
    r1: Mapped[int]
    r2: Mapped[int]
    r3: Mapped[int]
    r4: Mapped[int]
    r5: Mapped[int]
    #: Counted opinions (``counted_opinions``), and the sum and count of their sentiment.
    opinions: Mapped[int]
    sentiment_sum: Mapped[float]
    sentiment_count: Mapped[int]
    #: Of the counted ratings, those from WeChat and from the H5 page (shown apart: issue 12).
    ratings_wechat: Mapped[int]
    ratings_h5: Mapped[int]
    #: ... and those per level (r1_wechat = the 非常不满意 from WeChat, …), for the five-level
    #: distribution shown per channel.
    r1_wechat: Mapped[int]
    r2_wechat: Mapped[int]
    r3_wechat: Mapped[int]
    r4_wechat: Mapped[int]
    r5_wechat: Mapped[int]
    r1_h5: Mapped[int]
    r2_h5: Mapped[int]
    r3_h5: Mapped[int]
    r4_h5: Mapped[int]
    r5_h5: Mapped[int]


class FeedbackDaily(_Sums, Base):
    """One window's counted ratings and opinions of one day (the district's clock) and main
    topic ('' for feedback without one). The ratings count under their row's main topic too; a
    period's figures are the sums over its days."""

    __tablename__ = "feedback_daily"

    window_id: Mapped[int] = mapped_column(sa.ForeignKey("windows.id"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(32), primary_key=True)


class FeedbackMonthly(_Sums, Base):
    """The sums of ``feedback_daily`` over one calendar month (``month`` is its first day), per
    window and main topic: a quarter is some 54,000 of these rows at a city's scale, against a
    million daily rows. The refresh adds each changed day's new-less-old sums to its month."""

    __tablename__ = "feedback_monthly"

    window_id: Mapped[int] = mapped_column(sa.ForeignKey("windows.id"), primary_key=True)
    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(32), primary_key=True)


class DailyRefresh(Base):
    """Where the refresh of ``feedback_daily`` and ``feedback_monthly`` stands: the newest
    ``changed_at`` its runs have seen (rows changed from a margin before it are looked at again
    by the next run)."""

    __tablename__ = "feedback_daily_refresh"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    changed_since: Mapped[datetime] = mapped_column(UTCDateTime)
