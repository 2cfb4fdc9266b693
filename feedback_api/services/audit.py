"""The audit log: every change a user makes, with the values before and after."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import AuditLog, User


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def record_change(
    actor: User | None,
    action: str,
    entity_type: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    *,
    actor_label: str = "cli",
) -> AuditLog | None:
    """Add an audit entry; an update that changed nothing is not logged and returns None."""
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        if not changed:
            return None
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after.get(k) for k in sorted(changed)}
    entry = AuditLog(
        user_id=actor.id if actor is not None else None,
        actor=actor.username if actor is not None else actor_label,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=_jsonable(before),
        after=_jsonable(after),
    )
    Session.add(entry)
    Session.flush()
    return entry


#: The most rows one export holds.
MAX_EXPORT = 50000


def _filtered(actor: str | None, entity: str | None, action: str | None,
              since: datetime | None, until: datetime | None) -> sa.Select[tuple[AuditLog]]:
    stmt = sa.select(AuditLog)
    if actor:
        stmt = stmt.where(AuditLog.actor == actor)
    if entity:
        stmt = stmt.where(sa.or_(AuditLog.entity_id == entity, AuditLog.entity_type == entity))
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if since is not None:
        stmt = stmt.where(AuditLog.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditLog.created_at < until)
    return stmt


def list_entries(
    *, page: int = 1, per_page: int = 50, actor: str | None = None, entity: str | None = None,
    action: str | None = None, since: datetime | None = None, until: datetime | None = None,
) -> tuple[list[AuditLog], int]:
    """One page of the log, newest first, with the total; ``entity`` matches an id or a type;
    ``since`` (inclusive) and ``until`` (exclusive) bound the time."""
    stmt = _filtered(actor, entity, action, since, until)
    total = Session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    entries = Session.scalars(
        stmt.order_by(AuditLog.id.desc()).offset((page - 1) * per_page).limit(per_page)).all()
    return list(entries), total


def export_entries(**filters: Any) -> list[AuditLog]:
    """The entries of ``list_entries``'s filters, newest first, at most MAX_EXPORT."""
    stmt = _filtered(filters.get("actor"), filters.get("entity"), filters.get("action"),
                     filters.get("since"), filters.get("until"))
    return list(Session.scalars(stmt.order_by(AuditLog.id.desc()).limit(MAX_EXPORT)))
