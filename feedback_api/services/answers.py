"""A window unit's answer (答复) to a feedback, and asking the citizen to rate a fixed problem again.

Both reach the citizen through their channel (``services.notices``). A feedback from a citizen
no channel can write to (the H5 page, an import) keeps its answer, shown to staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Feedback, FeedbackAnswer, User
from feedback_api.services import audit, notices
from feedback_api.services.complaints import counted_feedback
from feedback_api.services.errors import Conflict, PermissionDenied, ValidationError
from feedback_api.services.feedback import get_feedback
from feedback_api.services.notices import CitizenMessage

#: Who answers: the window unit (its own windows), the agency following the complaint up, and
#: the office.
ANSWER_ROLES = frozenset({"unit", "agency", "office"})
#: Who asks the citizen to rate again, once the problem is fixed: the agency and the office.
RERATE_ROLES = frozenset({"agency", "office"})
MAX_ANSWER = 500


@dataclass(frozen=True)
class Answered:
    answer: FeedbackAnswer
    #: The message queued to the citizen, or None when the citizen cannot be written to.
    message: CitizenMessage | None


def can_answer(user: User) -> bool:
    return user.role in ANSWER_ROLES


def can_request_rerating(user: User) -> bool:
    return user.role in RERATE_ROLES


def clean_answer(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("答复内容不能为空", details={"text": "必填"})
    text = text.strip()
    if "\x00" in text:
        raise ValidationError("答复内容含有非法字符", details={"text": "含有 NUL 字符"})
    if len(text) > MAX_ANSWER:
        raise ValidationError(f"答复内容不能超过 {MAX_ANSWER} 字", details={"text": "过长"})
    return text


def answer_feedback(actor: User, feedback_id: int, text: object, *,
                    now: datetime | None = None) -> Answered:
    """Store ``actor``'s answer and queue it to the citizen (where a channel can reach them)."""
    item = get_feedback(actor, feedback_id)  # outside the actor's scope: not found
    if not can_answer(actor):
        raise PermissionDenied("只有窗口单位、第三方机构和区联席办可以答复评价")
    clean = clean_answer(text)
    now = now or utcnow()
    answer = FeedbackAnswer(feedback_id=item.id, author_id=actor.id, text=clean, created_at=now)
    Session.add(answer)
    Session.flush()
    body = f"您对“{item.window.name}”的反映（受理编号 {item.receipt_no}）有了答复：\n{clean}"
    message = notices.send(item, "answer", body, now=now)
    audit.record_change(actor, "answer", "feedback", item.id, None,
                        {"answer_id": answer.id, "text": clean,
                         "message_id": message.id if message is not None else None})
    return Answered(answer, message)


def request_rerating(actor: User, feedback_id: int, *,
                     now: datetime | None = None) -> CitizenMessage:
    """Ask the citizen to rate the window again, once the problem they raised was fixed."""
    item = get_feedback(actor, feedback_id)
    if not can_request_rerating(actor):
        raise PermissionDenied("只有第三方机构和区联席办可以请群众进行整改评价")
    if not reachable(item):
        raise ValidationError("无法联系到这位群众（其微信身份已不保留），无法请其进行整改评价"
                              if item.channel == "wechat"
                              else "这条评价不是通过微信公众号提交的，无法请群众进行整改评价")
    if not Session.scalar(sa.select(sa.exists().where(FeedbackAnswer.feedback_id == item.id))):
        raise ValidationError("请先答复群众、说明整改情况，再请群众进行整改评价")
    if any(m.kind == "rerate" and m.status == "pending" for m in messages_of(item.id)):
        raise Conflict("已请群众进行整改评价，消息正在发送")
    window = item.window
    body = (f"您反映的“{window.name}”的问题（受理编号 {item.receipt_no}）已整改。"
            f"欢迎再次评价：回复窗口编号 {window.code} 选择该窗口，再回复 1–5 分"
            "（5 非常满意 … 1 非常不满意）。")
    message = notices.send(item, "rerate", body, now=now)
    if message is None:  # reachable a moment ago, in this transaction
        raise ValidationError("无法联系到这位群众")
    audit.record_change(actor, "request_rerating", "feedback", item.id, None,
                        {"message_id": message.id})
    return message


def reachable(item: Feedback) -> bool:
    """Whether a channel can write to the feedback's citizen."""
    return notices.reachable(item)


def answers_of(feedback_id: int) -> list[FeedbackAnswer]:
    """The answers to a feedback, oldest first."""
    return list(Session.scalars(sa.select(FeedbackAnswer)
                                .where(FeedbackAnswer.feedback_id == feedback_id)
                                .order_by(FeedbackAnswer.created_at, FeedbackAnswer.id)))


def messages_of(feedback_id: int) -> list[CitizenMessage]:
    """The messages to the citizen about a feedback, oldest first (with their delivery state)."""
    return notices.messages_about(feedback_id)


@dataclass(frozen=True)
class FixRating:
    """The citizen's rating of the fix (整改评价): when they were last asked, and their first
    counted rating of the window since (None while they have not rated)."""

    asked_at: datetime
    rating: int | None = None
    rated_at: datetime | None = None


def fix_ratings(items: list[Feedback]) -> dict[int, FixRating]:
    """For each of ``items`` whose citizen was asked to rate the fix, by feedback id. As WeChat's
    查询 reads it: a rating of the same window by the same citizen after the latest invitation
    (one that a later rating the same day replaced, or that a review marked invalid, does not
    count: ``counted_feedback``). Two queries for all items."""
    messages = notices.messages_about_all(i.id for i in items if i.citizen_id is not None)
    asked: dict[int, datetime] = {}
    for item in items:
        times = [m.created_at for m in messages.get(item.id, [])
                 if m.kind == "rerate" and m.created_at is not None]
        if times:
            asked[item.id] = max(times)
    asked_items = [i for i in items if i.id in asked]
    if not asked_items:
        return {}
    pairs = {(i.citizen_id, i.window_id) for i in asked_items}
    later: dict[tuple[int, int], list[tuple[datetime, int]]] = {}
    for citizen_id, window_id, received_at, rating in Session.execute(
            sa.select(Feedback.citizen_id, Feedback.window_id, Feedback.received_at, Feedback.rating)
            .where(sa.tuple_(Feedback.citizen_id, Feedback.window_id).in_(sorted(pairs)),
                   counted_feedback(), Feedback.received_at > min(asked.values()))
            .order_by(Feedback.received_at, Feedback.id)):
        later.setdefault((citizen_id, window_id), []).append((received_at, rating))
    found: dict[int, FixRating] = {}
    for item in asked_items:
        since = asked[item.id]
        first = next(((r, at) for at, r in later.get((item.citizen_id, item.window_id), [])
                      if at > since), (None, None))
        found[item.id] = FixRating(since, *first)  # type: ignore[arg-type]
    return found
