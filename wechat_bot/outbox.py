"""Messages to citizens after the fact (a unit's answer, a re-rating request): queued, retried.

WeChat allows customer-service messages only within 48 hours of the citizen's last message and
at most 5 of them; otherwise a template message is needed. The transport is passed in (see
``Sender``), so the rules are tested without the HTTP client. The outbox subscribes to the
core's ``notices`` signals (``connect``, called by the composition root): a message is queued
in the transaction of the answer that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Citizen, Feedback
from feedback_api.models.reference import OUTBOX_KINDS
from feedback_api.services import notices
from feedback_api.services.notices import CitizenMessage
from wechat_bot.conversation import get_conversation
from wechat_bot.models import CitizenContact, OutboundMessage

log = logging.getLogger(__name__)

SERVICE_WINDOW = timedelta(hours=48)
SERVICE_LIMIT = 5
#: After this many failed attempts a message is marked failed (kept, visible, re-queueable).
MAX_ATTEMPTS = 8
#: A delivery run stops after this many sends in a row found WeChat's API unavailable: the rest
#: wait for the next run (a minute later) instead of each waiting out the API timeout, and are
#: not charged an attempt. It stops at once after an uncertain send (a timeout once the request
#: was out): each one retried may reach the citizen twice, so a slow API costs at most one a run.
UNAVAILABLE_BREAK = 3


class SendError(Exception):
    """A send failed. ``window_closed`` means WeChat refused a customer-service message
    because the 48-hour/5-message allowance is used up: a template message may still go.
    ``unavailable``: WeChat's API could not be reached or answered with a server error (down,
    overloaded, timing out), nothing about this message; ``uncertain``: the request went out
    but no answer came in time, so WeChat may have delivered it."""

    def __init__(self, message: str, *, window_closed: bool = False, unavailable: bool = False,
                 uncertain: bool = False) -> None:
        super().__init__(message)
        self.window_closed = window_closed
        self.unavailable = unavailable or uncertain
        self.uncertain = uncertain


class Sender(Protocol):
    def send_text(self, openid: str, text: str) -> None: ...

    def send_template(self, openid: str, data: dict[str, Any], url: str | None, *,
                      staff: bool = False) -> None: ...


@dataclass
class DeliveryReport:
    sent_custom: int = 0
    sent_template: int = 0
    retried: int = 0
    failed: int = 0
    #: The run stopped because WeChat's API was unavailable; due messages left for the next run.
    stopped_unavailable: bool = False
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"客服消息 {self.sent_custom} 条，模板消息 {self.sent_template} 条，"
                f"待重试 {self.retried} 条，放弃 {self.failed} 条")
        return text + ("；微信接口不可用，其余待下次发送" if self.stopped_unavailable else "")


def queue_message(
    citizen: Citizen,
    text: str,
    *,
    kind: str = "notice",
    feedback: Feedback | None = None,
    template_data: dict[str, Any] | None = None,
    url: str | None = None,
    now: datetime | None = None,
) -> OutboundMessage:
    """Queue a message for the citizen; ``deliver_pending`` sends it."""
    if kind not in OUTBOX_KINDS:
        raise ValueError(f"unknown outbound kind {kind!r}")
    if template_data is None:
        template_data = default_template_data(text, feedback)
    msg = OutboundMessage(
        citizen_id=citizen.id, feedback_id=feedback.id if feedback is not None else None,
        kind=kind, text=text, template_data=template_data, url=url, status="pending",
        attempts=0, next_attempt_at=now or utcnow(),
    )
    Session.add(msg)
    Session.flush()
    return msg


def default_template_data(text: str, feedback: Feedback | None) -> dict[str, Any]:
    """Fields for a generic notice template: first / keyword1 (受理编号) / keyword2 / remark."""
    return {
        "first": {"value": "您的评价有新进展"},
        "keyword1": {"value": feedback.receipt_no if feedback is not None else "-"},
        "keyword2": {"value": text[:180]},
        "remark": {"value": "感谢您对文明诚信示范窗口的监督。"},
    }


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most an hour."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def due_messages(*, now: datetime | None = None, limit: int = 100) -> list[OutboundMessage]:
    stmt = (
        sa.select(OutboundMessage)
        .where(OutboundMessage.status == "pending",
               OutboundMessage.next_attempt_at <= (now or utcnow()))
        .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(Session.scalars(stmt))


def deliver_one(msg: OutboundMessage, sender: Sender, *, now: datetime | None = None,
                before_send: Callable[[], None] | None = None) -> str:
    """Try to send one message; returns ``custom``, ``template``, ``retry`` or ``failed``, and
    for a retry because WeChat's API is unavailable ``unavailable`` (``uncertain`` when the
    request may have been delivered). ``before_send`` (the caller's, e.g. a commit) runs once the
    attempt is counted and before WeChat is called: no transaction need stay open across it."""
    now = now or utcnow()
    contact = Session.get(CitizenContact, msg.citizen_id)
    if contact is None:
        return _give_up(msg, "citizen has no WeChat contact")
    conv = get_conversation(msg.citizen_id)
    msg.attempts += 1
    # Staff alerts always go as template messages: they must not use up the allowance of
    # customer-service messages, and staff expect them in the template form.
    in_window = (
        msg.kind != "alert"
        and contact.last_message_at is not None
        and now - contact.last_message_at < SERVICE_WINDOW
        and conv.service_messages_sent < SERVICE_LIMIT
    )
    error: str | None = None
    if before_send is not None:
        Session.flush()
        before_send()
    if in_window:
        try:
            sender.send_text(contact.openid, msg.text)
        except SendError as exc:
            error = f"custom: {exc}"
            if not exc.window_closed:
                return _outcome(exc, _retry(msg, error, now))
        else:
            conv.service_messages_sent += 1
            return _sent(msg, "custom", now)
    try:
        data = msg.template_data or default_template_data(msg.text, None)
        if msg.kind == "alert":
            sender.send_template(contact.openid, data, msg.url, staff=True)
        else:
            sender.send_template(contact.openid, data, msg.url)
    except SendError as exc:
        error = f"{error}; template: {exc}" if error else f"template: {exc}"
        return _outcome(exc, _retry(msg, error, now))
    return _sent(msg, "template", now)


def _outcome(exc: SendError, outcome: str) -> str:
    if outcome != "retry" or not exc.unavailable:
        return outcome
    return "uncertain" if exc.uncertain else "unavailable"


def _sent(msg: OutboundMessage, via: str, now: datetime) -> str:
    msg.status, msg.sent_via, msg.sent_at, msg.last_error = "sent", via, now, None
    Session.flush()
    return via


def _retry(msg: OutboundMessage, error: str, now: datetime) -> str:
    msg.last_error = error[:2000]
    if msg.attempts >= MAX_ATTEMPTS:
        return _give_up(msg, error)
    msg.next_attempt_at = now + retry_delay(msg.attempts)
    log.warning("outbox %s: attempt %s failed, retry at %s: %s", msg.id, msg.attempts,
                msg.next_attempt_at.isoformat(), error)
    Session.flush()
    return "retry"


def _give_up(msg: OutboundMessage, error: str) -> str:
    msg.status, msg.last_error = "failed", error[:2000]
    log.error("outbox %s: giving up after %s attempts: %s", msg.id, msg.attempts, error)
    Session.flush()
    return "failed"


def deliver_pending(
    sender: Sender,
    *,
    now: datetime | None = None,
    limit: int = 100,
    after_each: Callable[[], None] | None = None,
    before_send: Callable[[], None] | None = None,
) -> DeliveryReport:
    """Send every due message. The caller owns the unit of work: pass ``after_each`` (e.g. a
    commit) so that a message sent is recorded as sent before the next one goes out, and
    ``before_send`` (a commit) so that no transaction stays open while WeChat answers."""
    report = DeliveryReport()
    unavailable = 0
    for msg in due_messages(now=now, limit=limit):
        outcome = deliver_one(msg, sender, now=now, before_send=before_send)
        if outcome == "custom":
            report.sent_custom += 1
        elif outcome == "template":
            report.sent_template += 1
        else:
            report.errors.append(f"#{msg.id}: {msg.last_error}")
            if outcome == "failed":
                report.failed += 1
            else:
                report.retried += 1
        unavailable = unavailable + 1 if outcome in ("unavailable", "uncertain") else 0
        if after_each is not None:
            after_each()
        if outcome == "uncertain" or unavailable >= UNAVAILABLE_BREAK:
            report.stopped_unavailable = True
            log.warning("outbox: WeChat's API is unavailable; the other due messages wait for "
                        "the next run")
            break
    return report


def requeue_failed(*, now: datetime | None = None) -> int:
    """Put messages that were given up back in the queue (after fixing the cause)."""
    result = Session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=now or utcnow())
    )
    Session.flush()
    return result.rowcount or 0  # type: ignore[attr-defined]


def as_citizen_message(msg: OutboundMessage) -> CitizenMessage:
    return CitizenMessage(msg.id, msg.feedback_id, msg.kind, msg.text, msg.status, msg.sent_via,
                          msg.attempts, msg.created_at, msg.sent_at)


def _reachable(feedback: Feedback) -> bool:
    return Session.get(CitizenContact, feedback.citizen_id) is not None


def _queue_notice(feedback: Feedback, *, kind: str, text: str,
                  now: datetime | None = None) -> CitizenMessage | None:
    if not _reachable(feedback):
        return None
    return as_citizen_message(queue_message(feedback.citizen, text, kind=kind,  # type: ignore[arg-type]
                                            feedback=feedback, now=now))


def _history(feedback_ids: tuple[int, ...]) -> list[CitizenMessage]:
    return [as_citizen_message(m) for m in Session.scalars(
        sa.select(OutboundMessage).where(OutboundMessage.feedback_id.in_(feedback_ids))
        .order_by(OutboundMessage.created_at, OutboundMessage.id))]


def connect() -> None:
    """Subscribe the outbox to the core's notices (idempotent)."""
    notices.notice.connect(_queue_notice)
    notices.reach.connect(_reachable)
    notices.history.connect(_history)
