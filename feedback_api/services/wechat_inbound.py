"""The inbound WeChat message log (each message handled once) and image evidence."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, upsert_insert, utcnow
from feedback_api.fastsql import Prepared, batch, current_dialect, fill_defaults, with_defaults
from feedback_api.models import (
    FeedbackEvidence,
    WechatInboundMessage,
)
from feedback_api.services import citizens, conversation
from feedback_api.services.conversation import Conversation


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


def _claim_statement(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (dedup_key) DO NOTHING RETURNING id`` in the engine's dialect."""
    values = with_defaults(_inbound, ("dedup_key", "msg_type", "event"))
    return (upsert_insert(dialect, _inbound).values(values)
            .on_conflict_do_nothing(index_elements=["dedup_key"]).returning(_inbound.c.id))


def _claim_and_load_statement(dialect: str) -> Any:
    """PostgreSQL: the claim and the sender's citizen and conversation in one statement (no
    row for a retry; NULLs after the claim's id for an unknown citizen)."""
    return conversation.load_by_pseudonym(_claim_statement(dialect).cte("claim"))


# Run on every WeChat message: prepared once, executed on the DBAPI cursor (see fastsql).
_CLAIM = Prepared(_claim_statement)
_CLAIM_AND_LOAD = Prepared(_claim_and_load_statement)
_SELECT_CLAIMED = Prepared(sa.select(_inbound.c.id, _inbound.c.reply).where(
    _inbound.c.dedup_key == sa.bindparam("key")))
_SET_REPLY = Prepared(_inbound.update().where(_inbound.c.id == sa.bindparam("claim_id")).values(
    reply=sa.bindparam("reply"), citizen_id=sa.bindparam("citizen")))


@dataclass
class Opened:
    claim: Claim
    #: The sender and its conversation, for a new interactive message.
    citizen_id: int | None = None
    conversation: Conversation | None = None


def open_message(key: str, *, msg_type: str, event: str | None, openid: str | None,
                 now: datetime | None) -> Opened:
    """Claim an inbound message and, given ``openid``, load its citizen and conversation and
    record the contact (see ``citizens.touch_due``); one round trip to the database.

    The log row is inserted first, so a retry arriving meanwhile waits for our answer: on
    PostgreSQL a concurrent insert of the same key waits for the first transaction and then
    inserts nothing; on SQLite the insert takes the write lock at the start of the transaction,
    so two workers never both read and then fail to upgrade to a write.

    For a retry (``claim.new`` is False) nothing else is loaded and nothing is written."""
    values = fill_defaults(_inbound, {
        "dedup_key": key, "msg_type": msg_type[:32], "event": (event or None) and event[:64]})
    loaded: tuple[Any, ...] | None = None  # the citizen's load row, if the citizen is known
    if openid is None:
        [claimed] = batch([(_CLAIM, values)])
    elif current_dialect() == "postgresql":
        # One statement: the server parses, binds and plans it once, and psycopg sends it once.
        # No row for a retry; NULLs after the claim's id for an unknown citizen.
        rows = _CLAIM_AND_LOAD.execute({**values, "pseudonym": citizens.pseudonym_for(openid)})
        claimed = [rows[0][:1]] if rows else []
        if rows and rows[0][1] is not None:
            loaded = rows[0][1:]
    else:
        claimed, load_rows = batch([(_CLAIM, values), (conversation.LOAD_BY_PSEUDONYM,
                                                      {"pseudonym": citizens.pseudonym_for(openid)})])
        loaded = load_rows[0] if load_rows else None
    if not claimed:
        row = _SELECT_CLAIMED.first({"key": key})
        assert row is not None
        return Opened(Claim(row[0], False, row[1]))
    claim = Claim(claimed[0][0], True)
    if openid is None:
        return Opened(claim)
    now = now or utcnow()
    if loaded is None:
        citizen_id = citizens.create_citizen(openid, now=now)
        return Opened(claim, citizen_id, conversation.Conversation(citizen_id))
    conv = conversation.from_row(loaded)
    if citizens.touch_due(conversation.last_message_of(loaded), now):
        citizens.touch_known_citizen(conv.citizen_id, now=now)
    return Opened(claim, conv.citizen_id, conv)


def record_reply(claim: Claim, reply: str, *, citizen_id: int | None) -> None:
    """Store the reply for retries; deferred to the transaction's next round trip."""
    _SET_REPLY.defer({"claim_id": claim.id, "reply": reply, "citizen": citizen_id})


_evidence = FeedbackEvidence.__table__
_INSERT_EVIDENCE = Prepared(_evidence.insert().values(
    with_defaults(_evidence, ("feedback_id", "media_id", "pic_url", "source_msg_id"))))


def attach_evidence(feedback_id: int, *, media_id: str, pic_url: str,
                    source_msg_id: str | None) -> None:
    """Keep an image as evidence of a feedback (deferred to the transaction's next round trip).

    The inbound log has claimed the source message, so it is stored once."""
    _INSERT_EVIDENCE.defer(fill_defaults(_evidence, {
        "feedback_id": feedback_id, "media_id": media_id[:256], "pic_url": pic_url[:1024],
        "source_msg_id": source_msg_id}))


def purge(older_than: datetime) -> int:
    """Forget the inbound log before ``older_than``: it only serves WeChat's retries, which come
    within seconds, and it holds who wrote and what we answered. The number of rows deleted."""
    result = Session.execute(sa.delete(WechatInboundMessage)
                             .where(WechatInboundMessage.received_at < older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
