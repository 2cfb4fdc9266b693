"""The outbox's backlog for /healthz: messages to citizens waiting past their send time (the
WeChat API down or slow), and those given up after every retry.

A message that keeps failing is rescheduled a little later each time (``outbox.retry_delay``),
so its next attempt is never far behind: it is late when it has failed and waited since it was
queued more than ``LATE_AFTER``, or when it is overdue with no attempt (the scheduler down)."""

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
    before = now - LATE_AFTER
    late_clause = sa.or_(OutboundMessage.next_attempt_at < before,
                         sa.and_(OutboundMessage.attempts > 0, OutboundMessage.created_at < before))
    pending, late, retrying, oldest = Session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(late_clause),
                  sa.func.count().filter(OutboundMessage.attempts > 0),
                  sa.func.min(OutboundMessage.created_at))
        .where(OutboundMessage.status == "pending")).one()
    failed = Session.scalar(sa.select(sa.func.count()).where(OutboundMessage.status == "failed"))
    return {"status": "backlog" if late else "ok", "pending": pending, "late": late,
            "retrying": retrying, "failed": failed or 0,
            "oldest_pending_at": oldest.isoformat() if oldest is not None else None}
