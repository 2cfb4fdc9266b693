"""Plain mode's replay guard: a signed query (nonce, signature) carries one body only.

In plain mode WeChat's signature covers token, timestamp and nonce, not the body, so whoever
holds one signed callback URL could post any body under it while its timestamp is accepted
(``protocol.MAX_CLOCK_SKEW``). Each plain-mode query is remembered, in the database so every
worker shares it, with its body's hash until its timestamp expires: the same body again is
WeChat's retry (answered as before); another body is refused. Safe mode needs none of this:
msg_signature covers the ciphertext.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from wechat_bot import protocol
from wechat_bot.models import WechatCallbackNonce


class Replayed(Exception):
    """The signed query was used before with another body."""


def query_key(nonce: str, signature: str) -> str:
    return hashlib.sha256(f"{nonce}|{signature.lower()}".encode()).hexdigest()


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def remember(key: str, digest: str, timestamp: str, *, now: datetime | None = None) -> None:
    """Record the query with its body in the message's transaction, or raise ``Replayed``.

    Two deliveries racing both insert: one commit fails on the primary key and the webhook runs
    the message again, which then finds the other's row (see ``views.handle_message``)."""
    now = now or utcnow()
    row = Session.get(WechatCallbackNonce, key, with_for_update=True)
    if row is not None and row.expires_at >= now:
        if row.body_sha256 != digest:
            raise Replayed(key)
        return
    expires = datetime.fromtimestamp(int(timestamp), UTC) + timedelta(
        seconds=protocol.MAX_CLOCK_SKEW)
    if row is None:
        Session.add(WechatCallbackNonce(key=key, body_sha256=digest, expires_at=expires))
    else:  # a stale row: its timestamp is no longer accepted, so it proves nothing
        row.body_sha256, row.expires_at = digest, expires


def is_replayed(key: str, digest: str, *, now: datetime | None = None) -> bool:
    """Whether a live remembered query carries another body (a read, for the retry path)."""
    row = Session.execute(sa.select(WechatCallbackNonce.body_sha256)
                          .where(WechatCallbackNonce.key == key,
                                 WechatCallbackNonce.expires_at >= (now or utcnow()))).first()
    return row is not None and row.body_sha256 != digest


def purge(now: datetime | None = None) -> int:
    """Forget queries whose timestamps are no longer accepted; the number of rows deleted."""
    result = Session.execute(sa.delete(WechatCallbackNonce)
                             .where(WechatCallbackNonce.expires_at < (now or utcnow())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
