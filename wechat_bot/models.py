"""WeChat's tables: contacts (raw openids), conversations, the inbound log, QR codes, the outbox.

The schema stays in ``migrations/``; ``migrations/env.py`` imports this module with the core's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_api.db import Base, UTCDateTime, utcnow
from feedback_api.models import Citizen, Window


class CitizenContact(Base):
    """The raw openid, kept apart from the core's pseudonymous citizen: read only where a reply
    to that citizen needs it."""

    __tablename__ = "citizen_contacts"

    citizen_id: Mapped[int] = mapped_column(
        sa.ForeignKey("citizens.id", ondelete="CASCADE"), primary_key=True
    )
    openid: Mapped[str] = mapped_column(sa.String(128), unique=True)
    #: The citizen's last inbound message (WeChat allows service messages for 48 hours after it).
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WechatConversation(Base):
    """One citizen's conversation with the official account: the chosen window and counters."""

    __tablename__ = "wechat_conversations"

    citizen_id: Mapped[int] = mapped_column(
        sa.ForeignKey("citizens.id", ondelete="CASCADE"), primary_key=True
    )
    #: The window the citizen last chose by scanning (or typing its code).
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("windows.id"))
    #: When the window was chosen; the choice lapses after WW_WECHAT_SESSION_MINUTES.
    window_chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The citizen's latest feedback, by receipt number: an image sent next is its evidence.
    latest_receipt_no: Mapped[str | None] = mapped_column(
        sa.String(32), sa.ForeignKey("feedback_items.receipt_no", ondelete="SET NULL")
    )
    #: Customer-service messages sent since the citizen's last inbound message (WeChat allows 5).
    service_messages_sent: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    window: Mapped[Window | None] = relationship()


class WechatInboundMessage(Base):
    """Each message or event, stored once: WeChat retries slow replies; a retry gets this reply."""

    __tablename__ = "wechat_inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``msg:<MsgId>`` for messages, ``evt:<hash of FromUserName, CreateTime, Event>`` for events.
    dedup_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    citizen_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("citizens.id", ondelete="CASCADE"), index=True
    )
    msg_type: Mapped[str] = mapped_column(sa.String(32))
    event: Mapped[str | None] = mapped_column(sa.String(64))
    #: The text reply given (null while being processed; empty for "success").
    reply: Mapped[str | None] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Plain mode: sha256 (hex) of the signed query (``nonce|signature``) and of the body. In
    #: plain mode WeChat's signature does not cover the body, so the same signed query with
    #: another body is a forgery (issue 12); unique, so it meets the same failed commit as a
    #: retry (``replay``). Null in safe mode, where msg_signature covers the body.
    query_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True, index=True)
    body_sha256: Mapped[str | None] = mapped_column(sa.String(64))


class WindowQrCode(Base):
    """The permanent string-scene QR code issued by WeChat for one window."""

    __tablename__ = "window_qr_codes"

    window_id: Mapped[int] = mapped_column(
        sa.ForeignKey("windows.id", ondelete="CASCADE"), primary_key=True
    )
    #: The scene string (the window code at issue time).
    scene: Mapped[str] = mapped_column(sa.String(64), unique=True)
    ticket: Mapped[str] = mapped_column(sa.String(256))
    #: The URL the QR image encodes (``http://weixin.qq.com/q/...``).
    url: Mapped[str] = mapped_column(sa.String(512))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    window: Mapped[Window] = relationship()


class OutboundMessage(Base):
    """A message to a citizen waiting to be delivered (customer-service or template message)."""

    __tablename__ = "wechat_outbox"
    __table_args__ = (
        sa.CheckConstraint("status in ('pending', 'sent', 'failed')", name="status"),
        sa.Index("ix_wechat_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(
        sa.ForeignKey("citizens.id", ondelete="CASCADE"), index=True
    )
    feedback_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("feedback_items.id", ondelete="SET NULL")
    )
    #: Why we write: ``answer`` (the unit's answer), ``rerate`` (asking to rate a fix), ``notice``.
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: The text of a customer-service message.
    text: Mapped[str] = mapped_column(sa.Text)
    #: Template fields used when the 48-hour window is closed (``{"first": ..., ...}``).
    template_data: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    url: Mapped[str | None] = mapped_column(sa.String(512))
    #: pending / sent / failed (gave up after the maximum number of attempts; kept for review).
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    #: ``custom`` or ``template``, once sent.
    sent_via: Mapped[str | None] = mapped_column(sa.String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    citizen: Mapped[Citizen] = relationship()
