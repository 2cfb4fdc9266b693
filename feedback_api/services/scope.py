"""What each user may see: the office and the agency see every window; others see their scope."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Unit, User, Window

#: Roles that read every window (the agency reviews all citizen feedback).
GLOBAL_ROLES = frozenset({"office", "agency"})


def window_clause(user: User) -> sa.ColumnElement[bool]:
    """A WHERE clause over ``Window`` (joined to ``Unit``) selecting what ``user`` may see."""
    if user.role in GLOBAL_ROLES:
        return sa.true()
    industries = [s.industry for s in user.scopes if s.industry]
    unit_ids = [s.unit_id for s in user.scopes if s.unit_id]
    window_ids = [s.window_id for s in user.scopes if s.window_id]
    clauses: list[sa.ColumnElement[bool]] = []
    if industries:
        clauses.append(Window.unit_id.in_(sa.select(Unit.id).where(Unit.industry.in_(industries))))
    if unit_ids:
        clauses.append(Window.unit_id.in_(unit_ids))
    if window_ids:
        clauses.append(Window.id.in_(window_ids))
    return sa.or_(*clauses) if clauses else sa.false()


def can_see_window(user: User, window: Window) -> bool:
    if user.role in GLOBAL_ROLES:
        return True
    for s in user.scopes:
        if s.window_id == window.id or s.unit_id == window.unit_id:
            return True
        if s.industry and window.unit.industry == s.industry:
            return True
    return False


def can_see_unit(user: User, unit: Unit) -> bool:
    """Whether ``user``'s scope takes in ``unit`` as a whole (even one with no window yet)."""
    if user.role in GLOBAL_ROLES:
        return True
    return any(s.unit_id == unit.id or (s.industry and s.industry == unit.industry)
               for s in user.scopes)


def can_manage_unit(user: User, unit: Unit) -> bool:
    """Whether ``user`` may add or edit windows of ``unit`` (its whole unit or industry in scope)."""
    if user.role == "office":
        return True
    if user.role != "authority":
        return False
    return any((s.unit_id is not None and s.unit_id == unit.id)
               or (s.industry and s.industry == unit.industry) for s in user.scopes)


def can_create_unit(user: User, industry: str) -> bool:
    """Whether ``user`` may register a new unit of ``industry`` (the office; an industry's authority)."""
    if user.role == "office":
        return True
    return user.role == "authority" and any(s.industry == industry for s in user.scopes)


def can_edit_windows(user: User) -> bool:
    """The office keeps the registry; authorities keep the ledger of their own industry."""
    return user.role in {"office", "authority"}


def sees_raw_opinions(user: User) -> bool:
    """Window units and authorities read opinions only after personal data is masked."""
    return user.role in GLOBAL_ROLES


def sees_citizen_alias(user: User) -> bool:
    """Window units never see which feedback came from the same citizen."""
    return user.role != "unit"


def visible_window_ids(user: User) -> sa.Select[tuple[int]]:
    """The ids of the windows ``user`` may see, as a subquery for ``IN``."""
    return sa.select(Window.id).join(Window.unit).where(window_clause(user))


def page_of(stmt: sa.Select[Any], page: int, per_page: int) -> tuple[list[Any], int]:
    """One page of an ordered ``stmt`` selecting entities, with the total count."""
    total = Session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    items = Session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)).all()
    return list(items), int(total or 0)
