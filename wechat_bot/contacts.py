"""WeChat citizens: the core's pseudonymous citizen, and the raw openid kept apart for replies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Citizen
from feedback_api.services import citizens
from wechat_bot.conversation import get_conversation
from wechat_bot.models import CitizenContact, WechatConversation

#: A citizen's last-message time is kept to this precision: a message within it of the recorded
#: one writes nothing (a conversation's scan, rating and opinion come seconds apart). The
#: recorded time is then at most this much early, so WeChat's 48-hour allowance for
#: customer-service messages is judged on the safe side.
TOUCH_PRECISION = timedelta(seconds=60)


@dataclass
class Sender:
    citizen: Citizen
    conversation: WechatConversation
    contact: CitizenContact | None = None


#: Built once: every message runs it (building a statement costs about as much as running it).
_SENDER = (sa.select(Citizen, CitizenContact, WechatConversation)
           .join(CitizenContact, CitizenContact.citizen_id == Citizen.id)
           .join(WechatConversation, WechatConversation.citizen_id == Citizen.id)
           .where(Citizen.pseudonym == sa.bindparam("pseudonym")).with_for_update())


def find_sender(openid: str) -> Sender | None:
    """A known sender's citizen, contact and conversation, in one read that locks all three rows
    until the transaction ends (so a wait for the lock ends with the rows as the other message
    left them); None for anyone else. Nothing is written: see ``admit``."""
    row = Session.execute(_SENDER, {"pseudonym": citizens.pseudonym_for(openid)}).first()
    return None if row is None else Sender(citizen=row[0], conversation=row[2], contact=row[1])


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
        assert found.contact is not None
        _touch(found.citizen, found.contact, now)
        return found
    pseudonym = citizens.pseudonym_for(openid)
    citizen = citizens.find_citizen(pseudonym, lock=True) or _rekeyed(openid, pseudonym)
    if citizen is None:
        citizen = citizens.create_citizen(pseudonym, now=now)
        conv = WechatConversation(citizen_id=citizen.id, service_messages_sent=0)
        contact = CitizenContact(citizen_id=citizen.id, openid=openid, last_message_at=now)
        Session.add_all([contact, conv])
        return Sender(citizen, conv, contact)
    # Rows missing (a citizen of another channel, say): read after the citizen's lock was
    # granted, so a concurrent message's changes are seen.
    contact, conv = Session.execute(
        sa.select(CitizenContact, WechatConversation).select_from(Citizen)
        .outerjoin(CitizenContact, CitizenContact.citizen_id == Citizen.id)
        .outerjoin(WechatConversation, WechatConversation.citizen_id == Citizen.id)
        .where(Citizen.id == citizen.id)).one()
    if contact is None:
        contact = CitizenContact(citizen_id=citizen.id, openid=openid)
        Session.add(contact)
    _touch(citizen, contact, now)
    return Sender(citizen, conv if conv is not None else get_conversation(citizen.id), contact)


def _rekeyed(openid: str, pseudonym: str) -> Citizen | None:
    """A returning citizen whose pseudonym changed (WW_CITIZEN_HASH_KEY was rotated): their
    contact row, keyed by the openid, finds them, and they take the new pseudonym, so their
    next message is found directly (and no second contact row conflicts on the openid)."""
    citizen_id = Session.scalar(sa.select(CitizenContact.citizen_id)
                                .where(CitizenContact.openid == openid).with_for_update())
    if citizen_id is None:
        return None
    citizen = Session.get(Citizen, citizen_id, with_for_update=True)
    if citizen is not None:
        citizen.pseudonym = pseudonym
    return citizen


def _touch(citizen: Citizen, contact: CitizenContact, now: datetime) -> None:
    last = contact.last_message_at
    if last is None or not timedelta(0) <= now - last < TOUCH_PRECISION:
        contact.last_message_at = citizen.last_seen_at = now


def get_or_create_citizen(openid: str, *, now: datetime | None = None) -> Citizen:
    """The citizen behind a WeChat openid, created on first contact (recording a message)."""
    return load_sender(openid, now=now).citizen


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
