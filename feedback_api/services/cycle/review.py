"""The expert review: assignments, scores against the year's evaluation standard, and the
results with outliers flagged for the office."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Cycle, ExpertAssignment, PublicityEntry, Standard, Submission, User
from feedback_api.services import audit, standards
from feedback_api.services.cycle import recusal
from feedback_api.services.cycle.scopes import _require_office
from feedback_api.services.errors import Conflict, ValidationError

#: An expert's total is an outlier when it is more than this many points from the median of the
#: candidate's totals (0–100 scale); see ``outliers``.
OUTLIER_POINTS = 15.0


def list_experts() -> list[User]:
    return list(Session.scalars(sa.select(User).where(User.role == "expert", User.active.is_(True))
                                .order_by(User.username)).all())


def assign_expert(actor: User | None, submission: Submission, expert: User) -> ExpertAssignment:
    _require_office(actor)
    if submission.kind != "recommendation" or submission.state != "accepted":
        raise Conflict("只能为已受理的推荐表分配评审专家")
    if expert.role != "expert":
        raise ValidationError(f"{expert.username} 不是评审专家")
    exists = Session.scalar(sa.select(ExpertAssignment).where(
        ExpertAssignment.submission_id == submission.id, ExpertAssignment.expert_id == expert.id))
    recusal.check_assignable(expert, submission, exists)
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


def scores_locked(submission_id: int) -> bool:
    """Whether the candidate is on publicity: its experts' scores can no longer change."""
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
    assignment = recusal.own_assignment(actor, submission)
    if assignment.recused_at is not None:
        raise Conflict("已回避，不能评分")
    if scores_locked(submission.id):
        raise Conflict("评审结果已公示，评分不能再修改")
    if (reason := recusal.expert_conflict(actor, submission)) is not None:
        raise Conflict(f"{reason}，不能评分；请申请回避")
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
    scores: list[tuple[str, float]]  # (expert display name, total), scored live ones only
    assigned: int  # live assignments (withdrawn ones do not count)
    mean: float | None
    outliers: list[str]  # expert display names
    #: Withdrawn assignments (回避): (expert display name, who declared it, reason).
    recused: list[tuple[str, str, str]] = field(default_factory=list)
    #: Live assignments that conflict (the work unit set afterwards): expert display names.
    conflicts: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.outliers or self.conflicts)

    def recusal_text(self) -> str:
        return "；".join(f"{name}（{who}：{reason}）" for name, who, reason in self.recused)


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
        sa.select(ExpertAssignment, User).join(User, User.id == ExpertAssignment.expert_id)
        .join(Submission, Submission.id == ExpertAssignment.submission_id)
        .where(Submission.cycle_id == cycle.id).order_by(ExpertAssignment.id)).all()
    by_sub: dict[int, list[tuple[ExpertAssignment, User]]] = {}
    for a, expert in rows:
        by_sub.setdefault(a.submission_id, []).append((a, expert))
    results = []
    for sub in subs:
        pairs = [(a, e) for a, e in by_sub.get(sub.id, []) if a.recused_at is None]
        scored = [(e.display_name, float(a.total)) for a, e in pairs if a.total is not None]
        values = [v for _, v in scored]
        mean = round(sum(values) / len(values), 2) if values else None
        recused = [(e.display_name, "专家申请" if a.declared_by_expert else "联席办撤回",
                    a.recusal_reason) for a, e in by_sub.get(sub.id, []) if a.recused_at is not None]
        conflicts = [e.display_name for a, e in pairs if recusal.expert_conflict(e, sub) is not None]
        results.append(ReviewResult(sub, scored, len(pairs), mean,
                                    [scored[i][0] for i in outliers(values)], recused, conflicts))
    results.sort(key=lambda r: (r.mean is None, -(r.mean or 0), r.submission.id))
    return results
