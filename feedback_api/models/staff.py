"""A staff user's link to the citizen identity they use on a citizen channel (their own WeChat
account): alerts reach them there, and their own ratings of their windows can be recognised."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback_api.db import Base, UTCDateTime, utcnow


class StaffBinding(Base):
    """One per staff user: a pending binding code (its hash, short-lived), then the citizen
    identity that scanned it. The core never holds the channel's raw identity."""

    __tablename__ = "staff_bindings"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         unique=True)
    #: The bound citizen identity (null until the code is scanned).
    citizen_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("citizens.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the pending binding code (hex); null once used.
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
