"""The annual programme cycle (issue 15): the year's phases, submissions and their states, the
expert review, publicity with objections, the award, published snapshots and reminders.

Who does what: an authority submits for its own industry's windows (recommendations, creation
plans, summaries, good practices); a unit submits management rules, summaries and good
practices for its own windows; the office sees everything, returns and accepts, assigns
experts, opens publicity, answers objections and awards; an expert sees and scores only the
candidates assigned to it. Services flush; the caller commits. Every change is audited.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import (
    Cycle,
    CyclePhase,
    CycleReminder,
    ExpertAssignment,
    Objection,
    Publicity,
    PublicityEntry,
    PublishedSnapshot,
    Standard,
    Submission,
    SubmissionAttachment,
    Unit,
    User,
    UserScope,
    Window,
)
from feedback_api.models.reference import (
    CYCLE_PHASES,
    INDUSTRIES,
    OBJECTION_OUTCOMES,
    SUBMISSION_KINDS,
    label,
)
from feedback_api.services import audit, files, standards
from feedback_api.services import windows as window_service
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from feedback_api.services.feedback import LOCAL_TZ, MAX_ID

log = logging.getLogger(__name__)

#: Default phase dates (month, day) from the programme's own plan.
DEFAULT_PHASES: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "recommendation": ((5, 15), (6, 5)),
    "management_rules": ((5, 15), (5, 30)),
    "review": ((6, 6), (7, 15)),
    "publicity": ((7, 16), (8, 15)),
}
#: The phase whose end is each submission kind's deadline.
DEADLINE_PHASE: dict[str, str] = {
    "recommendation": "recommendation",
    "creation_plan": "recommendation",
    "management_rules": "management_rules",
    "summary": "publicity",
    "good_practice": "publicity",
}
#: An expert's total is an outlier when it is more than this many points from the median of the
#: candidate's totals (0–100 scale); see ``outliers``.
OUTLIER_POINTS = 15.0
ATTACHMENT_KINDS = ("pdf", "word", "image")
#: The upload store's default (the request limit, MAX_CONTENT_LENGTH, is 16 MB).
ATTACHMENT_MAX_BYTES = files.DEFAULT_MAX_BYTES
MAX_ATTACHMENTS = 10
#: Days before a deadline on which the reminder job writes a reminder.
REMIND_DAYS = (7, 3, 1)

#: Who may create each kind of submission.
SUBMITTER_ROLES: dict[str, frozenset[str]] = {
    "recommendation": frozenset({"office", "authority"}),
    "creation_plan": frozenset({"office", "authority"}),
    "management_rules": frozenset({"office", "unit", "authority"}),
    "summary": frozenset({"office", "authority", "unit"}),
    "good_practice": frozenset({"office", "authority", "unit"}),
}


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    #: text (multi-line), str (one line), window, industry, score, choice, or standard (points
    #: per indicator of the cycle year's evaluation standard, by name)
    kind: str = "text"
    required: bool = True
    max_len: int = 5000
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""


PRACTICE_KINDS = (("method", "诚信服务工作法"), ("case", "优秀案例"))

#: The fields of each submission kind, in the order of the office's paper forms.
SUBMISSION_FIELDS: dict[str, tuple[Field, ...]] = {
    "recommendation": (
        Field("window", "推荐窗口", "window"),
        Field("reasons", "推荐理由"),
        Field("features", "特色亮点"),
        Field("self_assessment", "对照测评标准自评情况", hint="逐项对照当年测评标准填写"),
        Field("self_scores", "对照测评标准逐项自评得分", "standard", required=False,
              hint="每项 0 至该指标分值；逐项填写后自评得分按分值折算为百分制"),
        Field("self_score", "自评得分（0–100）", "score", required=False,
              hint="已逐项自评的，按逐项得分自动计算"),
        Field("contact_person", "联系人", "str", max_len=100),
        Field("contact_phone", "联系电话", "str", max_len=50),
        Field("endorsement", "主管部门推荐意见"),
    ),
    "creation_plan": (
        Field("industry", "行业", "industry"),
        Field("goals", "创建目标"),
        Field("standards", "创建标准"),
        Field("steps", "实施步骤"),
        Field("measures", "工作措施"),
        Field("responsible", "责任部门及责任人", "str", max_len=200),
        Field("deadlines", "时间安排"),
    ),
    "management_rules": (
        Field("window", "示范窗口", "window"),
        Field("rules", "常态管理办法"),
        Field("responsible", "责任人", "str", max_len=100),
    ),
    "summary": (
        Field("window", "窗口（行业总结不填）", "window", required=False),
        Field("industry", "行业", "industry", required=False),
        Field("title", "标题", "str", max_len=200),
        Field("text", "工作总结"),
    ),
    "good_practice": (
        Field("window", "窗口（行业做法不填）", "window", required=False),
        Field("industry", "行业", "industry", required=False),
        Field("practice_kind", "类别", "choice", choices=PRACTICE_KINDS),
        Field("title", "标题", "str", max_len=200),
        Field("text", "内容"),
    ),
}


def local_today() -> date:
    return utcnow().astimezone(LOCAL_TZ).date()


# --------------------------------------------------------------------------- scopes


def _industries(user: User) -> set[str]:
    return {s.industry for s in user.scopes if s.industry}


def _unit_ids(user: User) -> set[int]:
    ids = {s.unit_id for s in user.scopes if s.unit_id}
    ids |= {s.window.unit_id for s in user.scopes if s.window is not None}
    return ids


def _window_ids(user: User) -> set[int]:
    return {s.window_id for s in user.scopes if s.window_id}


def submission_clause(user: User) -> sa.ColumnElement[bool]:
    """A WHERE clause over ``Submission`` selecting what ``user`` may see: a draft is its
    author's alone until submitted."""
    return sa.and_(_scope_clause(user),
                   sa.or_(Submission.state != "draft", Submission.author_id == user.id))


def _scope_clause(user: User) -> sa.ColumnElement[bool]:
    if user.role == "office":
        return sa.true()
    if user.role == "expert":
        return Submission.id.in_(
            sa.select(ExpertAssignment.submission_id).where(ExpertAssignment.expert_id == user.id))
    if user.role == "authority":
        clauses = []
        if _industries(user):
            clauses.append(Submission.industry.in_(_industries(user)))
        if _unit_ids(user):
            clauses.append(Submission.unit_id.in_(_unit_ids(user)))
        return sa.or_(*clauses) if clauses else sa.false()
    if user.role == "unit":
        clauses = []
        # A unit user scoped to single windows sees those windows' submissions only.
        units = {s.unit_id for s in user.scopes if s.unit_id}
        if units:
            clauses.append(Submission.unit_id.in_(units))
        if _window_ids(user):
            clauses.append(Submission.window_id.in_(_window_ids(user)))
        # The authority's recommendation of a window and its plan are the authority's papers.
        own_kinds = Submission.kind.in_(sorted(k for k, r in SUBMITTER_ROLES.items() if "unit" in r))
        return sa.and_(own_kinds, sa.or_(*clauses)) if clauses else sa.false()
    return sa.false()


def can_use(user: User) -> bool:
    """Whether ``user`` has any part in the cycle (the agency has none)."""
    return user.role in {"office", "authority", "unit", "expert"}


def _require_office(actor: User | None) -> None:
    if actor is not None and actor.role != "office":
        raise PermissionDenied("仅区联席办可进行此操作")


def _may_submit_for_window(actor: User, window: Window) -> bool:
    if actor.role == "office":
        return True
    if actor.role == "authority":
        return window.unit.industry in _industries(actor) or window.unit_id in _unit_ids(actor)
    if actor.role == "unit":
        return (window.id in _window_ids(actor)
                or window.unit_id in {s.unit_id for s in actor.scopes if s.unit_id})
    return False


# --------------------------------------------------------------------------- cycles


def create_cycle(actor: User | None, year: int, title: str = "",
                 dates: dict[str, tuple[date, date]] | None = None) -> Cycle:
    """A programme year with its phases (the plan's default dates unless given)."""
    _require_office(actor)
    if not 2000 <= int(year) <= 2100:
        raise ValidationError("年度应在 2000–2100 之间")
    if Session.scalar(sa.select(Cycle.id).where(Cycle.year == year)) is not None:
        raise Conflict(f"{year} 年度已存在", code="duplicate")
    cycle = Cycle(year=year, title=title or f"{year}年度文明诚信示范窗口创建")
    given = dates or {}
    for kind, ((m1, d1), (m2, d2)) in DEFAULT_PHASES.items():
        start, end = given.get(kind, (date(year, m1, d1), date(year, m2, d2)))
        _check_dates(start, end)
        cycle.phases.append(CyclePhase(kind=kind, starts_on=start, ends_on=end))
    Session.add(cycle)
    Session.flush()
    audit.record_change(actor, "create", "cycle", year, None, _cycle_view(cycle))
    return cycle


def _check_dates(start: date, end: date) -> None:
    if start is None or end is None:
        raise ValidationError("请填写开始和截止日期")
    if start > end:
        raise ValidationError("开始日期不能晚于截止日期")


def _cycle_view(cycle: Cycle) -> dict[str, Any]:
    return {"title": cycle.title,
            **{p.kind: [p.starts_on.isoformat(), p.ends_on.isoformat()] for p in cycle.phases}}


def set_phase_dates(actor: User | None, cycle: Cycle, kind: str, start: date, end: date) -> None:
    _require_office(actor)
    phase = cycle.phase(kind)
    if phase is None:
        raise NotFound(f"阶段 {kind} 不存在")
    _check_dates(start, end)
    before = _cycle_view(cycle)
    phase.starts_on, phase.ends_on = start, end
    Session.flush()
    audit.record_change(actor, "update", "cycle", cycle.year, before, _cycle_view(cycle))


def get_cycle(year: int) -> Cycle:
    cycle = (Session.scalars(sa.select(Cycle).where(Cycle.year == year)).first()
             if 2000 <= year <= 2100 else None)
    if cycle is None:
        raise NotFound(f"{year} 年度尚未建立")
    return cycle


def list_cycles() -> list[Cycle]:
    return list(Session.scalars(sa.select(Cycle).order_by(Cycle.year.desc())).all())


def current_cycle(today: date | None = None) -> Cycle | None:
    """This year's cycle, else the latest."""
    today = today or local_today()
    cycle = Session.scalars(sa.select(Cycle).where(Cycle.year == today.year)).first()
    return cycle or Session.scalars(sa.select(Cycle).order_by(Cycle.year.desc())).first()


#: The phases whose deadline each role watches (the nav shows the next one).
ROLE_PHASES: dict[str, tuple[str, ...]] = {
    "office": tuple(CYCLE_PHASES),
    "authority": ("recommendation", "publicity"),
    "unit": ("management_rules", "publicity"),
    "expert": ("review",),
}


def next_deadline(user: User, today: date | None = None) -> CyclePhase | None:
    """The nearest phase end not yet passed that ``user``'s role works to, this year."""
    today = today or local_today()
    kinds = ROLE_PHASES.get(user.role, ())
    if not kinds:
        return None
    return Session.scalars(
        sa.select(CyclePhase).join(CyclePhase.cycle)
        .where(Cycle.year == today.year, CyclePhase.kind.in_(kinds), CyclePhase.ends_on >= today)
        .order_by(CyclePhase.ends_on).limit(1)).first()


def deadline(cycle: Cycle, kind: str) -> date | None:
    phase = cycle.phase(DEADLINE_PHASE[kind])
    return phase.ends_on if phase else None


# --------------------------------------------------------------------------- submissions


def _clean_field(f: Field, value: Any) -> Any:
    if f.kind == "standard":  # checked against the year's standard by save_draft
        if value is None or value == "":
            return None
        if not isinstance(value, Mapping):
            raise ValueError("应为“指标: 得分”")
        given = {k: v for k, v in value.items() if v is not None and v != ""}
        return given or None
    if f.kind == "score":
        if value is None or value == "":
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError("应为 0–100 之间的数") from None
        if not 0 <= number <= 100:
            raise ValueError("应为 0–100 之间的数")
        return number
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError("应为文本")
    value = value.strip()
    if len(value) > f.max_len:
        raise ValueError(f"不能超过 {f.max_len} 个字符")
    if f.kind == "choice" and value and value not in dict(f.choices):
        raise ValueError("所选项无效")
    if f.kind == "industry" and value and value not in INDUSTRIES:
        raise ValueError("未知的行业")
    return value


def clean_data(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Validate the fields of a submission (missing required fields are checked on submit)."""
    if kind not in SUBMISSION_FIELDS:
        raise ValidationError("未知的材料类型")
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    known = {f.name: f for f in SUBMISSION_FIELDS[kind]}
    for name in sorted(set(data) - set(known)):
        errors[name] = "未知字段"
    for name, f in known.items():
        try:
            clean[name] = _clean_field(f, data.get(name))
        except ValueError as exc:
            errors[name] = f"{f.label}{exc}"
    if errors:
        raise ValidationError("材料填写有误：" + "；".join(errors.values()), details=errors)
    return clean


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
        if kind == "management_rules" and window.status != "demonstration":
            raise ValidationError("常态管理办法由已命名的示范窗口报送", details={"window": "不是示范窗口"})
        if kind == "recommendation" and window.status != "candidate":
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
    status = {"recommendation": "candidate", "management_rules": "demonstration"}.get(kind)
    stmt = window_service.window_query(user, status=status)
    return list(Session.scalars(stmt.order_by(Window.code)).all())


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


def add_attachment(actor: User, submission: Submission, data: bytes,
                   filename: str) -> SubmissionAttachment:
    """Store a PDF, Word file or picture through the one upload store and attach it."""
    _check_visible(actor, submission)
    _check_own(actor, submission)
    if actor.role not in SUBMITTER_ROLES[submission.kind]:
        raise PermissionDenied("无权上传附件")
    if submission.state not in {"draft", "returned"}:
        raise Conflict("已提交的材料不能再添加附件")
    if len(submission.attachments) >= MAX_ATTACHMENTS:
        raise ValidationError(f"每份材料最多 {MAX_ATTACHMENTS} 个附件")
    stored = files.save(data, filename, kinds=ATTACHMENT_KINDS, max_bytes=ATTACHMENT_MAX_BYTES)
    att = SubmissionAttachment(submission=submission, checksum=stored.checksum, size=stored.size,
                               content_type=stored.content_type, filename=stored.filename,
                               uploaded_by=actor.id)
    Session.add(att)
    Session.flush()
    audit.record_change(actor, "attach", "submission", submission.id, None,
                        {"file": stored.filename, "sha256": stored.checksum, "size": stored.size})
    return att


def attachment_file(actor: User, submission_id: int, attachment_id: int) -> files.StoredFile:
    sub = get_submission(actor, submission_id)
    att = next((a for a in sub.attachments if a.id == attachment_id), None)
    if att is None:
        raise NotFound("附件不存在")
    return files.StoredFile(att.checksum, att.size, att.content_type, att.filename)


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


# --------------------------------------------------------------------------- expert review


def list_experts() -> list[User]:
    return list(Session.scalars(sa.select(User).where(User.role == "expert", User.active.is_(True))
                                .order_by(User.username)).all())


def assign_expert(actor: User | None, submission: Submission, expert: User) -> ExpertAssignment:
    _require_office(actor)
    if submission.kind != "recommendation" or submission.state != "accepted":
        raise Conflict("只能为已受理的推荐表分配评审专家")
    if expert.role != "expert":
        raise ValidationError(f"{expert.username} 不是评审专家")
    exists = Session.scalar(sa.select(ExpertAssignment.id).where(
        ExpertAssignment.submission_id == submission.id, ExpertAssignment.expert_id == expert.id))
    if exists is not None:
        raise Conflict(f"{expert.display_name} 已分配评审该窗口", code="duplicate")
    assignment = ExpertAssignment(submission_id=submission.id, expert_id=expert.id)
    Session.add(assignment)
    Session.flush()
    audit.record_change(actor, "assign", "expert_assignment", assignment.id, None,
                        {"submission": submission.id, "expert": expert.username})
    return assignment


def assignments_of(expert: User, cycle: Cycle) -> list[ExpertAssignment]:
    return list(Session.scalars(
        sa.select(ExpertAssignment).join(ExpertAssignment.submission)
        .where(ExpertAssignment.expert_id == expert.id, Submission.cycle_id == cycle.id)
        .order_by(Submission.industry, Submission.id)).all())


def assignments_for(submission: Submission) -> list[ExpertAssignment]:
    """Every expert assigned to ``submission`` (the office's view), in assignment order."""
    return list(Session.scalars(sa.select(ExpertAssignment).where(
        ExpertAssignment.submission_id == submission.id).order_by(ExpertAssignment.id)).all())


def _published(submission_id: int) -> bool:
    return Session.scalar(sa.select(PublicityEntry.id).where(
        PublicityEntry.submission_id == submission_id).limit(1)) is not None


def scoring_standard(cycle: Cycle) -> Standard:
    """The evaluation standard experts score the cycle's candidates against: its year's (made
    from the latest earlier one on first need, as the assessment does)."""
    return standards.ensure_standard(cycle.year)


def score_by_standard(std: Standard, items: Any) -> tuple[dict[str, float], float]:
    """Points for every indicator of ``std`` (by its name, 0 to the indicator's points, none
    other) and the total they make on the 0–100 scale: the points' sum over the standard's."""
    if not isinstance(items, Mapping):
        raise ValidationError("请按测评标准逐项评分", details={"items": "应为“指标: 得分”"})
    known = standards.indicator_by_name(std)
    errors: dict[str, str] = {name: "不是当年测评标准的指标"
                              for name in sorted(set(items) - set(known), key=str)}
    clean: dict[str, float] = {}
    for name, indicator in known.items():
        value = items.get(name)
        if value is None or value == "":
            errors[name] = "请评分"
            continue
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
        except (TypeError, ValueError):
            errors[name] = "得分应为数字"
            continue
        if not (math.isfinite(number) and 0 <= number <= indicator.weight):
            errors[name] = f"得分应在 0–{indicator.weight:g} 之间"
            continue
        clean[name] = number
    if errors:
        raise ValidationError("按指标评分有误：" + "；".join(f"{k} {v}" for k, v in errors.items()),
                              details=errors)
    return clean, round(sum(clean.values()) / std.max_score * 100, 2)


def score(actor: User, submission: Submission, items: Any, *, comment: str = ""
          ) -> ExpertAssignment:
    """The assigned expert's score of a candidate: points for each indicator of the cycle
    year's evaluation standard; the total (0–100) is computed from them and the indicators'
    points. Changeable until the results go to publicity."""
    assignment = Session.scalars(sa.select(ExpertAssignment).where(
        ExpertAssignment.submission_id == submission.id,
        ExpertAssignment.expert_id == actor.id)).first()
    if actor.role != "expert" or assignment is None:
        raise NotFound("材料不存在或无权查看")
    if _published(submission.id):
        raise Conflict("评审结果已公示，评分不能再修改")
    clean_items, total = score_by_standard(scoring_standard(submission.cycle), items)
    comment = (comment or "").strip()
    if len(comment) > 5000:
        raise ValidationError("评审意见不能超过 5000 字", details={"comment": "不能超过 5000 字"})
    before = {"total": assignment.total, "items": assignment.items, "comment": assignment.comment}
    assignment.total, assignment.items, assignment.comment = total, clean_items, comment
    assignment.scored_at = utcnow()
    Session.flush()
    audit.record_change(actor, "score", "expert_assignment", assignment.id, before,
                        {"total": assignment.total, "items": assignment.items,
                         "comment": assignment.comment})
    return assignment


@dataclass
class ReviewResult:
    submission: Submission
    scores: list[tuple[str, float]]  # (expert display name, total), scored ones only
    assigned: int
    mean: float | None
    outliers: list[str]  # expert display names

    @property
    def flagged(self) -> bool:
        return bool(self.outliers)


def outliers(scores: list[float], points: float = OUTLIER_POINTS) -> list[int]:
    """Indexes of the scores more than ``points`` from the median of all the candidate's scores.

    The median, not the mean, so that the outlier does not drag the yardstick toward itself
    (90, 92, 60: the mean of the others would flag 92 as well). With two scores both are named
    when they differ by more than ``points``: there is no majority to tell which one is off."""
    if len(scores) < 2:
        return []
    if len(scores) == 2:
        return [0, 1] if abs(scores[0] - scores[1]) > points else []
    median = statistics.median(scores)
    return [i for i, s in enumerate(scores) if abs(s - median) > points]


def review_results(cycle: Cycle) -> list[ReviewResult]:
    """Each accepted recommendation with its experts' scores, the mean of all of them (an
    outlier is flagged for the office, not dropped) and its rank order (best first)."""
    subs = Session.scalars(sa.select(Submission).where(
        Submission.cycle_id == cycle.id, Submission.kind == "recommendation",
        Submission.state == "accepted")).all()
    rows = Session.execute(
        sa.select(ExpertAssignment, User.display_name).join(User, User.id == ExpertAssignment.expert_id)
        .join(Submission, Submission.id == ExpertAssignment.submission_id)
        .where(Submission.cycle_id == cycle.id).order_by(ExpertAssignment.id)).all()
    by_sub: dict[int, list[tuple[ExpertAssignment, str]]] = {}
    for a, name in rows:
        by_sub.setdefault(a.submission_id, []).append((a, name))
    results = []
    for sub in subs:
        pairs = by_sub.get(sub.id, [])
        scored = [(name, float(a.total)) for a, name in pairs if a.total is not None]
        values = [v for _, v in scored]
        mean = round(sum(values) / len(values), 2) if values else None
        results.append(ReviewResult(sub, scored, len(pairs), mean,
                                    [scored[i][0] for i in outliers(values)]))
    results.sort(key=lambda r: (r.mean is None, -(r.mean or 0), r.submission.id))
    return results


# --------------------------------------------------------------------------- publicity and award


def open_publicity(actor: User | None, cycle: Cycle, starts_on: date, ends_on: date,
                   submission_ids: Iterable[int] | None = None, notice: str = "") -> Publicity:
    """Put review results on publicity: a snapshot of each candidate (name, unit, industry,
    mean score) that the public page shows while the period is open."""
    _require_office(actor)
    _check_dates(starts_on, ends_on)
    results = [r for r in review_results(cycle) if r.mean is not None]
    if submission_ids is not None:
        wanted = set(submission_ids)
        results = [r for r in results if r.submission.id in wanted]
    if not results:
        raise ValidationError("没有已评分的候选窗口可以公示")
    publicity = Publicity(cycle_id=cycle.id, starts_on=starts_on, ends_on=ends_on,
                          notice=(notice or "").strip()[:5000])
    for rank, r in enumerate(results, 1):
        w = r.submission.window
        publicity.entries.append(PublicityEntry(
            submission_id=r.submission.id, window_id=w.id, rank=rank, window_name=w.name,
            unit_name=w.unit.name, industry=w.unit.industry, score=r.mean))
    Session.add(publicity)
    Session.flush()
    audit.record_change(actor, "publish", "publicity", publicity.id, None, {
        "year": cycle.year, "starts_on": starts_on, "ends_on": ends_on,
        "windows": [e.window.code for e in publicity.entries]})
    return publicity


def open_publicities(today: date | None = None) -> list[Publicity]:
    today = today or local_today()
    return list(Session.scalars(sa.select(Publicity).where(
        Publicity.starts_on <= today, Publicity.ends_on >= today)
        .order_by(Publicity.starts_on)).all())


def publicities(cycle: Cycle) -> list[Publicity]:
    return list(Session.scalars(sa.select(Publicity).where(Publicity.cycle_id == cycle.id)
                                .order_by(Publicity.id)).all())


def get_entry(entry_id: int) -> PublicityEntry:
    entry = Session.get(PublicityEntry, entry_id) if 0 < entry_id <= MAX_ID else None
    if entry is None:
        raise NotFound("公示条目不存在")
    return entry


def get_objection(objection_id: int) -> Objection:
    objection = Session.get(Objection, objection_id) if 0 < objection_id <= MAX_ID else None
    if objection is None:
        raise NotFound("异议不存在")
    return objection


def record_objection(actor: User | None, entry: PublicityEntry, text: str, *, channel: str = "",
                     received_on: date | None = None) -> Objection:
    _require_office(actor)
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写异议内容", details={"text": "请填写异议内容"})
    if len(text) > 5000:
        raise ValidationError("异议内容不能超过 5000 字")
    received_on = received_on or local_today()
    p = entry.publicity
    if not p.starts_on <= received_on <= p.ends_on:
        raise ValidationError(f"异议须在公示期内（{p.starts_on} 至 {p.ends_on}）提出")
    if entry.awarded_on is not None:
        raise Conflict("该窗口已命名")
    objection = Objection(entry=entry, text=text, channel=(channel or "").strip()[:50],
                          received_on=received_on, recorded_by=actor.id if actor else None)
    Session.add(objection)
    Session.flush()
    audit.record_change(actor, "create", "objection", objection.id, None,
                        {"window": entry.window.code, "received_on": received_on,
                         "channel": objection.channel, "text": text})
    return objection


def answer_objection(actor: User | None, objection: Objection, outcome: str, answer: str
                     ) -> Objection:
    _require_office(actor)
    if outcome not in OBJECTION_OUTCOMES or outcome == "pending":
        raise ValidationError("请选择异议处理结论", details={"outcome": "请选择结论"})
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError("请填写答复内容", details={"answer": "请填写答复内容"})
    if objection.entry.awarded_on is not None:
        raise Conflict("该窗口已命名，异议答复不能再修改")
    before = {"outcome": objection.outcome, "answer": objection.answer}
    objection.outcome, objection.answer, objection.answered_at = outcome, answer[:5000], utcnow()
    Session.flush()
    audit.record_change(actor, "answer", "objection", objection.id, before,
                        {"outcome": outcome, "answer": objection.answer})
    return objection


def award(actor: User | None, entry: PublicityEntry, *, today: date | None = None) -> Window:
    """After publicity ends with every objection answered and none upheld, the window becomes
    示范 with the cycle's year (through the window registry, which audits the change)."""
    _require_office(actor)
    today = today or local_today()
    publicity = entry.publicity
    if today <= publicity.ends_on:
        raise Conflict(f"公示期至 {publicity.ends_on} 结束，期满后方可命名")
    if entry.awarded_on is not None:
        raise Conflict("该窗口已命名")
    if any(o.outcome == "pending" for o in entry.objections):
        raise Conflict("该窗口尚有未答复的异议")
    if any(o.outcome == "upheld" for o in entry.objections):
        raise Conflict("该窗口的异议成立，不予命名")
    year = publicity.cycle.year
    if entry.window.status == "demonstration" and entry.window.status_year == year:
        raise Conflict(f"该窗口已命名为 {year} 年度示范窗口")
    window = window_service.update_window(actor, entry.window.code, {
        "status": "demonstration", "status_year": year, "status_date": today.isoformat(),
        "status_reason": f"{year}年度评审命名（公示期 {publicity.starts_on} 至 {publicity.ends_on}）"})
    entry.awarded_on = today
    Session.flush()
    audit.record_change(actor, "award", "publicity", publicity.id, None,
                        {"window": window.code, "year": year, "awarded_on": today})
    return window


# --------------------------------------------------------------------------- published snapshots


def publish_snapshot(actor: User | None, *, kind: str, source: str, period: str,
                     payload: dict[str, Any], window: Window | None = None,
                     industry: str = "") -> PublishedSnapshot:
    """Publish (or republish) what the public page may show. The quarterly assessment calls
    this with ``kind="assessment"``, ``period="2026Q3"`` and a payload of non-personal figures;
    the public page shows each window's latest."""
    _require_office(actor)
    snap = Session.scalars(sa.select(PublishedSnapshot).where(
        PublishedSnapshot.kind == kind, PublishedSnapshot.source == source)).first()
    before = None if snap is None else {"period": snap.period, "payload": snap.payload}
    # Read before the new row joins the session: loading window.unit would flush it half-made.
    industry = industry or (window.unit.industry if window is not None else "")
    if snap is None:
        snap = PublishedSnapshot(kind=kind, source=source)
    snap.window, snap.industry = window, industry
    snap.period, snap.payload = period, payload
    snap.published_at, snap.published_by = utcnow(), actor.id if actor else None
    Session.add(snap)
    Session.flush()
    audit.record_change(actor, "publish", "published_snapshot", f"{kind}:{source}", before,
                        {"period": period, "payload": payload})
    return snap


def publish_good_practice(actor: User | None, submission: Submission) -> PublishedSnapshot:
    if submission.kind != "good_practice" or submission.state != "accepted":
        raise Conflict("只能发布已受理的诚信服务工作法/优秀案例")
    d = submission.data
    return publish_snapshot(actor, kind="good_practice", source=f"submission:{submission.id}",
                            period=str(submission.cycle.year), window=submission.window,
                            industry=submission.industry, payload={
                                "title": d.get("title", ""),
                                "practice_kind": dict(PRACTICE_KINDS).get(d.get("practice_kind", ""), ""),
                                "text": d.get("text", ""),
                                "unit_name": submission.unit.name if submission.unit else "",
                                "window_name": submission.window.name if submission.window else "",
                            })


def unpublish_good_practice(actor: User | None, submission: Submission) -> None:
    """Take a good practice off the public page (the submission stays)."""
    _require_office(actor)
    snap = Session.scalars(sa.select(PublishedSnapshot).where(
        PublishedSnapshot.kind == "good_practice",
        PublishedSnapshot.source == f"submission:{submission.id}")).first()
    if snap is None:
        raise NotFound("该材料未发布")
    audit.record_change(actor, "delete", "published_snapshot", f"{snap.kind}:{snap.source}",
                        {"period": snap.period, "payload": snap.payload}, None)
    Session.delete(snap)
    Session.flush()


def published_good_practice_sources() -> set[str]:
    return set(Session.scalars(sa.select(PublishedSnapshot.source).where(
        PublishedSnapshot.kind == "good_practice")).all())


# --------------------------------------------------------------------------- reminders


def _due_targets(cycle: Cycle, phase: str) -> dict[str, str]:
    """Who still owes something for ``phase``: target -> what is missing (in Chinese)."""
    done_states = ("submitted", "accepted")

    def done(kind: str) -> sa.Select[Any]:
        return sa.select(Submission).where(Submission.cycle_id == cycle.id,
                                           Submission.kind == kind,
                                           Submission.state.in_(done_states))

    targets: dict[str, str] = {}
    if phase in {"recommendation", "publicity"}:
        industries = set(Session.scalars(
            sa.select(UserScope.industry).join(User, User.id == UserScope.user_id)
            .where(User.role == "authority", User.active.is_(True),
                   UserScope.industry.is_not(None))).all())
        for industry in sorted(industries):
            missing = []
            if phase == "recommendation":
                for kind in ("creation_plan", "recommendation"):
                    if Session.scalar(done(kind).where(Submission.industry == industry)
                                      .with_only_columns(Submission.id).limit(1)) is None:
                        missing.append(label(SUBMISSION_KINDS, kind))
            else:
                if Session.scalar(done("summary").where(
                        Submission.industry == industry, Submission.window_id.is_(None))
                        .with_only_columns(Submission.id).limit(1)) is None:
                    missing.append("行业工作总结")
            if missing:
                targets[f"industry:{industry}"] = "、".join(missing)
    elif phase == "management_rules":
        done_windows = set(Session.scalars(done("management_rules")
                                           .with_only_columns(Submission.window_id)).all())
        rows = Session.execute(
            sa.select(Unit.code, Window.id, Window.name).join(Window.unit)
            .where(Window.status == "demonstration", Window.status_year < cycle.year)
            .order_by(Unit.code, Window.code)).all()
        for unit_code, window_id, name in rows:
            if window_id not in done_windows:
                key = f"unit:{unit_code}"
                targets[key] = (targets[key] + "、" if key in targets else "常态管理办法：") + name
    elif phase == "review":
        rows = Session.execute(
            sa.select(User.username, sa.func.count()).join(
                ExpertAssignment, ExpertAssignment.expert_id == User.id)
            .join(Submission, Submission.id == ExpertAssignment.submission_id)
            .where(Submission.cycle_id == cycle.id, ExpertAssignment.total.is_(None))
            .group_by(User.username)).all()
        for username, n in rows:
            targets[f"expert:{username}"] = f"{n} 个候选窗口待评分"
    return targets


def remind(today: date | None = None, days: Iterable[int] = REMIND_DAYS) -> list[CycleReminder]:
    """Write a reminder for everyone who still owes something before a phase's deadline.

    Idempotent: for each deadline the job picks the nearest threshold (7, 3, 1 days before by
    default) and writes one reminder per target and threshold, however often it runs. The
    reminders are recorded and logged; delivery by e-mail/WeChat comes with the tickets
    issue's alert channels."""
    today = today or local_today()
    thresholds = sorted(set(days))
    made: list[CycleReminder] = []
    for cycle in Session.scalars(sa.select(Cycle).where(
            Cycle.year.in_([today.year, today.year - 1]))).all():
        for phase in cycle.phases:
            left = (phase.ends_on - today).days
            if left < 0:
                continue
            step = next((t for t in thresholds if t >= left), None)
            if step is None:
                continue
            for target, missing in _due_targets(cycle, phase.kind).items():
                exists = Session.scalar(sa.select(CycleReminder.id).where(
                    CycleReminder.cycle_id == cycle.id, CycleReminder.phase == phase.kind,
                    CycleReminder.target == target, CycleReminder.days_before == step))
                if exists is not None:
                    continue
                message = (f"【{cycle.year}年度{label(CYCLE_PHASES, phase.kind)}】"
                           f"{phase.ends_on.isoformat()} 截止（还有 {left} 天），尚未提交：{missing}")
                reminder = CycleReminder(cycle_id=cycle.id, phase=phase.kind, target=target,
                                         days_before=step, due_on=phase.ends_on, message=message)
                Session.add(reminder)
                Session.flush()
                log.info("cycle reminder %s: %s", target, message)
                made.append(reminder)
    return made


def reminders(cycle: Cycle) -> list[CycleReminder]:
    return list(Session.scalars(sa.select(CycleReminder).where(CycleReminder.cycle_id == cycle.id)
                                .order_by(CycleReminder.id.desc()).limit(200)).all())
