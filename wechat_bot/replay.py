"""Plain mode's replay guard: a signed query (nonce, signature) carries one body only.

In plain mode WeChat's signature covers token, timestamp and nonce, not the body, so whoever
holds one signed callback URL could post any body under it while its timestamp is accepted
(``protocol.MAX_CLOCK_SKEW``). Each plain-mode message's log row (``inbound.record``) keeps its
query's key, unique, and its body's hash, in the database so every worker shares them: a
message under a query already used fails at commit, like WeChat's retry of a message already
answered, and the webhook then asks ``is_replayed``: the same body again is WeChat's retry
(answered as before); another body is refused. The log is kept for days, far longer than a
timestamp is accepted. Safe mode needs none of this: msg_signature covers the ciphertext.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from feedback_api.db import Session
from wechat_bot.models import WechatInboundMessage


def query_key(nonce: str, signature: str) -> str:
    return hashlib.sha256(f"{nonce}|{signature.lower()}".encode()).hexdigest()


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def is_replayed(key: str, digest: str) -> bool:
    """Whether the query was used with another body (a read, for the webhook's retry path)."""
    row = Session.execute(sa.select(WechatInboundMessage.body_sha256)
                          .where(WechatInboundMessage.query_key == key)).first()
    return row is not None and row.body_sha256 != digest
