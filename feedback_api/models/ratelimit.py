"""Counters of a rate limit shared by every worker process (per key and minute)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback_api.db import Base


class RateLimitHit(Base):
    """Hits of one key in one time bucket; the key is a keyed hash, never an address."""

    __tablename__ = "rate_limit_hits"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: Seconds since the epoch // the bucket length.
    bucket: Mapped[int] = mapped_column(primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(default=0)
