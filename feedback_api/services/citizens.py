"""Pseudonymous citizens: analytics sees a keyed hash; the openid is kept apart for replies."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from feedback_api.db import Session, utcnow
from feedback_api.fastsql import Prepared, fill_defaults, with_defaults
from feedback_api.models import Citizen, CitizenContact


def pseudonym_for(openid: str, key: str | None = None) -> str:
    """HMAC-SHA256 of the openid under the configured key (hex)."""
    key = key or current_app.config["WW_CITIZEN_HASH_KEY"]
    return hmac.new(key.encode(), openid.encode(), hashlib.sha256).hexdigest()


_citizens, _contacts = Citizen.__table__, CitizenContact.__table__
# Run on every WeChat message: prepared once, executed on the DBAPI cursor (see fastsql).
_FIND = Prepared(sa.select(_citizens.c.id).where(_citizens.c.pseudonym == sa.bindparam("pseudonym")))
_TOUCH_CITIZEN = Prepared(
    _citizens.update().where(_citizens.c.id == sa.bindparam("cid"))
    .values(last_seen_at=sa.bindparam("now")))
_TOUCH_CONTACT = Prepared(
    _contacts.update().where(_contacts.c.citizen_id == sa.bindparam("cid"))
    .values(last_message_at=sa.bindparam("now")))
_NEW_CITIZEN = Prepared(
    _citizens.insert().values(with_defaults(_citizens, ("pseudonym", "last_seen_at")))
    .returning(_citizens.c.id))
_NEW_CITIZEN_WITH_ID = Prepared(
    _citizens.insert().values(with_defaults(_citizens, ("id", "pseudonym", "last_seen_at"))))
_NEW_CONTACT = Prepared(
    _contacts.insert().values(with_defaults(_contacts, ("citizen_id", "openid", "last_message_at"))))


def touch_citizen(openid: str, *, now: datetime | None = None) -> int:
    """Record an inbound message of ``openid``'s citizen (created on first contact); its id."""
    now = now or utcnow()
    citizen_id = _FIND.scalar({"pseudonym": pseudonym_for(openid)})
    if citizen_id is None:
        return create_citizen(openid, now=now)
    touch_known_citizen(citizen_id, now=now)
    return int(citizen_id)


def create_citizen(openid: str, *, now: datetime, citizen_id: int | None = None) -> int:
    """A new citizen and its contact, for a first message; its id.

    Given ``citizen_id`` (drawn from the id sequence beforehand, as the webhook does on
    PostgreSQL), both inserts are deferred to the transaction's next round trip; a concurrent
    first message of the same citizen then makes the later commit fail (unique pseudonym)."""
    pseudonym = pseudonym_for(openid)
    values = fill_defaults(_citizens, {"pseudonym": pseudonym, "last_seen_at": now})
    if citizen_id is None:
        citizen_id = _NEW_CITIZEN.scalar(values)
        run = _NEW_CONTACT.execute
    else:
        _NEW_CITIZEN_WITH_ID.defer({**values, "id": citizen_id})
        run = _NEW_CONTACT.defer
    run(fill_defaults(
        _contacts, {"citizen_id": citizen_id, "openid": openid, "last_message_at": now}))
    return int(citizen_id)


#: A citizen's last-message time is kept to this precision: a message within it of the recorded
#: one writes nothing (a conversation's scan, rating and opinion come seconds apart). The
#: recorded time is then at most this much early, so WeChat's 48-hour allowance for
#: customer-service messages is judged on the safe side.
TOUCH_PRECISION = timedelta(seconds=60)


def touch_due(last_message_at: datetime | None, now: datetime) -> bool:
    """Whether a message at ``now`` must be recorded (see ``TOUCH_PRECISION``)."""
    return last_message_at is None or not (timedelta(0) <= now - last_message_at < TOUCH_PRECISION)


def touch_known_citizen(citizen_id: int, *, now: datetime) -> None:
    """Record an inbound message: ``last_message_at`` opens WeChat's 48-hour window for
    customer-service messages. Deferred to the transaction's next round trip (see fastsql)."""
    _TOUCH_CITIZEN.defer({"cid": citizen_id, "now": now})
    _TOUCH_CONTACT.defer({"cid": citizen_id, "now": now})


def get_or_create_citizen(openid: str, *, touch: bool = True, now: datetime | None = None) -> Citizen:
    """The citizen behind a WeChat openid, created on first contact.

    ``touch`` records an inbound message (see ``touch_citizen``)."""
    if not touch:
        citizen = Session.scalars(
            sa.select(Citizen).where(Citizen.pseudonym == pseudonym_for(openid))).first()
        if citizen is not None:
            return citizen
    citizen_id = touch_citizen(openid, now=now)
    citizen = Session.get(Citizen, citizen_id, populate_existing=True)
    assert citizen is not None
    return citizen


def openid_of(citizen_id: int) -> str | None:
    """The raw openid, for the one place that must reply to the citizen."""
    contact = Session.get(CitizenContact, citizen_id)
    return contact.openid if contact is not None else None
