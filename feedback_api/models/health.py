"""Heartbeats of the platform's background processes, for /healthz."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback_api.db import Base, UTCDateTime


class Heartbeat(Base):
    """The last sign of life of one named process (the scheduler), written by the process itself."""

    __tablename__ = "process_heartbeats"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    host: Mapped[str] = mapped_column(sa.String(255), default="")
    pid: Mapped[int] = mapped_column(default=0)
