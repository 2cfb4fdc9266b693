"""Image evidence of a feedback, as the citizen's channel delivered it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_api.db import Base, UTCDateTime, utcnow
from feedback_api.models.feedback import Feedback


class FeedbackEvidence(Base):
    """An image a citizen sent as evidence of their latest feedback.

    The message carries the channel's media reference; the channel's evidence job downloads the
    image into the instance folder while the channel keeps it (``services.evidence``)."""

    __tablename__ = "feedback_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        sa.ForeignKey("feedback_items.id", ondelete="CASCADE"), index=True
    )
    #: The channel's media id (downloadable from the channel for a few days).
    media_id: Mapped[str] = mapped_column(sa.String(256), default="")
    pic_url: Mapped[str] = mapped_column(sa.String(1024), default="")
    source_msg_id: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The image saved by the evidence job: a file name in the instance's evidence folder.
    stored_name: Mapped[str | None] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    size_bytes: Mapped[int] = mapped_column(default=0, server_default="0")
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetch_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Why the last download failed ("" when it did not).
    fetch_error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    feedback: Mapped[Feedback] = relationship()
