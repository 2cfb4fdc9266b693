"""Messages to a citizen about their feedback (an answer, a re-rating invitation): the core's hook.

The core does not know how a citizen is reached. A citizen channel's outbox subscribes to these
signals in the composition root; receivers run in the caller's transaction, so a message is
queued with the answer that caused it, or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from blinker import Namespace

from feedback_api.models import Feedback

_signals = Namespace()

#: ``send(feedback, kind=, text=, now=)``: queue ``text`` to the feedback's citizen; a receiver
#: that can reach them returns the queued ``CitizenMessage``, else None.
notice = _signals.signal("citizen-notice")
#: ``send(feedback)``: True from a receiver that can reach the feedback's citizen.
reach = _signals.signal("citizen-reach")
#: ``send(feedback_ids)`` (a tuple): each receiver returns its ``CitizenMessage`` list about
#: those feedback, in one query for all of them.
history = _signals.signal("citizen-messages")


@dataclass(frozen=True)
class CitizenMessage:
    """A message to a citizen as staff see it (never the citizen's address)."""

    id: int
    feedback_id: int | None
    #: ``reference.OUTBOX_KINDS``; ``status`` is one of ``reference.OUTBOX_STATES``.
    kind: str
    text: str
    status: str
    sent_via: str | None
    attempts: int
    created_at: datetime | None
    sent_at: datetime | None

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "feedback_id": self.feedback_id, "kind": self.kind,
                "text": self.text, "status": self.status, "sent_via": self.sent_via,
                "attempts": self.attempts,
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "sent_at": self.sent_at.isoformat() if self.sent_at else None}


def send(feedback: Feedback, kind: str, text: str, *,
         now: datetime | None = None) -> CitizenMessage | None:
    """Queue a message to the feedback's citizen; None when no channel can reach them."""
    if feedback.citizen_id is None:
        return None
    for _receiver, queued in notice.send(feedback, kind=kind, text=text, now=now):
        if queued is not None:
            return queued  # type: ignore[no-any-return]
    return None


def reachable(feedback: Feedback) -> bool:
    """Whether a channel can write to the feedback's citizen."""
    return feedback.citizen_id is not None and any(ok for _r, ok in reach.send(feedback))


def messages_about(feedback_id: int) -> list[CitizenMessage]:
    """The messages to the citizen about a feedback, oldest first (with their delivery state)."""
    return messages_about_all([feedback_id]).get(feedback_id, [])


def messages_about_all(feedback_ids: Iterable[int]) -> dict[int, list[CitizenMessage]]:
    """The messages about each of ``feedback_ids`` (those with any), by feedback id, oldest first."""
    ids = tuple(sorted(set(feedback_ids)))
    found: dict[int, list[CitizenMessage]] = {}
    if not ids:
        return found
    for _r, messages in history.send(ids):
        for m in messages:
            found.setdefault(m.feedback_id, []).append(m)  # type: ignore[arg-type]
    for messages in found.values():
        messages.sort(key=lambda m: (m.created_at is None, m.created_at, m.id))
    return found
