"""The agency's review of feedback, and each correction kept as training data for the NLP model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_api.db import Base, UTCDateTime, utcnow
from feedback_api.models.feedback import Feedback


class Correction(Base):
    """One review decision on one feedback: what the reviewer said the opinion is."""

    __tablename__ = "nlp_corrections"
    __table_args__ = (
        sa.CheckConstraint("sentiment is null or sentiment in (0, 1)", name="sentiment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        sa.ForeignKey("feedback_items.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The opinion as reviewed, so the training example survives later edits or deletion.
    text: Mapped[str] = mapped_column(sa.Text)
    #: False = not a real opinion about the window (spam, abuse, unrelated); null = not judged.
    valid: Mapped[bool | None]
    #: Corrected topic codes (``reference.TOPICS``); null = the prediction was not corrected.
    topics: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    #: Corrected sentiment: 1 positive, 0 negative; null = not corrected.
    sentiment: Mapped[int | None] = mapped_column(sa.SmallInteger)
    #: What the model had predicted when the reviewer corrected it.
    predicted_topics: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    predicted_sentiment: Mapped[float | None]
    model_version: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    feedback: Mapped[Feedback] = relationship()
