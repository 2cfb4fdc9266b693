"""Who sees which submissions: an authority its industry, a unit its windows, an expert
what is assigned to it, the office everything; a draft is its author's alone."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import ExpertAssignment, Submission, User, Window
from feedback_api.services.cycle.fields import SUBMITTER_ROLES
from feedback_api.services.errors import PermissionDenied


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
            sa.select(ExpertAssignment.submission_id).where(
                ExpertAssignment.expert_id == user.id, ExpertAssignment.recused_at.is_(None)))
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
