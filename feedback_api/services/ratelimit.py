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


def _buckets(window: int, now: float | None) -> tuple[int, int]:
    """The current bucket and the first one inside the last ``window`` seconds."""
    bucket = int((time.time() if now is None else now) // BUCKET_SECONDS)
    return bucket, bucket - max(1, window // BUCKET_SECONDS) + 1


def _sum(key: str, first: int, before: int | None = None) -> int:
    stmt = sa.select(sa.func.coalesce(sa.func.sum(_t.c.hits), 0)).where(
        _t.c.key == key, _t.c.bucket >= first)
    if before is not None:
        stmt = stmt.where(_t.c.bucket < before)
    return int(Session.scalar(stmt) or 0)


def _now_and_then_forget_old(conn: sa.Connection, bucket: int) -> None:
    if secrets.randbelow(50) == 0:  # counters no window can reach
        conn.execute(sa.delete(_t).where(_t.c.bucket < bucket - 24 * 3600 // BUCKET_SECONDS))


def recent(scope: str, subject: str, *, window: int, now: float | None = None) -> int:
    """The hits of ``subject`` under ``scope`` in the last ``window`` seconds."""
    _bucket, first = _buckets(window, now)
    return _sum(key_for(scope, subject), first)


def hit(scope: str, subject: str, *, limit: int, window: int, now: float | None = None) -> bool:
    """Count a hit of ``subject`` under ``scope``; False (and not counted) when over ``limit``
    hits in the last ``window`` seconds."""
    bucket, first = _buckets(window, now)
    key = key_for(scope, subject)
    if _sum(key, first) >= limit:
        return False
    conn = Session.connection()
    conn.execute(_upsert(conn.dialect.name), {"key": key, "bucket": bucket})
    _now_and_then_forget_old(conn, bucket)
    return True


#: Built once (the WeChat webhook runs it on every message).
_RECENT_EACH = (sa.select(_t.c.key, sa.func.sum(_t.c.hits))
                .where(_t.c.key.in_(sa.bindparam("keys", expanding=True)),
                       _t.c.bucket >= sa.bindparam("first"))
                .group_by(_t.c.key))


def recent_each(subjects: list[tuple[str, str]], *, window: int,
                now: float | None = None) -> list[int]:
    """``recent`` for several (scope, subject) pairs in one query, in their order."""
    _bucket, first = _buckets(window, now)
    keys = [key_for(scope, subject) for scope, subject in subjects]
    sums = dict(Session.execute(_RECENT_EACH, {"keys": keys, "first": first}).all())
    return [int(sums.get(key) or 0) for key in keys]


def add(subjects: list[tuple[str, str]], *, now: float | None = None) -> None:
    """Count a hit of each (scope, subject), their limits already checked (``recent_each``)."""
    bucket, _first = _buckets(BUCKET_SECONDS, now)
    conn = Session.connection()
    conn.execute(_upsert(conn.dialect.name),
                 [{"key": key_for(scope, subject), "bucket": bucket} for scope, subject in subjects])
    _now_and_then_forget_old(conn, bucket)


def count(scope: str, subject: str, *, window: int, now: float | None = None) -> int:
    """Add a hit of ``subject`` under ``scope`` and return its hits in the last ``window``
    seconds, this one included. The addition and the read of the current minute are one
    statement (the row stays locked until commit), so racing requests get different counts."""
    bucket, first = _buckets(window, now)
    key = key_for(scope, subject)
    conn = Session.connection()
    current = conn.execute(_upsert(conn.dialect.name).returning(_t.c.hits),
                           {"key": key, "bucket": bucket}).scalar_one()
    _now_and_then_forget_old(conn, bucket)
    return int(current) + _sum(key, first, before=bucket)


def forget(scope: str, subject: str) -> None:
    """Drop every hit of ``subject`` under ``scope`` (a limit on failures in a row, after a success)."""
    Session.execute(sa.delete(_t).where(_t.c.key == key_for(scope, subject)))
