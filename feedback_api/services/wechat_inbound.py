"""The inbound WeChat message log (each message handled once) and image evidence."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.fastsql import Prepared, fill_defaults, with_defaults
from feedback_api.models import (
    Citizen,
    FeedbackEvidence,
    WechatInboundMessage,
)
from feedback_api.services import citizens, conversation
from feedback_api.services.conversation import Conversation


@dataclass
class Claim:
    #: False when WeChat retried a message we already handled.
    new: bool
    #: The stored reply, for a retry.
    reply: str | None = None
    #: For a new message: the log row, written with the reply (``record_reply``).
    values: dict[str, Any] | None = None


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
_citizens = Citizen.__table__


def _lookup_statement(dialect: str, *, with_citizen: bool) -> Any:
    """One read: the stored reply of an earlier delivery of the message (``claimed`` is its id,
    NULL for a new message), then, ``with_citizen``, the sender's citizen and conversation by
    the bound ``pseudonym`` (see ``conversation.load_by_pseudonym``).

    On PostgreSQL an unknown citizen also gets an id drawn from the sequence, so that the
    citizen is inserted with the message's other rows, in one statement (see fastsql)."""
    by_key = _inbound.c.dedup_key == sa.bindparam("key")
    claim = sa.select(sa.select(_inbound.c.id).where(by_key).scalar_subquery().label("claimed"),
                      sa.select(_inbound.c.reply).where(by_key).scalar_subquery().label("reply"))
    if not with_citizen:
        return claim
    if dialect == "postgresql":
        new_id = sa.case((_citizens.c.id.is_(None), sa.func.nextval(
            sa.func.pg_get_serial_sequence("citizens", "id"))), else_=None)
    else:
        new_id = sa.null()
    return conversation.load_by_pseudonym(claim.subquery("claim"),
                                          extra=(sa.cast(new_id, sa.BigInteger).label("new_id"),))


# Run on every WeChat message: prepared once, executed on the DBAPI cursor (see fastsql).
_LOOKUP = Prepared(lambda dialect: _lookup_statement(dialect, with_citizen=False))
_LOOKUP_AND_LOAD = Prepared(lambda dialect: _lookup_statement(dialect, with_citizen=True))
# A plain INSERT (no ON CONFLICT): a concurrent delivery of the same message makes the commit
# fail on the unique dedup_key, and the webhook then answers with what that one stored.
_INSERT_CLAIM = Prepared(_inbound.insert().inline().values(
    with_defaults(_inbound, ("dedup_key", "msg_type", "event", "reply", "citizen_id"))))


@dataclass
class Opened:
    claim: Claim
    #: The sender and its conversation, for a new interactive message.
    citizen_id: int | None = None
    conversation: Conversation | None = None


def open_message(key: str, *, msg_type: str, event: str | None, openid: str | None,
                 now: datetime | None) -> Opened:
    """Look an inbound message up and, given ``openid``, load its citizen and conversation and
    record the contact (see ``citizens.touch_due``); one read, one round trip.

    Nothing is written yet: the message's log row goes with its reply and the other writes
    (``record_reply``), so a message's rows are stored together or not at all. Two deliveries
    of one message handled at once (WeChat retries after 5 seconds) both get this far; the
    second to commit fails on the log's unique key and, run again, finds the first's reply.

    For a retry (``claim.new`` is False) nothing else is loaded and nothing is written."""
    values = fill_defaults(_inbound, {
        "dedup_key": key, "msg_type": msg_type[:32], "event": (event or None) and event[:64]})
    if openid is None:
        row = _LOOKUP.first({"key": key})
    else:
        row = _LOOKUP_AND_LOAD.first({"key": key, "pseudonym": citizens.pseudonym_for(openid)})
    assert row is not None
    if row[0] is not None:
        return Opened(Claim(False, row[1]))
    claim = Claim(True, values=values)
    if openid is None:
        return Opened(claim)
    now = now or utcnow()
    if row[3] is None:  # an unknown citizen
        citizen_id = citizens.create_citizen(openid, now=now, citizen_id=row[2])
        return Opened(claim, citizen_id, conversation.Conversation(citizen_id))
    conv = conversation.from_row(row)
    if citizens.touch_due(conversation.last_message_of(row), now):
        citizens.touch_known_citizen(conv.citizen_id, now=now)
    return Opened(claim, conv.citizen_id, conv)


def record_reply(claim: Claim, reply: str, *, citizen_id: int | None) -> None:
    """Log the message with its reply (for retries); deferred to the transaction's next round
    trip, with the message's other writes."""
    assert claim.values is not None, "a retry is not logged again"
    _INSERT_CLAIM.defer({**claim.values, "reply": reply, "citizen_id": citizen_id})


_evidence = FeedbackEvidence.__table__
_INSERT_EVIDENCE = Prepared(_evidence.insert().inline().values(
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
