"""Pseudonymous citizens: the core sees a keyed hash of their identity on their channel; the
channel keeps the raw identity apart, for replies."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from feedback_api.db import Session, utcnow
from feedback_api.models import Citizen


@dataclass(frozen=True)
class CitizenRef:
    """A citizen known by id, read without the ORM (a channel's conversation does)."""

    id: int


def pseudonym_for(identity: str, key: str | None = None) -> str:
    """HMAC-SHA256 of the channel's identity under the configured key (hex)."""
    key = key or current_app.config["WW_CITIZEN_HASH_KEY"]
    return hmac.new(key.encode(), identity.encode(), hashlib.sha256).hexdigest()


#: Prefix of an H5 browser's identity: its pseudonyms never meet a WeChat openid's.
H5_PREFIX = "h5:"


def pseudonym_for_h5(browser_id: str, key: str | None = None) -> str:
    """The pseudonym of an H5 browser (the random id in its signed cookie)."""
    return pseudonym_for(H5_PREFIX + browser_id, key)


#: Prefix of a client network's identity (never meets a citizen's).
NETWORK_PREFIX = "net:"


def network_hash_for(address: str | None, key: str | None = None) -> str | None:
    """The keyed hash of a client's network, for grouping H5 feedback by where it came from
    without keeping the address: an IPv4 address as is, an IPv6 address by its /64 (one
    subscriber's whole block). None for a missing or unparsable address."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    network = (ipaddress.ip_network(f"{ip}/64", strict=False) if ip.version == 6
               else ipaddress.ip_network(f"{ip}/32"))
    return pseudonym_for(NETWORK_PREFIX + str(network), key)


def find_or_create_citizen(pseudonym: str, *, now: datetime | None = None) -> Citizen:
    """The citizen with ``pseudonym``, created on first contact; their last contact recorded.
    A concurrent creation fails at the flush (see ``create_citizen``)."""
    citizen = find_citizen(pseudonym)
    if citizen is None:
        return create_citizen(pseudonym, now=now)
    citizen.last_seen_at = now or utcnow()
    return citizen


#: Built once (a WeChat citizen's first message runs it).
_BY_PSEUDONYM = sa.select(Citizen).where(Citizen.pseudonym == sa.bindparam("pseudonym"))
_BY_PSEUDONYM_LOCKED = _BY_PSEUDONYM.with_for_update(of=Citizen)


def find_citizen(pseudonym: str, *, lock: bool = False) -> Citizen | None:
    """The citizen with ``pseudonym``; ``lock`` holds their row until the transaction ends, so
    two messages of one citizen handled at once run one after the other."""
    stmt = _BY_PSEUDONYM_LOCKED if lock else _BY_PSEUDONYM
    return Session.scalars(stmt, {"pseudonym": pseudonym}).first()


def create_citizen(pseudonym: str, *, now: datetime | None = None) -> Citizen:
    """A new citizen. A concurrent creation of the same one fails at the flush (unique
    pseudonym); the unit of work's owner then runs again and finds it."""
    citizen = Citizen(pseudonym=pseudonym, last_seen_at=now or utcnow())
    Session.add(citizen)
    Session.flush()
    return citizen
