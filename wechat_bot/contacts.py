"""WeChat citizens: the core's pseudonymous citizen, and the raw openid kept apart for replies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Citizen
from feedback_api.services import citizens
from wechat_bot.conversation import Conversation
from wechat_bot.models import CitizenContact, WechatConversation

#: A citizen's last-message time is kept to this precision: a message within it of the recorded
#: one writes nothing (a conversation's scan, rating and opinion come seconds apart). The
#: recorded time is then at most this much early, so WeChat's 48-hour allowance for
#: customer-service messages is judged on the safe side.
TOUCH_PRECISION = timedelta(seconds=60)


@dataclass
class Sender:
    """A message's sender as read under their lock: their citizen, when they last wrote (their
    contact's ``last_message_at``) and their conversation."""

    citizen_id: int
    last_message_at: datetime | None
    conversation: Conversation


_citizens = Citizen.__table__
_contacts = CitizenContact.__table__
_conversations = WechatConversation.__table__
#: Built once, as the statements below: every message runs it (building a statement costs
#: about as much as running it). Columns, not ORM objects: see ``conversation``.
_SENDER = (sa.select(_citizens.c.id, _contacts.c.last_message_at, _conversations.c.window_id,
                     _conversations.c.window_chosen_at, _conversations.c.latest_receipt_no,
                     _conversations.c.service_messages_sent)
           .join_from(_citizens, _contacts, _contacts.c.citizen_id == _citizens.c.id)
           .join(_conversations, _conversations.c.citizen_id == _citizens.c.id)
           .where(_citizens.c.pseudonym == sa.bindparam("pseudonym")).with_for_update())
_ROWS_OF = (sa.select(_contacts.c.citizen_id, _contacts.c.last_message_at,
                      _conversations.c.citizen_id, _conversations.c.window_id,
                      _conversations.c.window_chosen_at, _conversations.c.latest_receipt_no,
                      _conversations.c.service_messages_sent)
            .select_from(_citizens)
            .outerjoin(_contacts, _contacts.c.citizen_id == _citizens.c.id)
            .outerjoin(_conversations, _conversations.c.citizen_id == _citizens.c.id)
            .where(_citizens.c.id == sa.bindparam("citizen_id")))
_BY_OPENID = (sa.select(_contacts.c.citizen_id)
              .where(_contacts.c.openid == sa.bindparam("openid")).with_for_update())
_NEW_CONTACT = sa.insert(_contacts)
_NEW_CONVERSATION = sa.insert(_conversations)
_TOUCH_CONTACT = sa.update(_contacts).where(_contacts.c.citizen_id == sa.bindparam("cid"))
_TOUCH_CITIZEN = sa.update(_citizens).where(_citizens.c.id == sa.bindparam("cid"))


def find_sender(openid: str) -> Sender | None:
    """A known sender's citizen, contact and conversation, in one read that locks all three rows
    until the transaction ends (so a wait for the lock ends with the rows as the other message
    left them); None for anyone else. Nothing is written: see ``admit``."""
    row = Session.execute(_SENDER, {"pseudonym": citizens.pseudonym_for(openid)}).first()
    if row is None:
        return None
    citizen_id, last_message_at, *chosen = row
    return Sender(citizen_id, last_message_at, Conversation(citizen_id, *chosen))


def load_sender(openid: str, *, now: datetime | None = None) -> Sender:
    """The sender of an inbound message, created on first contact, with their conversation;
    records the message (``last_message_at`` opens WeChat's 48-hour window).

    The sender's rows stay locked until the transaction ends: two messages of one citizen
    handled at once run one after the other, each on the other's changes. (SQLite has no row
    locks; its message transactions hold the write lock from their start.)"""
    return admit(openid, find_sender(openid), now=now or utcnow())


def admit(openid: str, found: Sender | None, *, now: datetime) -> Sender:
    """``load_sender`` after ``find_sender`` found ``found``: records the message, creating the
    sender (or their missing rows) when they were not found."""
    if found is not None:
        _touch(found, now)
        return found
    pseudonym = citizens.pseudonym_for(openid)
    citizen = citizens.find_citizen(pseudonym, lock=True) or _rekeyed(openid, pseudonym)
    if citizen is None:
        citizen = citizens.create_citizen(pseudonym, now=now)
        Session.execute(_NEW_CONTACT, {"citizen_id": citizen.id, "openid": openid,
                                       "last_message_at": now})
        Session.execute(_NEW_CONVERSATION, {"citizen_id": citizen.id, "service_messages_sent": 0})
        return Sender(citizen.id, now, Conversation(citizen.id))
    # Rows missing (a citizen of another channel, say): read after the citizen's lock was
    # granted, so a concurrent message's changes are seen.
    contact_id, last_message_at, conversation_id, *chosen = Session.execute(
        _ROWS_OF, {"citizen_id": citizen.id}).one()
    if contact_id is None:
        Session.execute(_NEW_CONTACT, {"citizen_id": citizen.id, "openid": openid,
                                       "last_message_at": None})
    if conversation_id is None:
        Session.execute(_NEW_CONVERSATION, {"citizen_id": citizen.id, "service_messages_sent": 0})
        conv = Conversation(citizen.id)
    else:
        conv = Conversation(citizen.id, *chosen)
    sender = Sender(citizen.id, last_message_at, conv)
    _touch(sender, now)
    return sender


def _rekeyed(openid: str, pseudonym: str) -> Citizen | None:
    """A returning citizen whose pseudonym changed (WW_CITIZEN_HASH_KEY was rotated): their
    contact row, keyed by the openid, finds them, and they take the new pseudonym, so their
    next message is found directly (and no second contact row conflicts on the openid)."""
    citizen_id = Session.scalar(_BY_OPENID, {"openid": openid})
    if citizen_id is None:
        return None
    citizen = Session.get(Citizen, citizen_id, with_for_update=True)
    if citizen is not None:
        citizen.pseudonym = pseudonym
    return citizen


def _touch(sender: Sender, now: datetime) -> None:
    last = sender.last_message_at
    if last is None or not timedelta(0) <= now - last < TOUCH_PRECISION:
        Session.execute(_TOUCH_CONTACT, {"cid": sender.citizen_id, "last_message_at": now})
        Session.execute(_TOUCH_CITIZEN, {"cid": sender.citizen_id, "last_seen_at": now})
        sender.last_message_at = now


def get_or_create_citizen(openid: str, *, now: datetime | None = None) -> Citizen:
    """The citizen behind a WeChat openid, created on first contact (recording a message)."""
    citizen = Session.get(Citizen, load_sender(openid, now=now).citizen_id)
    assert citizen is not None
    return citizen


def chosen_window_id(openid: str, *, ttl_minutes: int, now: datetime | None = None) -> int | None:
    """The window the sender has chosen (scanned) and not let lapse, read without writing: what
    a message of theirs is about, for the per-window limit."""
    row = Session.execute(
        sa.select(WechatConversation.window_id, WechatConversation.window_chosen_at)
        .join(CitizenContact, CitizenContact.citizen_id == WechatConversation.citizen_id)
        .where(CitizenContact.openid == openid)).first()
    return _unexpired(row, ttl_minutes, now)


def chosen_window_of(sender: Sender, *, ttl_minutes: int,
                     now: datetime | None = None) -> int | None:
    """``chosen_window_id`` of a sender already read (``find_sender``)."""
    return _unexpired(sender.conversation, ttl_minutes, now)


def _unexpired(chosen: Any, ttl_minutes: int, now: datetime | None) -> int | None:
    if chosen is None or chosen.window_id is None or chosen.window_chosen_at is None:
        return None
    if (now or utcnow()) - chosen.window_chosen_at > timedelta(minutes=ttl_minutes):
        return None
    return int(chosen.window_id)


def openid_of(citizen_id: int) -> str | None:
    """The raw openid, for the one place that must reply to the citizen."""
    contact = Session.get(CitizenContact, citizen_id)
    return contact.openid if contact is not None else None
