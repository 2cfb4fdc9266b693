"""A failed indicator of a quarterly inspection opens a supervision ticket (source 综合检查),
one per indicator, found again by its source reference."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import AuditLog, Inspection, Ticket, User
from feedback_api.models.reference import TOPICS
from feedback_api.services import audit, ticket_open, tickets
from feedback_api.services.errors import Conflict, NotFound

#: Who opens tickets (tickets.SUPERVISOR_ROLES): the agency, and the office.
TICKET_ROLES = tuple(sorted(tickets.SUPERVISOR_ROLES))


def can_open_ticket(user: User) -> bool:
    return user.role in tickets.SUPERVISOR_ROLES


def finding_ref(insp: Inspection, indicator_id: int) -> str:
    """The ticket's source reference for one indicator of one inspection (also how it is found)."""
    return f"综合检查 {insp.year}Q{insp.quarter} #{insp.id}-{indicator_id}"


def finding_tickets(insp: Inspection) -> dict[int, Ticket]:
    """The tickets already opened for this inspection's failed indicators, by indicator id."""
    refs = {finding_ref(insp, s.indicator_id): s.indicator_id for s in insp.scores}
    found = Session.scalars(sa.select(Ticket).where(
        Ticket.window_id == insp.window_id, Ticket.source == "inspection",
        Ticket.source_ref.in_(refs))).all()
    return {refs[t.source_ref]: t for t in found}


def open_ticket_for_finding(actor: User | None, insp: Inspection, indicator_id: int,
                            note: str = "") -> Ticket:
    """Open a supervision ticket (source 综合检查) for a failed indicator; one per indicator."""
    score = next((s for s in insp.scores if s.indicator_id == indicator_id), None)
    if score is None:
        raise NotFound("该检查没有这一指标")
    if score.passed:
        raise Conflict(f"指标“{score.indicator.name}”合格，无需督办")
    existing = finding_tickets(insp).get(indicator_id)
    if existing is not None:
        raise Conflict(f"该指标已开督办单 {existing.number}")
    ind = score.indicator
    problem = (f"{insp.year}年第{insp.quarter}季度综合检查（{insp.inspected_on.isoformat()}，"
               f"检查人员：{insp.inspectors}）中，指标“{ind.name}”得分 {score.score:g}，"
               f"低于合格线 {ind.pass_line:g}（满分 {ind.weight:g}）。")
    if note.strip():
        problem += "\n" + note.strip()
    problem += "\n请整改并反馈整改结果。"
    topic = ind.category if ind.category in TOPICS else "other"
    return ticket_open.open_ticket(actor, insp.window, topic=topic, problem=problem[:tickets.MAX_PROBLEM],
                                   source="inspection", source_ref=finding_ref(insp, indicator_id))


def note_correction(actor: User | None, insp: Inspection, before: dict[str, Any]) -> list[Ticket]:
    """An inspection corrected (``before``: its ``inspection_to_dict`` as it was): each ticket
    opened from an indicator whose score changed gets an audited note on its page (who, when,
    from what to what). The ticket itself stays as it is: the agency verifies and closes it."""
    was_scores = before.get("scores") or {}
    noted = []
    for indicator_id, ticket in finding_tickets(insp).items():
        sc = next(s for s in insp.scores if s.indicator_id == indicator_id)
        was = was_scores.get(sc.indicator.name)
        if was is None or was == sc.score:
            continue
        by = (actor.display_name or actor.username) if actor is not None else "系统"
        audit.record_change(actor, "source_fix", "ticket", ticket.id,
                            {"score": was, "passed": was >= sc.indicator.pass_line},
                            {"score": sc.score, "passed": sc.passed, "indicator": sc.indicator.name,
                             "inspection": finding_ref(insp, indicator_id), "by": by})
        noted.append(ticket)
    return noted


def correction_notes(ticket: Ticket) -> list[AuditLog]:
    """The notes of its source inspection's corrections (:func:`note_correction`), oldest first."""
    if ticket.source != "inspection":
        return []
    return list(Session.scalars(sa.select(AuditLog).where(
        AuditLog.entity_type == "ticket", AuditLog.entity_id == str(ticket.id),
        AuditLog.action == "source_fix").order_by(AuditLog.id)))
