"""The outbox's backlog for /healthz: messages to citizens waiting past their send time (the
WeChat API down or slow), and those given up after every retry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from wechat_bot.models import OutboundMessage

#: The outbox job runs every minute; a message still waiting this long after it was due is late.
LATE_AFTER = timedelta(minutes=5)


def outbox_backlog() -> dict[str, Any]:
    now = utcnow()
    pending, late, oldest = Session.execute(
        sa.select(sa.func.count(),
                  sa.func.count().filter(OutboundMessage.next_attempt_at < now - LATE_AFTER),
                  sa.func.min(OutboundMessage.created_at))
        .where(OutboundMessage.status == "pending")).one()
    failed = Session.scalar(sa.select(sa.func.count()).where(OutboundMessage.status == "failed"))
    return {"status": "backlog" if late else "ok", "pending": pending, "late": late,
            "failed": failed or 0,
            "oldest_pending_at": oldest.isoformat() if oldest is not None else None}
