"""The inbound WeChat message log: each message is handled once, and a retry gets its reply."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import FeedbackEvidence
from wechat_bot.models import WechatInboundMessage


def dedup_key(*, msg_id: str | None, from_user: str, create_time: str, event: str | None,
              event_key: str = "") -> str:
    """``msg:<MsgId>`` for messages; events carry no MsgId, so hash sender, time and event.

    The EventKey is hashed too: a retry repeats it, while two scans of different windows in
    the same second are different events.
    """
    if msg_id:
        return f"msg:{msg_id}"[:80]
    raw = f"{from_user}|{create_time}|{event or ''}|{event_key}"
    digest = hashlib.sha256(raw.encode()).hexdigest()
    return f"evt:{digest[:64]}"


def stored_reply(key: str) -> str | None:
    """The reply given to an earlier delivery of the message; None for a new message."""
    row = Session.execute(sa.select(WechatInboundMessage.reply)
                          .where(WechatInboundMessage.dedup_key == key)).first()
    return None if row is None else row.reply or ""


_LOG = sa.insert(WechatInboundMessage.__table__)


def record(key: str, *, msg_type: str, event: str | None, reply: str,
           citizen_id: int | None, query_key: str | None = None,
           body_sha256: str | None = None) -> None:
    """Log the message with its reply, for WeChat's retries (and, in plain mode, its signed
    query and body's hash: ``replay``). A concurrent delivery of the same message fails here,
    on the unique key, once the other's transaction has committed (see the webhook)."""
    Session.execute(_LOG, {"dedup_key": key, "msg_type": msg_type[:32],
                           "event": (event or None) and event[:64], "reply": reply,
                           "citizen_id": citizen_id, "query_key": query_key,
                           "body_sha256": body_sha256})


def attach_evidence(feedback_id: int, *, media_id: str, pic_url: str,
                    source_msg_id: str | None) -> None:
    """Keep an image as evidence of a feedback (the log claimed its message: stored once)."""
    Session.add(FeedbackEvidence(feedback_id=feedback_id, media_id=media_id[:256],
                                 pic_url=pic_url[:1024], source_msg_id=source_msg_id))


def purge(older_than: datetime) -> int:
    """Forget the inbound log before ``older_than``: it only serves WeChat's retries, which come
    within seconds, and it holds who wrote and what we answered. The number of rows deleted."""
    result = Session.execute(sa.delete(WechatInboundMessage)
                             .where(WechatInboundMessage.received_at < older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
