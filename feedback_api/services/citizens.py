"""Pseudonymous citizens: analytics sees a keyed hash; the openid is kept apart for replies."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from feedback_api.db import Session, utcnow
from feedback_api.models import Citizen, CitizenContact


def pseudonym_for(openid: str, key: str | None = None) -> str:
    """HMAC-SHA256 of the openid under the configured key (hex)."""
    key = key or current_app.config["WW_CITIZEN_HASH_KEY"]
    return hmac.new(key.encode(), openid.encode(), hashlib.sha256).hexdigest()


_citizens, _contacts = Citizen.__table__, CitizenContact.__table__
# Built once: this runs on every WeChat message, where building statements costs more than
# running them, and the ORM's load-and-flush was the largest single cost.
_TOUCH_CITIZEN = _citizens.update().where(_citizens.c.id == sa.bindparam("cid")).values(
    last_seen_at=sa.bindparam("now"))
_TOUCH_CONTACT = _contacts.update().where(_contacts.c.citizen_id == sa.bindparam("cid")).values(
    last_message_at=sa.bindparam("now"))


def get_or_create_citizen(openid: str, *, touch: bool = True, now: datetime | None = None) -> Citizen:
    """The citizen behind a WeChat openid, created on first contact.

    ``touch`` records an inbound message: ``last_message_at`` opens WeChat's 48-hour window for
    customer-service messages."""
    pseudonym = pseudonym_for(openid)
    citizen = Session.scalars(sa.select(Citizen).where(Citizen.pseudonym == pseudonym)).first()
    now = now or utcnow()
    if citizen is None:
        citizen = Citizen(pseudonym=pseudonym, last_seen_at=now)
        Session.add(citizen)
        Session.flush()
        Session.add(CitizenContact(citizen_id=citizen.id, openid=openid, last_message_at=now))
        Session.flush()
        return citizen
    if touch:
        conn = Session.connection()
        conn.execute(_TOUCH_CITIZEN, {"cid": citizen.id, "now": now})
        conn.execute(_TOUCH_CONTACT, {"cid": citizen.id, "now": now})
        set_committed_value(citizen, "last_seen_at", now)
    return citizen


def openid_of(citizen_id: int) -> str | None:
    """The raw openid, for the one place that must reply to the citizen."""
    contact = Session.get(CitizenContact, citizen_id)
    return contact.openid if contact is not None else None
