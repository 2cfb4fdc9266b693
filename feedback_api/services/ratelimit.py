"""A rate limit counted in the database, so every worker process shares it.

Hits are counted per key and minute; a key's hits over the last ``window`` seconds are the sum of
its recent minutes (a sliding window, to the minute). The key is a keyed hash of what is limited
(an IP address, say), so no address is stored. Two requests racing may both pass at the limit's
edge; the limit is for abuse, not accounting. Services flush; the caller commits the hit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

import sqlalchemy as sa
from flask import current_app

from feedback_api.db import Session, upsert_insert
from feedback_api.models import RateLimitHit

BUCKET_SECONDS = 60
_t = RateLimitHit.__table__
_UPSERTS: dict[str, Any] = {}


def _upsert(dialect: str) -> Any:
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        ins = upsert_insert(dialect, _t).values(key=sa.bindparam("key"),
                                                bucket=sa.bindparam("bucket"), hits=1)
        stmt = _UPSERTS[dialect] = ins.on_conflict_do_update(
            index_elements=["key", "bucket"], set_={"hits": _t.c.hits + 1})
    return stmt


def key_for(scope: str, subject: str) -> str:
    secret = current_app.config["WW_CITIZEN_HASH_KEY"].encode()
    return hmac.new(secret, f"{scope}|{subject}".encode(), hashlib.sha256).hexdigest()[:64]


def hit(scope: str, subject: str, *, limit: int, window: int, now: float | None = None) -> bool:
    """Count a hit of ``subject`` under ``scope``; False (and not counted) when over ``limit``
    hits in the last ``window`` seconds."""
    now = time.time() if now is None else now
    bucket = int(now // BUCKET_SECONDS)
    first = bucket - max(1, window // BUCKET_SECONDS) + 1
    key = key_for(scope, subject)
    recent = Session.scalar(sa.select(sa.func.coalesce(sa.func.sum(_t.c.hits), 0))
                            .where(_t.c.key == key, _t.c.bucket >= first)) or 0
    if recent >= limit:
        return False
    conn = Session.connection()
    conn.execute(_upsert(conn.dialect.name), {"key": key, "bucket": bucket})
    if secrets.randbelow(50) == 0:  # now and then, forget counters no window can reach
        conn.execute(sa.delete(_t).where(_t.c.bucket < bucket - 24 * 3600 // BUCKET_SECONDS))
    return True
