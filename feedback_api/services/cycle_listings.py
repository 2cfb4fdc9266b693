"""Paged listings of the programme cycle (the JSON API reads them), scoped as the pages are:
recommendations as ``cycle.submission_clause`` allows (an expert: those assigned to it),
expert scores for the office (all) and for an expert (its own), objections for the office."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from feedback_api.db import Session
from feedback_api.models import (
    Cycle,
    ExpertAssignment,
    Objection,
    Publicity,
    PublicityEntry,
    Submission,
    User,
)
from feedback_api.services.cycle import can_use, submission_clause
from feedback_api.services.errors import PermissionDenied


def require_cycle_user(user: User) -> None:
    """The cycle is the office's, the authorities', the units' and the experts' (not the agency's)."""
    if not can_use(user):
        raise PermissionDenied("无权查看年度创建工作")


def require_office(user: User) -> None:
    """Objections are the office's: it records and answers them (their text may name people)."""
    if user.role != "office":
        raise PermissionDenied("异议仅区联席办可查看和处理")


def _page(stmt: sa.Select, page: int, per_page: int, *order: sa.ColumnElement) -> tuple[list, int]:
    total = Session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    items = Session.scalars(stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page))
    return list(items.unique().all()), int(total or 0)


def page_submissions(user: User, *, kind: str | None = None, year: int | None = None,
                     state: str | None = None, industry: str | None = None, page: int = 1,
                     per_page: int = 50) -> tuple[list[Submission], int]:
    """The submissions ``user`` may see (a draft only its author), newest year first, then by
    industry, kind and number."""
    require_cycle_user(user)
    stmt = (sa.select(Submission).join(Cycle, Cycle.id == Submission.cycle_id)
            .where(submission_clause(user))
            .options(selectinload(Submission.attachments), selectinload(Submission.window),
                     selectinload(Submission.cycle)))
    if kind:
        stmt = stmt.where(Submission.kind == kind)
    if year is not None:
        stmt = stmt.where(Cycle.year == year)
    if state:
        stmt = stmt.where(Submission.state == state)
    if industry:
        stmt = stmt.where(Submission.industry == industry)
    return _page(stmt, page, per_page, Cycle.year.desc(), Submission.industry, Submission.kind,
                 Submission.id)


def page_recommendations(user: User, **filters: Any) -> tuple[list[Submission], int]:
    return page_submissions(user, kind="recommendation", **filters)


def page_reviews(user: User, *, year: int | None = None, submission: int | None = None,
                 page: int = 1, per_page: int = 50) -> tuple[list[ExpertAssignment], int]:
    """Each expert's score of a candidate: the office sees every one, an expert its own."""
    if user.role not in {"office", "expert"}:
        raise PermissionDenied("评审评分仅区联席办和评审专家本人可查看")
    stmt = (sa.select(ExpertAssignment)
            .join(Submission, Submission.id == ExpertAssignment.submission_id)
            .join(Cycle, Cycle.id == Submission.cycle_id)
            .options(selectinload(ExpertAssignment.expert),
                     selectinload(ExpertAssignment.submission).selectinload(Submission.window),
                     selectinload(ExpertAssignment.submission).selectinload(Submission.cycle)))
    if user.role == "expert":
        stmt = stmt.where(ExpertAssignment.expert_id == user.id)
    if year is not None:
        stmt = stmt.where(Cycle.year == year)
    if submission is not None:
        stmt = stmt.where(ExpertAssignment.submission_id == submission)
    return _page(stmt, page, per_page, Cycle.year.desc(), ExpertAssignment.submission_id,
                 ExpertAssignment.id)


def page_objections(user: User, *, year: int | None = None, outcome: str | None = None,
                    page: int = 1, per_page: int = 50) -> tuple[list[Objection], int]:
    """Objections received during publicity (the office records and answers them)."""
    require_office(user)
    stmt = (sa.select(Objection).join(PublicityEntry, PublicityEntry.id == Objection.entry_id)
            .join(Publicity, Publicity.id == PublicityEntry.publicity_id)
            .join(Cycle, Cycle.id == Publicity.cycle_id)
            .options(selectinload(Objection.entry).selectinload(PublicityEntry.window),
                     selectinload(Objection.entry).selectinload(PublicityEntry.publicity)
                     .selectinload(Publicity.cycle)))
    if year is not None:
        stmt = stmt.where(Cycle.year == year)
    if outcome:
        stmt = stmt.where(Objection.outcome == outcome)
    return _page(stmt, page, per_page, Cycle.year.desc(), Objection.id)
