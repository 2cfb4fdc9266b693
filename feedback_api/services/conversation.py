"""A citizen's WeChat conversation: the chosen window, the latest feedback, recent feedback.

The webhook loads the conversation once per message (with the message's lookup, see
``wechat_inbound.open_message``),
changes it in memory and writes it back once (``save``) with prepared statements: it runs on
every message and WeChat waits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.fastsql import Prepared
from feedback_api.models import (
    Citizen,
    CitizenContact,
    Feedback,
    FeedbackAnswer,
    WechatConversation,
    Window,
)
from feedback_api.services.windows import WindowCard, window_card

_conv = WechatConversation.__table__
_citizens, _contacts, _feedback = Citizen.__table__, CitizenContact.__table__, Feedback.__table__
_FIELDS = ("window_id", "window_chosen_at", "latest_receipt_no", "service_messages_sent")
# Run on every WeChat message: prepared once, executed on the DBAPI cursor (see fastsql).


def load_by_pseudonym(before: sa.FromClause, extra: tuple[Any, ...] = ()) -> sa.Select[Any]:
    """``before``'s columns (a one-row selection), then ``extra``, then the citizen's id, the time
    of their last recorded message and their conversation (NULLs before the first save) by the
    bound ``pseudonym``, in one read; the row is there when the citizen is unknown too
    (``from_row`` and ``last_message_of`` read the end of the row)."""
    cond = _citizens.c.pseudonym == sa.bindparam("pseudonym")
    return (sa.select(*before.c, *extra, _citizens.c.id, _contacts.c.last_message_at,
                      *(_conv.c[f] for f in _FIELDS))
            .select_from(before.outerjoin(_citizens, cond)
                         .outerjoin(_contacts, _contacts.c.citizen_id == _citizens.c.id)
                         .outerjoin(_conv, _conv.c.citizen_id == _citizens.c.id)))


# Plain values: the writes read nothing, so they merge with the message's other writes.
_VALUES = {"window_id": sa.bindparam("window_id"),
           "window_chosen_at": sa.bindparam("window_chosen_at", type_=_conv.c.window_chosen_at.type),
           "latest_receipt_no": sa.bindparam("latest_receipt_no"),
           "service_messages_sent": sa.bindparam("service_messages_sent"),
           "updated_at": sa.bindparam("updated_at", type_=_conv.c.updated_at.type)}
_INSERT = Prepared(_conv.insert().values({"citizen_id": sa.bindparam("cid"), **_VALUES}))
_UPDATES: dict[frozenset[str], Prepared] = {}


def _update(changed: frozenset[str]) -> Prepared:
    """The UPDATE of the changed fields (and ``updated_at``): one per set of fields, at most 16."""
    stmt = _UPDATES.get(changed)
    if stmt is None:
        values = {f: _VALUES[f] for f in _FIELDS if f in changed}
        values["updated_at"] = _VALUES["updated_at"]
        stmt = _UPDATES.setdefault(changed, Prepared(
            _conv.update().where(_conv.c.citizen_id == sa.bindparam("cid")).values(values)))
    return stmt


@dataclass
class Conversation:
    citizen_id: int
    window_id: int | None = None
    window_chosen_at: datetime | None = None
    latest_receipt_no: str | None = None
    service_messages_sent: int = 0
    #: The fields set since the load: only these are written back, so two messages of one
    #: citizen handled at once do not undo each other's other fields.
    _changed: set[str] = field(default_factory=set, repr=False)
    _stored: bool = field(default=False, repr=False)

    def set(self, **values: Any) -> None:
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)
                self._changed.add(name)


def from_row(row: tuple[Any, ...]) -> Conversation:
    """The conversation from the end of a ``load_by_pseudonym`` row."""
    citizen_id, _last_message_at, window_id, chosen_at, latest_receipt_no, sent = row[-6:]
    if sent is None:  # no conversation row yet
        return Conversation(citizen_id)
    return Conversation(citizen_id, window_id, chosen_at, latest_receipt_no, sent, _stored=True)


def last_message_of(row: tuple[Any, ...]) -> datetime | None:
    """The citizen's last recorded message, from a ``load_by_pseudonym`` row."""
    return row[-5]  # type: ignore[no-any-return]


def save(conv: Conversation) -> None:
    """Write back the fields changed since the load (all of them on the first save).

    Deferred to the transaction's next round trip (see fastsql)."""
    if conv._stored and not conv._changed:
        return
    fields = conv._changed if conv._stored else _FIELDS
    values = {f: getattr(conv, f) for f in fields}
    values.update(cid=conv.citizen_id, updated_at=utcnow())
    (_update(frozenset(conv._changed)) if conv._stored else _INSERT).defer(values)
    conv._stored = True
    conv._changed = set()


def note_inbound(conv: Conversation) -> None:
    """A message from the citizen reopens WeChat's customer-service allowance (5 in 48 hours)."""
    conv.set(service_messages_sent=0)


def choose_window(conv: Conversation, window: WindowCard | Window, *,
                  now: datetime | None = None) -> None:
    """Remember the window the citizen scanned (or typed); later ratings and opinions go to it."""
    conv.set(window_id=window.id, window_chosen_at=now or utcnow())


def current_window(conv: Conversation, *, ttl_minutes: int,
                   now: datetime | None = None) -> WindowCard | None:
    """The chosen window while the choice lasts, else None."""
    if conv.window_id is None or conv.window_chosen_at is None:
        return None
    if (now or utcnow()) - conv.window_chosen_at > timedelta(minutes=ttl_minutes):
        return None
    return window_card(window_id=conv.window_id)


def note_feedback(conv: Conversation, receipt_no: str) -> None:
    """Remember the citizen's latest feedback (an image sent next becomes its evidence)."""
    conv.set(latest_receipt_no=receipt_no)


@dataclass(frozen=True)
class FeedbackLine:
    """One of the citizen's feedback, as the conversation shows it."""

    id: int
    receipt_no: str
    window_name: str
    rating: int | None
    review_state: str
    #: The newest answer to it (``services.answers``), in ``recent_feedback``'s lines.
    answer: str | None = None


_w = Window.__table__
_a = FeedbackAnswer.__table__
_LINE = sa.select(_feedback.c.id, _feedback.c.receipt_no, _w.c.name, _feedback.c.rating,
                  _feedback.c.review_state).join_from(_feedback, _w, _feedback.c.window_id == _w.c.id)
_LINE_BY_RECEIPT = Prepared(_LINE.where(_feedback.c.receipt_no == sa.bindparam("receipt")))
_NEWEST_ANSWER = (sa.select(_a.c.text).where(_a.c.feedback_id == _feedback.c.id)
                  .order_by(_a.c.created_at.desc(), _a.c.id.desc()).limit(1)
                  .correlate(_feedback).scalar_subquery())
_RECENT = Prepared(_LINE.add_columns(_NEWEST_ANSWER)
                   .where(_feedback.c.citizen_id == sa.bindparam("cid"))
                   .order_by(_feedback.c.received_at.desc(), _feedback.c.id.desc())
                   .limit(sa.bindparam("limit", type_=sa.Integer)))


def latest_feedback(conv: Conversation) -> FeedbackLine | None:
    """The citizen's latest feedback (an image is kept as its evidence)."""
    if conv.latest_receipt_no is None:
        return None
    row = _LINE_BY_RECEIPT.first({"receipt": conv.latest_receipt_no})
    return FeedbackLine(*row) if row is not None else None


def get_conversation(citizen: Citizen) -> WechatConversation:
    """The conversation as a mapped row (for the outbox's counter), created on first use."""
    conv = Session.get(WechatConversation, citizen.id)
    if conv is None:
        conv = WechatConversation(citizen_id=citizen.id, service_messages_sent=0)
        Session.add(conv)
        Session.flush()
    return conv


def recent_feedback(citizen_id: int, *, limit: int = 5) -> list[FeedbackLine]:
    """The citizen's newest feedback, newest first, each with its newest answer."""
    return [FeedbackLine(*row) for row in _RECENT.execute({"cid": citizen_id, "limit": limit})]

