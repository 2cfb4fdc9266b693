"""A citizen's WeChat conversation: the chosen window, the latest feedback, recent feedback.

The webhook loads the conversation once per message (``load``), changes it in memory and writes
it back once (``save``) with plain SQL statements: it runs on every message and WeChat waits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Citizen, Feedback, WechatConversation, Window

_conv = WechatConversation.__table__
_INSERT = _conv.insert()
_LOAD = sa.select(_conv.c.window_id, _conv.c.window_chosen_at, _conv.c.latest_feedback_id,
                  _conv.c.service_messages_sent).where(_conv.c.citizen_id == sa.bindparam("cid"))


@dataclass
class Conversation:
    citizen_id: int
    window_id: int | None = None
    window_chosen_at: datetime | None = None
    latest_feedback_id: int | None = None
    service_messages_sent: int = 0
    _changed: set[str] = field(default_factory=set, repr=False)
    _stored: bool = field(default=False, repr=False)

    def set(self, **values: Any) -> None:
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)
                self._changed.add(name)


def load(citizen: Citizen) -> Conversation:
    """The citizen's conversation (a blank one before the first save)."""
    row = Session.connection().execute(_LOAD, {"cid": citizen.id}).first()
    if row is None:
        return Conversation(citizen.id)
    return Conversation(citizen.id, row.window_id, row.window_chosen_at, row.latest_feedback_id,
                        row.service_messages_sent, _stored=True)


def save(conv: Conversation) -> None:
    """Write the changes made since ``load`` (insert on first save)."""
    if conv._stored and not conv._changed:
        return
    values = {name: getattr(conv, name) for name in conv._changed}
    values["updated_at"] = utcnow()
    if conv._stored:
        Session.connection().execute(
            sa.update(_conv).where(_conv.c.citizen_id == conv.citizen_id).values(values))
    else:
        Session.connection().execute(_INSERT, {
            "citizen_id": conv.citizen_id, "window_id": conv.window_id,
            "window_chosen_at": conv.window_chosen_at,
            "latest_feedback_id": conv.latest_feedback_id,
            "service_messages_sent": conv.service_messages_sent, "updated_at": values["updated_at"]})
        conv._stored = True
    conv._changed.clear()


def note_inbound(conv: Conversation) -> None:
    """A message from the citizen reopens WeChat's customer-service allowance (5 in 48 hours)."""
    conv.set(service_messages_sent=0)


def choose_window(conv: Conversation, window: Window, *, now: datetime | None = None) -> None:
    """Remember the window the citizen scanned (or typed); later ratings and opinions go to it."""
    conv.set(window_id=window.id, window_chosen_at=now or utcnow())


def current_window(conv: Conversation, *, ttl_minutes: int,
                   now: datetime | None = None) -> Window | None:
    """The chosen window while the choice lasts, else None."""
    if conv.window_id is None or conv.window_chosen_at is None:
        return None
    if (now or utcnow()) - conv.window_chosen_at > timedelta(minutes=ttl_minutes):
        return None
    return Session.get(Window, conv.window_id)


def note_feedback(conv: Conversation, item: Feedback) -> None:
    """Remember the citizen's latest feedback (an image sent next becomes its evidence)."""
    conv.set(latest_feedback_id=item.id)


def latest_feedback(conv: Conversation) -> Feedback | None:
    if conv.latest_feedback_id is None:
        return None
    return Session.get(Feedback, conv.latest_feedback_id)


def get_conversation(citizen: Citizen) -> WechatConversation:
    """The conversation as a mapped row (for the outbox's counter), created on first use."""
    conv = Session.get(WechatConversation, citizen.id)
    if conv is None:
        conv = WechatConversation(citizen_id=citizen.id, service_messages_sent=0)
        Session.add(conv)
        Session.flush()
    return conv


def recent_feedback(citizen: Citizen, *, limit: int = 5) -> list[Feedback]:
    """The citizen's newest feedback, newest first."""
    return list(
        Session.scalars(
            sa.select(Feedback)
            .where(Feedback.citizen_id == citizen.id)
            .order_by(Feedback.received_at.desc(), Feedback.id.desc())
            .limit(limit)
        )
    )


def unit_answer(item: Feedback) -> str | None:
    """The unit's answer to a feedback, once answers exist.

    Seam: there is no unit-answer model yet, so this returns None and the citizen sees the
    review state. When answers land, return the newest answer text here.
    """
    return None
