"""The agency's desk: bulk review, one ticket for several feedback, merging duplicates, and a
citizen's other feedback.

Everything goes through the existing services (review, tickets) so each change is checked and
audited as when made one by one; the caller commits once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from feedback_api.db import Session
from feedback_api.models import Appeal, Feedback, Ticket, User
from feedback_api.services import audit, review, scope, ticket_links, ticket_open
from feedback_api.services.errors import Conflict, PermissionDenied, ServiceError, ValidationError
from feedback_api.services.feedback import LOCAL_TZ, get_feedback, local_day_bounds

#: The desk belongs to the agency; the office may step in (as for reviews).
DESK_ROLES = review.REVIEWER_ROLES
MAX_BULK = 200
MAX_REASON = 500


def _check_desk(actor: User, what: str) -> None:
    if actor.role not in DESK_ROLES:
        raise PermissionDenied(f"只有第三方机构和区联席办可以{what}")


def _reason(value: object, *, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError("请填写理由", details={"reason": "必填"})
    if len(text) > MAX_REASON or "\x00" in text:
        raise ValidationError(f"理由不能超过 {MAX_REASON} 字", details={"reason": "过长"})
    return text


def _ids(ids: list[int]) -> list[int]:
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise ValidationError("请至少选择一条评价", details={"ids": "必填"})
    if len(unique) > MAX_BULK:
        raise ValidationError(f"一次最多处理 {MAX_BULK} 条评价", details={"ids": "过多"})
    return unique


# --- bulk review ------------------------------------------------------------------------------

@dataclass
class BulkResult:
    """Which feedback a bulk action changed, and why the others were refused."""

    done: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def bulk_review(actor: User, ids: list[int], *, valid: bool, reason: object) -> BulkResult:
    """Mark several feedback valid or invalid with one reason. Each goes through the review
    service in its own savepoint: one refused item (out of scope, gone) leaves the others
    done; the caller commits them in one transaction."""
    _check_desk(actor, "批量审核评价")
    text = _reason(reason)
    result = BulkResult()
    for feedback_id in _ids(ids):
        try:
            with Session.begin_nested():
                review.review_feedback(actor, feedback_id, {"valid": valid})
                audit.record_change(actor, "bulk_review", "feedback", feedback_id, None,
                                    {"valid": valid, "reason": text})
        except ServiceError as exc:
            result.failed[feedback_id] = exc.message
        else:
            result.done.append(feedback_id)
    return result


def open_ticket_for(actor: User, ids: list[int], *, topic: str | None = None,
                    problem: object = None, now: datetime | None = None,
                    check_duplicates: bool = False) -> Ticket:
    """One ticket for several feedback about the same problem of one window: opened from the
    first that has an opinion (its topic and masked opinion by default; the first when none
    has) with the others attached.
    ``check_duplicates``: refused (``ticket_open.DuplicateTicket``) while the window has a
    running ticket on the topic, as opening from one feedback is."""
    _check_desk(actor, "开督办单")
    items = [get_feedback(actor, i) for i in _ids(ids)]
    first = items[0]
    if any(item.window_id != first.window_id for item in items):
        raise ValidationError("所选评价须属于同一窗口", details={"ids": "窗口不同"})
    told = next((item for item in items if item.text), first)  # a bare rating says no problem
    return ticket_open.open_ticket(
        actor, first.window, topic=topic or ticket_open.default_topic(told),
        problem=problem if problem not in (None, "") else ticket_open.default_problem(told),
        source="feedback", source_ref=", ".join(i.receipt_no for i in items)[:200],
        feedback=items, now=now, check_duplicates=check_duplicates)


# --- duplicates ---------------------------------------------------------------------------------

def _recount_day(citizen_id: int, window_id: int, received_at: datetime,
                 actor: User) -> None:
    """Set ``rating_counts`` of the citizen's ratings of the window on one day from the rules
    every path follows: the newest rating that is not a duplicate is the day's rating and counts
    unless its appeal was upheld; earlier ones and duplicates do not. (Recording a rating
    applies the first rule; an upheld appeal the second; a merge the third.)"""
    start, end = local_day_bounds(received_at.astimezone(LOCAL_TZ).date())
    day = Session.scalars(
        sa.select(Feedback)
        .where(Feedback.citizen_id == citizen_id, Feedback.window_id == window_id,
               Feedback.received_at >= start, Feedback.received_at < end)
        .order_by(Feedback.received_at.desc(), Feedback.id.desc())
        .with_for_update()).all()
    upheld = set(Session.scalars(sa.select(Appeal.feedback_id).where(
        Appeal.feedback_id.in_([f.id for f in day]), Appeal.state == "upheld")))
    newest_seen = False
    for item in day:
        if item.duplicate_of_id is not None:
            counts = False
        elif item.rating is None:
            counts = item.id not in upheld
        else:
            counts = not newest_seen and item.id not in upheld
            newest_seen = True
        if item.rating_counts != counts:
            audit.record_change(actor, "recount", "feedback", item.id,
                                {"rating_counts": item.rating_counts}, {"rating_counts": counts})
            item.rating_counts = counts
    Session.flush()


def merge_duplicate(actor: User, duplicate_id: int, original_id: int,
                    reason: object = "") -> Feedback:
    """Mark ``duplicate_id`` as a duplicate of ``original_id`` (the same citizen's feedback on the
    same window about the same problem): it stays on record, its rating stops counting."""
    _check_desk(actor, "合并重复评价")
    text = _reason(reason, required=False)
    duplicate, original = get_feedback(actor, duplicate_id), get_feedback(actor, original_id)
    if duplicate.id == original.id:
        raise ValidationError("不能与自身合并")
    if duplicate.citizen_id is None or duplicate.citizen_id != original.citizen_id:
        raise ValidationError("只能合并同一群众的评价")
    if duplicate.window_id != original.window_id:
        raise ValidationError("只能合并同一窗口的评价")
    Session.refresh(duplicate, with_for_update=True)  # two desks merging at once: one wins
    if duplicate.duplicate_of_id is not None:
        raise Conflict(f"评价 {duplicate.receipt_no} 已合并到其他评价")
    if original.duplicate_of_id is not None:
        raise ValidationError(f"评价 {original.receipt_no} 本身是重复评价，请合并到其原评价")
    if duplicates_of(duplicate.id):
        raise Conflict(f"评价 {duplicate.receipt_no} 有重复评价合并于它，请先撤销")
    duplicate.duplicate_of_id = original.id
    Session.flush()
    audit.record_change(actor, "merge", "feedback", duplicate.id, {"duplicate_of": None},
                        {"duplicate_of": original.id, "reason": text})
    _recount_day(duplicate.citizen_id, duplicate.window_id, duplicate.received_at, actor)
    ticket_links.feedback_excluded(actor, duplicate, "duplicate")
    return duplicate


def unmerge_duplicate(actor: User, duplicate_id: int, reason: object = "") -> Feedback:
    """Undo a merge: the feedback counts again as the rules say."""
    _check_desk(actor, "撤销合并")
    text = _reason(reason, required=False)
    item = get_feedback(actor, duplicate_id)
    Session.refresh(item, with_for_update=True)
    if item.duplicate_of_id is None:
        raise Conflict(f"评价 {item.receipt_no} 不是重复评价")
    before = item.duplicate_of_id
    item.duplicate_of_id = None
    Session.flush()
    audit.record_change(actor, "unmerge", "feedback", item.id, {"duplicate_of": before},
                        {"duplicate_of": None, "reason": text})
    if item.citizen_id is not None:
        _recount_day(item.citizen_id, item.window_id, item.received_at, actor)
    return item


def duplicates_of(feedback_id: int) -> list[Feedback]:
    return list(Session.scalars(sa.select(Feedback).where(Feedback.duplicate_of_id == feedback_id)
                                .order_by(Feedback.received_at, Feedback.id)))


# --- the citizen's other feedback --------------------------------------------------------------

def sees_other_feedback(user: User) -> bool:
    """The agency and the office follow a citizen's complaints across windows; nobody else
    learns which feedback came from the same person."""
    return scope.sees_raw_opinions(user)


def other_feedback(user: User, item: Feedback, *, limit: int = 20) -> tuple[list[Feedback], int]:
    """The same citizen's other feedback (newest first, ``limit`` of them) and how many there are;
    nothing for roles that may not link them."""
    if not sees_other_feedback(user) or item.citizen_id is None:
        return [], 0
    where = (Feedback.citizen_id == item.citizen_id, Feedback.id != item.id)
    total = Session.scalar(sa.select(sa.func.count(Feedback.id)).where(*where)) or 0
    rows = Session.scalars(sa.select(Feedback).where(*where)
                           .options(joinedload(Feedback.window))  # the panel names each window
                           .order_by(Feedback.received_at.desc(), Feedback.id.desc())
                           .limit(limit)).all()
    return list(rows), total
