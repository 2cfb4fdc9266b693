"""Recusal (回避) in the expert review: an expert does not review a candidate of their own work
unit, nor one they declare a conflict with.

An expert's work unit is set on their account (``expert_units``). Assigning an expert to a
candidate of that unit is refused; so is assigning again one who withdrew. An expert declares a
conflict (申请回避) with a reason before scoring; the office withdraws an assignment that turned
out to conflict (e.g. the work unit was set after the assignment). Either way the assignment is
kept for the record and counts nowhere; the office assigns another expert. Audited."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import ExpertAssignment, PublicityEntry, Submission, User
from feedback_api.services import audit
from feedback_api.services.cycle.scopes import _require_office
from feedback_api.services.errors import Conflict, NotFound, ValidationError
from feedback_api.services.feedback import MAX_ID

#: The refusal when the expert's work unit is the candidate's unit.
OWN_UNIT_RECUSAL = "回避：该专家所在单位为被推荐窗口所属单位"
#: The refusal when the expert already withdrew from the candidate.
WITHDRAWN = "回避：该专家已对该候选窗口回避"
REASON_MAX = 500


def candidate_unit_id(submission: Submission) -> int | None:
    """The unit the candidate window belongs to (a recommendation names its window)."""
    if submission.window is not None:
        return submission.window.unit_id
    return submission.unit_id


def expert_conflict(expert: User, submission: Submission) -> str | None:
    """Why ``expert`` must not review ``submission`` by their work unit, or None."""
    unit_id = candidate_unit_id(submission)
    if expert.work_unit_id is not None and expert.work_unit_id == unit_id:
        return OWN_UNIT_RECUSAL
    return None


def check_assignable(expert: User, submission: Submission,
                     existing: ExpertAssignment | None) -> None:
    """Refuse (Conflict, code 'recusal') an assignment the recusal rule forbids."""
    if existing is not None and existing.recused_at is not None:
        raise Conflict(f"{expert.display_name}：{WITHDRAWN}", code="recusal")
    reason = expert_conflict(expert, submission)
    if reason is not None:
        raise Conflict(f"{expert.display_name}：{reason}", code="recusal")


def assignment_conflicts(assignments: list[ExpertAssignment]) -> dict[int, str]:
    """Live assignments that conflict now (the expert's work unit set after the assignment), by
    id: flagged for the office, never withdrawn silently."""
    return {a.id: reason for a in assignments
            if a.recused_at is None and (reason := expert_conflict(a.expert, a.submission)) is not None}


def _reason(text: str | None) -> str:
    reason = (text or "").strip()
    if not reason:
        raise ValidationError("请填写回避理由", details={"reason": "请填写回避理由"})
    if len(reason) > REASON_MAX:
        raise ValidationError(f"回避理由不能超过 {REASON_MAX} 字",
                              details={"reason": f"不能超过 {REASON_MAX} 字"})
    return reason


def _withdraw(actor: User | None, assignment: ExpertAssignment, reason: str, action: str) -> None:
    assignment.recused_at = utcnow()
    assignment.recused_by = actor.id if actor is not None else None
    assignment.recusal_reason = reason
    Session.flush()
    audit.record_change(actor, action, "expert_assignment", assignment.id, {"recused": False},
                        {"recused": True, "reason": reason, "submission": assignment.submission_id,
                         "expert": assignment.expert.username})


def _locked(submission_id: int) -> bool:
    """Whether the candidate is on publicity (``review.scores_locked``, which imports this)."""
    return Session.scalar(sa.select(PublicityEntry.id).where(
        PublicityEntry.submission_id == submission_id).limit(1)) is not None


def own_assignment(actor: User, submission: Submission) -> ExpertAssignment:
    """The expert ``actor``'s own assignment to ``submission`` (withdrawn ones included);
    not found for anyone else."""
    assignment = Session.scalars(sa.select(ExpertAssignment).where(
        ExpertAssignment.submission_id == submission.id,
        ExpertAssignment.expert_id == actor.id)).first()
    if actor.role != "expert" or assignment is None:
        raise NotFound("材料不存在或无权查看")
    return assignment


def declare_recusal(actor: User, submission: Submission, reason: str) -> ExpertAssignment:
    """The assigned expert's declaration of a conflict (申请回避) before scoring: the assignment
    is withdrawn at once and the office assigns another expert."""
    assignment = own_assignment(actor, submission)
    if assignment.recused_at is not None:
        raise Conflict("已申请回避", code="duplicate")
    if assignment.scored_at is not None:
        raise Conflict("已评分，不能再申请回避；如有利害关系，请联系区联席办撤回分配")
    if _locked(submission.id):
        raise Conflict("评审结果已公示，不能再申请回避")
    _withdraw(actor, assignment, _reason(reason), "recuse")
    return assignment


def withdraw_assignment(actor: User | None, assignment: ExpertAssignment, reason: str
                        ) -> ExpertAssignment:
    """The office withdraws an assignment for a conflict (scored or not) before publicity; a
    score given stays on record and no longer counts."""
    _require_office(actor)
    if assignment.recused_at is not None:
        raise Conflict("该分配已回避", code="duplicate")
    if _locked(assignment.submission_id):
        raise Conflict("评审结果已公示，不能再撤回分配")
    _withdraw(actor, assignment, _reason(reason), "recuse_by_office")
    return assignment


def get_assignment(assignment_id: int) -> ExpertAssignment:
    # An id beyond the column's integers is none (PostgreSQL would refuse the lookup itself).
    assignment = Session.get(ExpertAssignment, assignment_id) if 0 < assignment_id <= MAX_ID else None
    if assignment is None:
        raise NotFound("分配不存在")
    return assignment
