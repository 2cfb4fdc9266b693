"""Citizens (pseudonymous) and their feedback (评价) on windows."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_api.db import Base, UTCDateTime, utcnow
from feedback_api.models.windows import Window

if TYPE_CHECKING:
    from feedback_api.models.users import User


class Citizen(Base):
    """A citizen as analytics, exports and reports see them: only a keyed hash of their identity
    on their channel (the channel keeps the raw identity apart)."""

    __tablename__ = "citizens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: HMAC-SHA256 of the channel's identity under WW_CITIZEN_HASH_KEY (hex).
    pseudonym: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Feedback(Base):
    __tablename__ = "feedback_items"
    __table_args__ = (
        sa.CheckConstraint("rating is null or (rating >= 1 and rating <= 5)", name="rating"),
        sa.CheckConstraint("review_state in ('pending', 'valid', 'invalid')", name="review_state"),
        sa.Index("ix_feedback_items_window_received", "window_id", "received_at"),
        # A citizen's ratings of a window on a day (the one that counts; every rating looks).
        sa.Index("ix_feedback_items_citizen_window_received", "citizen_id", "window_id",
                 "received_at"),
        # The desk's queue: a review state, newest first (see migration 0015).
        sa.Index("ix_feedback_items_review_received", "review_state", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 受理编号 given to the citizen, e.g. ``PJ20261128-7K3QX2``.
    receipt_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    #: Indexed first in ix_feedback_items_window_received.
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("windows.id"))
    #: Indexed first in ix_feedback_items_citizen_window_received.
    citizen_id: Mapped[int | None] = mapped_column(sa.ForeignKey("citizens.id"))
    #: Code from ``reference.CHANNELS``.
    channel: Mapped[str] = mapped_column(sa.String(16), default="wechat")
    #: 1 = 非常不满意 … 5 = 非常满意; null when the citizen only wrote an opinion.
    rating: Mapped[int | None] = mapped_column(sa.SmallInteger)
    #: Whether this rating counts: one rating per citizen, window and day (a later one replaces it),
    #: and none whose appeal (申诉) was upheld. Every count and score filters on it.
    rating_counts: Mapped[bool] = mapped_column(default=True)
    #: The opinion (意见建议) as the citizen wrote or spoke it.
    text: Mapped[str | None] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: The source message's id on its channel (a message id, a form nonce): stored once.
    source_msg_id: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    #: H5 only: keyed hash of the client's network (``citizens.network_hash_for``), never the
    #: address itself; many H5 citizens behind one address are a ballot-stuffing lead.
    #: Erased after WW_RETAIN_ADDRESS_DAYS.
    client_network_hash: Mapped[str | None] = mapped_column(sa.String(64))
    #: pending / valid / invalid, set by the agency's review.
    review_state: Mapped[str] = mapped_column(sa.String(16), default="pending")
    #: Set when the agency merged this feedback into another (same citizen, window and problem):
    #: a duplicate (重复) stays on record but its rating stops counting (``rating_counts``).
    duplicate_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("feedback_items.id", ondelete="SET NULL"), index=True)

    # NLP results, filled by analytics after the reply has gone out.
    sentiment: Mapped[float | None]
    topics: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    keywords: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    #: The opinion with personal data masked: what window units see.
    masked_text: Mapped[str | None] = mapped_column(sa.Text)
    flags: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    #: How unsure the model is of this analysis (0 sure … 1 unsure): the desk can sort by it.
    uncertainty: Mapped[float | None] = mapped_column(sa.Float)
    model_version: Mapped[str | None] = mapped_column(sa.String(64))
    analyzed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The agency's review: its topics and sentiment override the model's where set.
    reviewed_topics: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    #: 1 positive, 0 negative, as the reviewer judged it.
    reviewed_sentiment: Mapped[int | None] = mapped_column(sa.SmallInteger)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The opinion's main topic: the reviewer's first, else the model's first. Kept in step with
    #: ``topics`` and ``reviewed_topics`` (see below) so the assessment groups by a plain column
    #: instead of parsing JSON in every row.
    main_topic: Mapped[str | None] = mapped_column(sa.String(32))
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the row was last written (inserted or updated, through the ORM or a Core UPDATE of
    #: this table: ``onupdate``): the nightly refresh of ``feedback_daily`` recomputes the
    #: (window, day) pairs of rows changed since its last run. Null only for rows written by
    #: hand-made SQL (the first, full refresh counts them).
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow,
                                                        onupdate=utcnow, index=True)

    window: Mapped[Window] = relationship()
    citizen: Mapped[Citizen | None] = relationship()


def main_topic_of(reviewed: list[Any] | None, predicted: list[Any] | None) -> str | None:
    if reviewed:
        return reviewed[0] if isinstance(reviewed[0], str) else None
    if predicted and isinstance(predicted[0], dict):
        topic = predicted[0].get("topic")
        return topic if isinstance(topic, str) else None
    return None


@sa.event.listens_for(Feedback.topics, "set")
def _predicted_topics_set(target: Feedback, value: Any, _old: Any, _initiator: Any) -> None:
    target.main_topic = main_topic_of(target.reviewed_topics, value)


@sa.event.listens_for(Feedback.reviewed_topics, "set")
def _reviewed_topics_set(target: Feedback, value: Any, _old: Any, _initiator: Any) -> None:
    target.main_topic = main_topic_of(value, target.topics)


class FeedbackAnswer(Base):
    """A window unit's answer (答复) to a feedback, written by the unit, the agency or the office;
    the citizen's channel tells them (``services.notices``)."""

    __tablename__ = "feedback_answers"
    __table_args__ = (sa.Index("ix_feedback_answers_feedback_created", "feedback_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Indexed first in ix_feedback_answers_feedback_created.
    feedback_id: Mapped[int] = mapped_column(sa.ForeignKey("feedback_items.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    feedback: Mapped[Feedback] = relationship()
    #: Loaded with the answer: every list of answers names their authors.
    author: Mapped[User | None] = relationship(lazy="joined")
