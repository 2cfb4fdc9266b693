"""The inbound WeChat message log (each message handled once) and image evidence."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import (
    Feedback,
    FeedbackEvidence,
    WechatInboundMessage,
)


@dataclass
class Claim:
    id: int
    #: False when WeChat retried a message we already handled (or are handling).
    new: bool
    #: The stored reply, for a retry.
    reply: str | None = None


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


_inbound = WechatInboundMessage.__table__
# Statements are built once: building them costs more than running them on this hot path.
_SELECT_CLAIMED = sa.select(_inbound.c.id, _inbound.c.reply).where(
    _inbound.c.dedup_key == sa.bindparam("key"))
_SET_REPLY = _inbound.update().where(_inbound.c.id == sa.bindparam("claim_id")).values(
    reply=sa.bindparam("reply"), citizen_id=sa.bindparam("citizen"))
_CLAIMS: dict[str, Any] = {}


def _insert_ignoring_duplicates(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (dedup_key) DO NOTHING RETURNING id`` in the engine's dialect."""
    stmt = _CLAIMS.get(dialect)
    if stmt is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = (insert(_inbound).on_conflict_do_nothing(index_elements=["dedup_key"])
                .returning(_inbound.c.id))
        _CLAIMS[dialect] = stmt
    return stmt


def claim_message(key: str, *, msg_type: str, event: str | None) -> Claim:
    """Insert the log row first, so a retry arriving meanwhile waits for our answer.

    On PostgreSQL a concurrent insert of the same key waits for the first transaction and
    then inserts nothing. Writing first also takes SQLite's write lock at the start of the
    transaction, so two workers never both read and then fail to upgrade to a write.
    """
    conn = Session.connection()
    new_id = conn.execute(_insert_ignoring_duplicates(conn.dialect.name), {
        "dedup_key": key, "msg_type": msg_type[:32], "event": (event or None) and event[:64],
        "received_at": utcnow()}).scalar()
    if new_id is not None:
        return Claim(new_id, True)
    row = conn.execute(_SELECT_CLAIMED, {"key": key}).one()
    return Claim(row.id, False, row.reply)


def record_reply(claim: Claim, reply: str, *, citizen_id: int | None) -> None:
    Session.connection().execute(_SET_REPLY, {"claim_id": claim.id, "reply": reply,
                                              "citizen": citizen_id})


def attach_evidence(
    item: Feedback, *, media_id: str, pic_url: str, source_msg_id: str | None
) -> FeedbackEvidence:
    """Keep an image as evidence of ``item``; the same source message is kept once."""
    if source_msg_id:
        existing = Session.scalars(
            sa.select(FeedbackEvidence).where(FeedbackEvidence.source_msg_id == source_msg_id)
        ).first()
        if existing is not None:
            return existing
    evidence = FeedbackEvidence(feedback_id=item.id, media_id=media_id[:256],
                                pic_url=pic_url[:1024], source_msg_id=source_msg_id)
    Session.add(evidence)
    Session.flush()
    return evidence


def evidence_count(item: Feedback) -> int:
    return Session.scalar(
        sa.select(sa.func.count()).select_from(FeedbackEvidence)
        .where(FeedbackEvidence.feedback_id == item.id)
    ) or 0
