"""Units (窗口单位): find or create them, as the ledger import and the demo need."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Unit, User, Window
from feedback_api.models.reference import INDUSTRIES, lookup_code
from feedback_api.models.windows import UNIT_CODE_RE
from feedback_api.services import audit, scope
from feedback_api.services.characters import control_character
from feedback_api.services.errors import PermissionDenied, ValidationError


def unit_to_dict(unit: Unit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "industry": unit.industry,
        "authority": unit.authority,
        "contact_person": unit.contact_person,
        "contact_phone": unit.contact_phone,
        "address": unit.address,
    }


def ensure_unit(
    actor: User | None,
    *,
    name: str,
    code: str | None = None,
    industry: str | None = None,
    authority: str | None = None,
    contact_person: str | None = None,
    contact_phone: str | None = None,
    address: str | None = None,
) -> Unit:
    """Return the unit named ``name`` (or coded ``code``), creating or completing it.

    ``actor`` None is the system (demo, tests). Otherwise each write is checked as the form and
    the API check it: a new unit must fall inside the actor's scope, an existing one must be
    the actor's to manage, and only the office moves a unit to another industry or authority
    (that would move it out of one authority's sight into another's)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("单位名称不能为空")
    for label_, value in (("单位名称", name), ("主管部门", authority), ("负责人", contact_person),
                          ("联系电话", contact_phone), ("地址", address)):
        if value and (reason := control_character(value.strip())) is not None:
            raise ValidationError(f"{label_}{reason}")
    unit = Session.scalars(sa.select(Unit).where(Unit.name == name)).first()
    if unit is None and code:
        unit = Session.scalars(sa.select(Unit).where(Unit.code == code)).first()
    industry_code = lookup_code(INDUSTRIES, industry) if industry else None
    if industry and industry_code is None:
        raise ValidationError(f"行业“{industry}”不在行业列表中")
    if unit is None:
        if not code or not UNIT_CODE_RE.match(code):
            raise ValidationError(f"新单位“{name}”须有单位编号（字母、数字、短横线）")
        if industry_code is None:
            raise ValidationError(f"新单位“{name}”须填写行业")
        if actor is not None and not scope.can_create_unit(actor, industry_code):
            raise PermissionDenied(f"无权新建单位“{name}”：行业不在您的管理范围内")
        unit = Unit(
            name=name,
            code=code,
            industry=industry_code,
            authority=(authority or "").strip(),
            contact_person=(contact_person or "").strip(),
            contact_phone=(contact_phone or "").strip(),
            address=(address or "").strip(),
        )
        Session.add(unit)
        Session.flush()
        audit.record_change(actor, "create", "unit", unit.code, None, unit_to_dict(unit))
        return unit
    if actor is not None:
        if not scope.can_manage_unit(actor, unit):
            raise PermissionDenied(f"无权管理单位“{unit.name}”")
        if actor.role != "office":
            if industry_code and industry_code != unit.industry:
                raise PermissionDenied(f"只有联席办可以变更单位“{unit.name}”的行业")
            if authority and unit.authority and authority.strip() != unit.authority:
                raise PermissionDenied(f"只有联席办可以变更单位“{unit.name}”的主管部门")
    before = unit_to_dict(unit)
    if industry_code:
        unit.industry = industry_code
    for attr, value in (("authority", authority), ("contact_person", contact_person),
                        ("contact_phone", contact_phone), ("address", address)):
        if value:
            setattr(unit, attr, value.strip())
    Session.flush()
    audit.record_change(actor, "update", "unit", unit.code, before, unit_to_dict(unit))
    return unit


def units_with_visible_windows(user: User) -> list[Unit]:
    """The units owning a window ``user`` may see, by code (the filters of the window list)."""
    visible = sa.select(Window.unit_id).join(Window.unit).where(scope.window_clause(user))
    return list(Session.scalars(sa.select(Unit).where(Unit.id.in_(visible)).order_by(Unit.code)))


def manageable_units(user: User) -> list[Unit]:
    """The units under which ``user`` may add or move windows, by code."""
    units = Session.scalars(sa.select(Unit).order_by(Unit.code))
    return [unit for unit in units if scope.can_manage_unit(user, unit)]
