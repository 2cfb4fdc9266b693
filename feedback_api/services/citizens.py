"""Pseudonymous citizens: analytics sees a keyed hash; the openid is kept apart for replies."""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from flask import current_app

from feedback_api.db import Session, utcnow
from feedback_api.models import Citizen, CitizenContact


def pseudonym_for(openid: str, key: str | None = None) -> str:
    """HMAC-SHA256 of the openid under the configured key (hex)."""
    key = key or current_app.config["WW_CITIZEN_HASH_KEY"]
    return hmac.new(key.encode(), openid.encode(), hashlib.sha256).hexdigest()


def get_or_create_citizen(openid: str, *, touch: bool = True) -> Citizen:
    """The citizen behind a WeChat openid, created on first contact."""
    pseudonym = pseudonym_for(openid)
    citizen = Session.scalars(sa.select(Citizen).where(Citizen.pseudonym == pseudonym)).first()
    now = utcnow()
    if citizen is None:
        citizen = Citizen(pseudonym=pseudonym, last_seen_at=now)
        Session.add(citizen)
        Session.flush()
        Session.add(CitizenContact(citizen_id=citizen.id, openid=openid, last_message_at=now))
        Session.flush()
        return citizen
    if touch:
        citizen.last_seen_at = now
        contact = Session.get(CitizenContact, citizen.id)
        if contact is not None:
            contact.last_message_at = now
        Session.flush()
    return citizen


def openid_of(citizen_id: int) -> str | None:
    """The raw openid, for the one place that must reply to the citizen."""
    contact = Session.get(CitizenContact, citizen_id)
    return contact.openid if contact is not None else None
