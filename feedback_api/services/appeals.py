"""Appeals (申诉): a unit claims a rating is malicious (恶意差评) or mistaken (误评), within a
period of working days; the agency decides with a reason.

An upheld appeal sets the feedback's ``rating_counts`` to false. Every count and score counts by
``counted_feedback``, which reads that flag (the dashboard, the window page, later assessments), so
the rating leaves them all, while the feedback stays on record with the appeal and its decision.
A rating the agency's review marked invalid counts nowhere either: it is not appealed. The
citizen is never told about an appeal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from feedback_api.db import Session, utcnow
from feedback_api.models import Appeal, Feedback, User, Window
from feedback_api.models.reference import APPEAL_KINDS, APPEAL_STATES
from feedback_api.services import audit, evidence_files, scope, ticket_links, typed_filters
from feedback_api.services.complaints import counted_feedback
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from feedback_api.services.feedback import LOCAL_TZ, MAX_ID, get_feedback
from feedback_api.services.workdays import Calendar, local_today

#: Units appeal their own windows' ratings; the agency decides; the office reads everything.
FILER_ROLES = frozenset({"unit"})
DECIDER_ROLES = frozenset({"agency"})
#: An appeal contests a rating that counts against the unit: a 差评 (1–2 stars), the ratings that
#: raise a ticket, an alert and the bad-review rate. 3–5 stars are not appealable.
APPEALABLE_RATINGS = (1, 2)
MAX_REASON = 2000


def deadline(item: Feedback) -> date:
    """The last day a unit may appeal the rating (WW_APPEAL_WORKDAYS after it was given)."""
    received = item.received_at.astimezone(LOCAL_TZ).date()
    return Calendar().add(received, int(current_app.config["WW_APPEAL_WORKDAYS"]))


def appeal_of(feedback_id: int) -> Appeal | None:
    return Session.scalars(sa.select(Appeal).where(Appeal.feedback_id == feedback_id)).first()


@dataclass(frozen=True)
class Appealable:
    ok: bool
    why_not: str
    deadline: date | None


def appealable(user: User, item: Feedback, *, now: datetime | None = None) -> Appealable:
    """Whether ``user`` may appeal the rating of ``item`` now, and if not, why."""
    if user.role not in FILER_ROLES or not scope.can_see_window(user, item.window):
        return Appealable(False, "只有该窗口所属单位可以申诉", None)
    if item.rating is None:
        return Appealable(False, "该评价没有评分，无需申诉", None)
    if item.rating not in APPEALABLE_RATINGS:
        return Appealable(False, "只有差评（非常不满意、不满意）可以申诉，该评分无需申诉", None)
    if appeal_of(item.id) is not None:
        return Appealable(False, "该评分已申诉过", None)
    if item.review_state == "invalid":
        return Appealable(False, "该评价已审核为无效，评分不计入统计，无需申诉", None)
    if not item.rating_counts:
        return Appealable(False, "该评分已不计入统计，无需申诉", None)
    last = deadline(item)
    if local_today(now) > last:
        return Appealable(False, f"申诉期已过（截至 {last:%Y-%m-%d}）", last)
    return Appealable(True, "", last)


def file_appeal(actor: User, feedback_id: int, *, kind: str, reason: object,
                files: list[evidence_files.Upload] | None = None,
                now: datetime | None = None) -> Appeal:
    item = get_feedback(actor, feedback_id)
    if kind not in APPEAL_KINDS:
        raise ValidationError("请选择申诉类型（恶意差评或误评）", details={"kind": "未知"})
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ValidationError("请填写申诉理由", details={"reason": "必填"})
    if len(text) > MAX_REASON or "\x00" in text:
        raise ValidationError(f"申诉理由不能超过 {MAX_REASON} 字")
    check = appealable(actor, item, now=now)
    if not check.ok:
        if actor.role not in FILER_ROLES:
            raise PermissionDenied(check.why_not)
        raise Conflict(check.why_not) if "已申诉" in check.why_not else ValidationError(check.why_not)
    checked = evidence_files.check(files or [])
    appeal = Appeal(feedback_id=item.id, kind=kind, reason=text, filed_by_id=actor.id,
                    filed_at=now or utcnow(), state="pending", decision_reason="")
    Session.add(appeal)
    Session.flush()
    stored = evidence_files.store(checked, actor, appeal=appeal)
    audit.record_change(actor, "file_appeal", "appeal", appeal.id, None, {
        "feedback": item.id, "kind": kind, "reason": text,
        "files": [f"{f.original_name} sha256:{f.sha256}" for f in stored]})
    return appeal


def decide_appeal(actor: User, appeal_id: int, *, upheld: bool, reason: object,
                  now: datetime | None = None) -> Appeal:
    appeal = get_appeal(actor, appeal_id)
    if actor.role not in DECIDER_ROLES:
        raise PermissionDenied("只有第三方机构可以裁定申诉")
    Session.refresh(appeal, with_for_update=True)  # one decision, even from two desks at once
    if appeal.state != "pending":
        raise Conflict("该申诉已裁定")
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ValidationError("请填写裁定理由", details={"reason": "必填"})
    if len(text) > MAX_REASON or "\x00" in text:
        raise ValidationError(f"裁定理由不能超过 {MAX_REASON} 字")
    appeal.state = "upheld" if upheld else "rejected"
    appeal.decision_reason, appeal.decided_by_id, appeal.decided_at = text, actor.id, now or utcnow()
    item = appeal.feedback
    if upheld and item.rating_counts:
        item.rating_counts = False
        audit.record_change(actor, "decide_appeal", "feedback", item.id,
                            {"rating_counts": True}, {"rating_counts": False})
    Session.flush()
    if upheld:
        ticket_links.feedback_excluded(actor, item, "appeal", now=now)
    audit.record_change(actor, "decide_appeal", "appeal", appeal.id, {"state": "pending"},
                        {"state": appeal.state, "reason": text})
    return appeal


def appeal_query(user: User, *, state: str | None = None,
                 window: str | None = None) -> sa.Select[tuple[Appeal]]:
    stmt = (sa.select(Appeal).join(Appeal.feedback).join(Feedback.window).join(Window.unit)
            .where(scope.window_clause(user)))
    if state in APPEAL_STATES:
        stmt = stmt.where(Appeal.state == state)
    if window:
        stmt = stmt.where(typed_filters.window_clause(window))
    return stmt


def list_appeals(user: User, *, page: int = 1, per_page: int = 20,
                 **filters: Any) -> tuple[list[Appeal], int]:
    stmt = appeal_query(user, **filters)
    total = Session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    items = Session.scalars(stmt.order_by(Appeal.filed_at.desc(), Appeal.id.desc())
                            .offset((page - 1) * per_page).limit(per_page)).all()
    return list(items), total


def get_appeal(user: User, appeal_id: int) -> Appeal:
    item = Session.get(Appeal, appeal_id) if 0 < appeal_id <= MAX_ID else None
    if item is None or not scope.can_see_window(user, item.feedback.window):
        raise NotFound(f"申诉 {appeal_id} 不存在或无权查看")
    return item




def open_for_appeal(user: User, *, limit: int = 50,
                    now: datetime | None = None) -> list[tuple[Feedback, date]]:
    """A unit's counted 差评 still within the appeal period and not appealed, newest first,
    each with its last day."""
    if user.role not in FILER_ROLES:
        return []
    days = int(current_app.config["WW_APPEAL_WORKDAYS"])
    since = (now or utcnow()) - timedelta(days=2 * days + 31)  # wider than any working-day span
    stmt = (sa.select(Feedback).join(Feedback.window).join(Window.unit)
            .where(scope.window_clause(user), Feedback.rating.in_(APPEALABLE_RATINGS),
                   counted_feedback(), Feedback.received_at >= since,
                   Feedback.id.not_in(sa.select(Appeal.feedback_id)))
            .order_by(Feedback.received_at.desc()).limit(limit))
    today, cal, out = local_today(now), Calendar(), []
    for item in Session.scalars(stmt):
        last = cal.add(item.received_at.astimezone(LOCAL_TZ).date(), days)
        if today <= last:
            out.append((item, last))
    return out
