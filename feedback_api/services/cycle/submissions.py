"""Submissions: drafts, submit (late when first submitted after the deadline), return with a
reason, accept; and the status board of every industry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Cycle, Submission, Unit, User, UserScope, Window
from feedback_api.models.reference import (
    CANDIDATE,
    DEMONSTRATION,
    INDUSTRIES,
    SUBMISSION_KINDS,
    label,
)
from feedback_api.services import audit
from feedback_api.services import windows as window_service
from feedback_api.services.cycle.fields import SUBMISSION_FIELDS, SUBMITTER_ROLES, clean_data
from feedback_api.services.cycle.phases import deadline
from feedback_api.services.cycle.review import score_by_standard, scoring_standard
from feedback_api.services.cycle.scopes import (
    _industries,
    _may_submit_for_window,
    _require_office,
    submission_clause,
)
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from feedback_api.services.feedback import LOCAL_TZ, MAX_ID


def _resolve_target(actor: User, kind: str, clean: dict[str, Any]
                    ) -> tuple[str, Unit | None, Window | None]:
    """(industry, unit, window) of a submission, checked against the actor's scope."""
    window: Window | None = None
    code = clean.get("window") or ""
    if code:
        window = Session.scalars(sa.select(Window).where(Window.code == code)).first()
        if window is None or not _may_submit_for_window(actor, window):
            raise ValidationError(f"窗口 {code} 不存在或不在本单位（行业）范围内",
                                  details={"window": "窗口不存在或无权报送"})
        if kind == "management_rules" and window.status != DEMONSTRATION:
            raise ValidationError("常态管理办法由已命名的示范窗口报送", details={"window": "不是示范窗口"})
        if kind == "recommendation" and window.status != CANDIDATE:
            raise ValidationError("只能推荐创建中的窗口（已命名或已摘牌的窗口不能推荐）",
                                  details={"window": "窗口状态不是创建中"})
        return window.unit.industry, window.unit, window
    if any(f.name == "window" and f.required for f in SUBMISSION_FIELDS[kind]):
        raise ValidationError("请选择窗口", details={"window": "请选择窗口"})
    if actor.role == "unit":
        raise ValidationError("窗口单位报送须选择本单位窗口", details={"window": "请选择窗口"})
    industry = clean.get("industry") or ""
    if not industry:
        mine = sorted(_industries(actor))
        if actor.role == "authority" and len(mine) == 1:
            industry = mine[0]
        else:
            raise ValidationError("请选择行业", details={"industry": "请选择行业"})
    if actor.role == "authority" and industry not in _industries(actor):
        raise ValidationError("只能为本行业报送", details={"industry": "不在本部门范围内"})
    clean["industry"] = industry
    return industry, None, None


def _title(kind: str, clean: dict[str, Any], industry: str, window: Window | None) -> str:
    if clean.get("title"):
        return clean["title"]
    if window is not None:
        return f"{window.unit.name} {window.name}"
    return f"{label(INDUSTRIES, industry)}{label(SUBMISSION_KINDS, kind)}"


def _view(sub: Submission) -> dict[str, Any]:
    return {"kind": sub.kind, "state": sub.state, "title": sub.title, "industry": sub.industry,
            "window": sub.window.code if sub.window else None, "data": dict(sub.data or {}),
            "late": sub.late, "return_reason": sub.return_reason}


def save_draft(actor: User, cycle: Cycle, kind: str, data: dict[str, Any],
               submission: Submission | None = None) -> Submission:
    """Create a draft, or update one that is a draft or was returned."""
    if kind not in SUBMITTER_ROLES or actor.role not in SUBMITTER_ROLES[kind]:
        raise PermissionDenied(f"无权报送{label(SUBMISSION_KINDS, kind)}")
    clean = clean_data(kind, data)
    _self_scores(cycle, clean)
    industry, unit, window = _resolve_target(actor, kind, clean)
    if submission is None:
        submission = Submission(cycle_id=cycle.id, kind=kind, state="draft", author_id=actor.id,
                                data={})
        Session.add(submission)
        before = None
    else:
        if submission.kind != kind:
            raise ValidationError("材料类型不可修改")
        _check_visible(actor, submission)
        _check_own(actor, submission)
        if submission.state not in {"draft", "returned"}:
            raise Conflict("已提交的材料不能修改（被退回后可修改）")
        before = _view(submission)
    submission.industry, submission.unit, submission.window = industry, unit, window
    submission.data = clean
    submission.title = _title(kind, clean, industry, window)
    Session.flush()
    audit.record_change(actor, "create" if before is None else "update", "submission",
                        submission.id, before, _view(submission))
    return submission


def submittable_windows(user: User, kind: str) -> list[Window]:
    """The windows ``user`` may pick on a form of ``kind`` (the registry's scope; ``save_draft``
    checks again): candidates for a recommendation, demonstration windows for rules."""
    status = {"recommendation": CANDIDATE, "management_rules": DEMONSTRATION}.get(kind)
    stmt = window_service.window_query(user, status=status)
    return list(Session.scalars(stmt.order_by(Window.code)).all())


#: Why a form that needs a window has none to offer, by kind.
_NO_WINDOW = {"management_rules":
              "没有已命名的示范窗口，无需报送常态管理办法（常态管理办法由已命名的示范窗口报送）",
              "recommendation": "没有创建中的窗口可推荐（已命名或已摘牌的窗口不能推荐）"}


def nothing_to_submit(user: User, kind: str) -> str:
    """Why ``user`` has nothing to submit on a form of ``kind``, in Chinese ("" when it has): the
    form needs one of its windows (a unit always reports for a window) and it has none of the
    kind, e.g. a unit without a demonstration window and 常态管理办法."""
    needs_window = user.role == "unit" or any(
        f.name == "window" and f.required for f in SUBMISSION_FIELDS[kind])
    if not needs_window or submittable_windows(user, kind):
        return ""
    who = "本单位" if user.role == "unit" else "本行业"
    return who + _NO_WINDOW.get(kind, "没有可报送的窗口")


def _self_scores(cycle: Cycle, clean: dict[str, Any]) -> None:
    """A self-assessment per indicator is checked against the cycle year's standard, like an
    expert's scores, and makes the self-score."""
    if not clean.get("self_scores"):
        return
    try:
        items, total = score_by_standard(scoring_standard(cycle), clean["self_scores"])
    except ValidationError as exc:
        raise ValidationError("逐项自评" + exc.message.removeprefix("按指标评分"),
                              details={"self_scores": exc.message}) from None
    clean["self_scores"], clean["self_score"] = items, total


def _check_own(actor: User, submission: Submission) -> None:
    """The office reviews what others submit; it edits and submits only its own papers."""
    if actor.role == "office" and submission.author_id != actor.id:
        raise PermissionDenied("区联席办不能修改或代为提交其他单位的材料（可退回修改）")


def _check_visible(actor: User, submission: Submission) -> None:
    visible = Session.scalar(sa.select(Submission.id).where(
        Submission.id == submission.id, submission_clause(actor)))
    if visible is None:
        raise NotFound("材料不存在或无权查看")


def get_submission(actor: User, submission_id: int) -> Submission:
    sub = Session.scalars(sa.select(Submission).where(
        Submission.id == submission_id, submission_clause(actor))).first() if (
        0 < submission_id <= MAX_ID) else None
    if sub is None:
        raise NotFound("材料不存在或无权查看")
    return sub


def list_submissions(actor: User, cycle: Cycle, *, kind: str | None = None,
                     state: str | None = None, industry: str | None = None) -> list[Submission]:
    stmt = sa.select(Submission).where(Submission.cycle_id == cycle.id, submission_clause(actor))
    if kind:
        stmt = stmt.where(Submission.kind == kind)
    if state:
        stmt = stmt.where(Submission.state == state)
    if industry:
        stmt = stmt.where(Submission.industry == industry)
    return list(Session.scalars(stmt.order_by(Submission.industry, Submission.kind,
                                              Submission.id)).all())


def submit(actor: User, submission: Submission, *, now: datetime | None = None) -> Submission:
    """Draft or returned → submitted; complete fields required; late if first submitted after
    the phase deadline (a resubmission after a return keeps the first mark)."""
    _check_visible(actor, submission)
    _check_own(actor, submission)
    if actor.role not in SUBMITTER_ROLES[submission.kind]:
        raise PermissionDenied("无权提交")
    if submission.state not in {"draft", "returned"}:
        raise Conflict("该材料已提交")
    missing = {f.name: f"请填写{f.label}" for f in SUBMISSION_FIELDS[submission.kind]
               if f.required and submission.data.get(f.name) in (None, "")}
    if missing:
        raise ValidationError("材料不完整：" + "；".join(missing.values()), details=missing)
    if submission.kind in {"recommendation", "management_rules"}:
        other = Session.scalar(sa.select(Submission.id).where(
            Submission.cycle_id == submission.cycle_id, Submission.kind == submission.kind,
            Submission.window_id == submission.window_id, Submission.id != submission.id,
            Submission.state != "draft"))
        if other is not None:
            raise Conflict(f"该窗口本年度已报送{label(SUBMISSION_KINDS, submission.kind)}")
    before = _view(submission)
    now = now or utcnow()
    if submission.first_submitted_at is None:
        submission.first_submitted_at = now
        due = deadline(submission.cycle, submission.kind)
        submission.late = due is not None and now.astimezone(LOCAL_TZ).date() > due
    submission.submitted_at = now
    submission.state = "submitted"
    Session.flush()
    audit.record_change(actor, "submit", "submission", submission.id, before, _view(submission))
    return submission


def return_submission(actor: User, submission: Submission, reason: str) -> Submission:
    _require_office(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("退回须填写原因", details={"reason": "请填写退回原因"})
    if len(reason) > 2000:
        raise ValidationError("退回原因不能超过 2000 字")
    if submission.state != "submitted":
        raise Conflict("只能退回已提交、未受理的材料")
    before = _view(submission)
    submission.state, submission.return_reason = "returned", reason
    Session.flush()
    audit.record_change(actor, "return", "submission", submission.id, before, _view(submission))
    return submission


def accept(actor: User, submission: Submission) -> Submission:
    _require_office(actor)
    if submission.state != "submitted":
        raise Conflict("只能受理已提交的材料")
    before = _view(submission)
    submission.state, submission.accepted_at = "accepted", utcnow()
    Session.flush()
    audit.record_change(actor, "accept", "submission", submission.id, before, _view(submission))
    return submission


#: What each industry's authority owes in a year (its status row says which are missing).
AUTHORITY_DUE = ("creation_plan", "recommendation", "summary")


@dataclass
class StatusRow:
    """One industry's submissions on the status board."""

    industry: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> state -> n
    late: int = 0
    submissions: list[Submission] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # kinds not yet submitted


def status_board(actor: User, cycle: Cycle) -> list[StatusRow]:
    """Every industry with an authority (for an authority: its own), with its submissions, the
    late ones counted, and what it has not submitted yet."""
    rows: dict[str, StatusRow] = {}
    if actor.role == "office":
        industries = set(Session.scalars(
            sa.select(UserScope.industry).join(User, User.id == UserScope.user_id)
            .where(User.role == "authority", User.active.is_(True),
                   UserScope.industry.is_not(None))).all())
    else:
        industries = _industries(actor)
    for industry in industries:
        rows[industry] = StatusRow(industry)
    for sub in list_submissions(actor, cycle):
        row = rows.setdefault(sub.industry, StatusRow(sub.industry))
        row.counts.setdefault(sub.kind, {}).setdefault(sub.state, 0)
        row.counts[sub.kind][sub.state] += 1
        row.late += int(sub.late)
        row.submissions.append(sub)
    for row in rows.values():
        done = {s.kind for s in row.submissions if s.state in {"submitted", "accepted"}
                and (s.kind != "summary" or s.window_id is None)}
        row.missing = [k for k in AUTHORITY_DUE if k not in done]
    order = {k: i for i, k in enumerate(INDUSTRIES)}
    return sorted(rows.values(), key=lambda r: (order.get(r.industry, len(order)), r.industry))
