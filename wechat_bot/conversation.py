"""A citizen's WeChat conversation: the chosen window, the latest feedback, recent feedback.

The webhook reads the conversation once per message, under the citizen's row lock (see
``contacts.find_sender``), as a ``Conversation``; each change a message makes is one UPDATE of
the columns it changes (the ORM's unit of work cost more than the message's other statements).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from feedback_api.db import Session, utcnow
from feedback_api.models import Feedback, FeedbackAnswer, Window
from feedback_api.models.tickets import Ticket, TicketFeedback, TicketRound
from feedback_api.services import progress
from feedback_api.services.window_cards import WindowCard, window_card
from wechat_bot.models import OutboundMessage, WechatConversation


@dataclass
class Conversation:
    """A citizen's conversation (``WechatConversation``'s row) as a message reads and changes it."""

    citizen_id: int
    window_id: int | None = None
    window_chosen_at: datetime | None = None
    latest_receipt_no: str | None = None
    service_messages_sent: int = 0


_conversations = WechatConversation.__table__
#: SET takes the columns given at execution (and ``updated_at``).
_UPDATE = sa.update(_conversations).where(
    _conversations.c.citizen_id == sa.bindparam("conversation_id"))


def _write(conv: Conversation, **values: object) -> None:
    """Write the values that differ from the conversation's (WeChat's retry of a rating changes
    nothing)."""
    changed = {name: value for name, value in values.items() if getattr(conv, name) != value}
    if changed:
        Session.execute(_UPDATE, {"conversation_id": conv.citizen_id, **changed})
        for name, value in changed.items():
            setattr(conv, name, value)


def note_inbound(conv: Conversation) -> None:
    """A message from the citizen reopens WeChat's customer-service allowance (5 in 48 hours)."""
    if conv.service_messages_sent:
        _write(conv, service_messages_sent=0)


def choose_window(conv: Conversation, window: WindowCard | Window, *,
                  now: datetime | None = None) -> None:
    """Remember the window the citizen scanned (or typed); later ratings and opinions go to it."""
    _write(conv, window_id=window.id, window_chosen_at=now or utcnow())


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
    _write(conv, latest_receipt_no=receipt_no)


@dataclass(frozen=True)
class FeedbackLine:
    """One of the citizen's feedback, as the conversation shows it."""

    id: int
    receipt_no: str
    window_name: str
    rating: int | None
    review_state: str
    #: The newest answer to it, in ``recent_feedback``'s lines.
    answer: str | None = None
    #: Its stage (``progress.STAGES``), in ``recent_feedback``'s lines; None outside them.
    stage: str | None = None
    #: The window's code and the ticket's current round (1 without a ticket), for the reply.
    window_code: str = ""
    round: int = 1


_LINE = sa.select(Feedback.id, Feedback.receipt_no, Window.name, Feedback.rating,
                  Feedback.review_state).join(Window, Feedback.window_id == Window.id)
_NEWEST_ANSWER = (sa.select(FeedbackAnswer.text).where(FeedbackAnswer.feedback_id == Feedback.id)
                  .order_by(FeedbackAnswer.created_at.desc(), FeedbackAnswer.id.desc()).limit(1)
                  .correlate(Feedback).scalar_subquery())


def latest_feedback(conv: Conversation) -> FeedbackLine | None:
    """The citizen's latest feedback (an image is kept as its evidence)."""
    if conv.latest_receipt_no is None:
        return None
    row = Session.execute(_LINE.where(Feedback.receipt_no == conv.latest_receipt_no)).first()
    return FeedbackLine(*row) if row is not None else None


_RERATE_AT = (sa.select(sa.func.max(OutboundMessage.created_at))
              .where(OutboundMessage.feedback_id == Feedback.id,
                     OutboundMessage.kind == "rerate")
              .correlate(Feedback).scalar_subquery())
_LATER = aliased(Feedback)
#: The citizen rated the window again after being asked to rate the fix.
_RERATED = (sa.exists().where(_LATER.citizen_id == Feedback.citizen_id,
                              _LATER.window_id == Feedback.window_id,
                              _LATER.rating.is_not(None), _LATER.received_at > _RERATE_AT)
            .correlate(Feedback))
_ROUND = (sa.select(sa.func.max(TicketRound.number)).where(TicketRound.ticket_id == Ticket.id)
          .correlate(Ticket).scalar_subquery())


def recent_feedback(citizen_id: int, *, limit: int = 5) -> list[FeedbackLine]:
    """The citizen's newest feedback, newest first, each with its newest answer and its stage
    (one query: the ticket, its round and the re-rating state come along)."""
    rows = Session.execute(
        _LINE.add_columns(_NEWEST_ANSWER, Ticket.state, _RERATE_AT.is_not(None), _RERATED,
                          Window.code, _ROUND)
        .outerjoin(TicketFeedback, TicketFeedback.feedback_id == Feedback.id)
        .outerjoin(Ticket, Ticket.id == TicketFeedback.ticket_id)
        .where(Feedback.citizen_id == citizen_id)
        .order_by(Feedback.received_at.desc(), Feedback.id.desc())
        .limit(limit))
    lines = []
    for (fid, receipt, window_name, rating, review, answer, ticket_state, asked, rerated,
         code, rnd) in rows:
        lines.append(FeedbackLine(
            fid, receipt, window_name, rating, review, answer,
            progress.stage(ticket_state, rerate_requested=bool(asked), rerated=bool(rerated)),
            code, rnd or 1))
    return lines


def get_conversation(citizen_id: int) -> WechatConversation:
    """The citizen's conversation, created on first use."""
    conv = Session.get(WechatConversation, citizen_id)
    if conv is None:
        conv = WechatConversation(citizen_id=citizen_id, service_messages_sent=0)
        Session.add(conv)
        Session.flush()
    return conv
