"""The alert contacts: the e-mail addresses that receive staff alerts, a unit's (差评, new
tickets, the daily digest, programme reminders), an industry authority's (programme reminders)
or an expert's (review reminders). The office keeps them; ``alert_delivery.recipients`` reads them when
sending; an expert reads their own (``own_contacts``)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Unit, UnitContact, User
from feedback_api.models.reference import INDUSTRIES
from feedback_api.services import audit
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError

#: One mailbox as people write it: a dot-atom local part, a domain of two labels or more (letters,
#: digits, hyphens; Chinese domains too). Never a list, a display name or a quoted local part.
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                    r"@([A-Za-z0-9\u4e00-\u9fff]([A-Za-z0-9\u4e00-\u9fff-]*[A-Za-z0-9\u4e00-\u9fff])?\.)+"
                    r"[A-Za-z\u4e00-\u9fff]{2,}")


def clean_email(email: object) -> str:
    email = email.strip() if isinstance(email, str) else ""
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise ValidationError("电子邮箱格式不正确", details={"email": "格式不正确"})
    return email


def add_contact(actor: User | None, unit: Unit | None, email: object, name: str = "", *,
                industry: str | None = None, expert: User | None = None) -> UnitContact:
    """Register an alert address of ``unit``, or (``unit`` None) of ``industry``'s authority,
    or of ``expert`` (a user of role expert)."""
    if actor is not None and actor.role != "office":
        raise PermissionDenied("只有区联席办可以登记单位的提醒邮箱")
    if (sum(t is not None for t in (unit, industry, expert)) != 1
            or (industry is not None and industry not in INDUSTRIES)
            or (expert is not None and expert.role != "expert")):
        raise ValidationError("请选择单位、行业主管部门或评审专家", details={"unit": "请选择"})
    clean = clean_email(email)
    if unit is not None:
        target = UnitContact.unit_id == unit.id
    elif expert is not None:
        target = UnitContact.user_id == expert.id
    else:
        target = UnitContact.industry == industry
    # The same mailbox in other capitals (mail servers ignore case in practice).
    if Session.scalar(sa.select(sa.exists().where(
            target, sa.func.lower(UnitContact.email) == clean.lower()))):
        raise Conflict(f"{clean} 已登记")
    contact = UnitContact(unit_id=unit.id if unit is not None else None, industry=industry,
                          user_id=expert.id if expert is not None else None,
                          email=clean, name=(name or "").strip()[:100])
    Session.add(contact)
    Session.flush()
    if unit is not None:
        audit.record_change(actor, "create", "unit", unit.code, None,
                            {"alert_email": clean, "name": contact.name})
    elif expert is not None:
        audit.record_change(actor, "update", "user", expert.username, None,
                            {"alert_email": clean, "name": contact.name})
    else:
        audit.record_change(actor, "create", "industry_contact", industry, None,
                            {"alert_email": clean, "name": contact.name})
    return contact


def remove_contact(actor: User | None, contact_id: int) -> None:
    if actor is not None and actor.role != "office":
        raise PermissionDenied("只有区联席办可以删除单位的提醒邮箱")
    contact = Session.get(UnitContact, contact_id)
    if contact is None:
        raise NotFound("该邮箱不存在")
    unit = Session.get(Unit, contact.unit_id) if contact.unit_id is not None else None
    Session.delete(contact)
    Session.flush()
    if contact.industry is not None:
        audit.record_change(actor, "update", "industry_contact", contact.industry,
                            {"alert_email": contact.email}, {"alert_email": None})
    elif contact.user_id is not None:
        expert = Session.get(User, contact.user_id)
        audit.record_change(actor, "update", "user", expert.username if expert else contact.user_id,
                            {"alert_email": contact.email}, {"alert_email": None})
    else:
        audit.record_change(actor, "update", "unit", unit.code if unit else contact.unit_id,
                            {"alert_email": contact.email}, {"alert_email": None})


def contacts_by_unit(units: list[Unit]) -> dict[int, list[UnitContact]]:
    """The alert contacts of ``units``, by unit id, in the order they were added."""
    out: dict[int, list[UnitContact]] = {}
    rows = Session.scalars(sa.select(UnitContact)
                           .where(UnitContact.unit_id.in_([u.id for u in units]))
                           .order_by(UnitContact.unit_id, UnitContact.id))
    for row in rows:
        out.setdefault(row.unit_id, []).append(row)
    return out


def industry_contacts() -> dict[str, list[UnitContact]]:
    """The industry authorities' alert contacts, by industry code."""
    out: dict[str, list[UnitContact]] = {}
    for row in Session.scalars(sa.select(UnitContact).where(UnitContact.industry.is_not(None))
                               .order_by(UnitContact.industry, UnitContact.id)):
        out.setdefault(row.industry or "", []).append(row)
    return out


def expert_contacts() -> dict[int, list[UnitContact]]:
    """The experts' alert contacts, by user id."""
    out: dict[int, list[UnitContact]] = {}
    for row in Session.scalars(sa.select(UnitContact).where(UnitContact.user_id.is_not(None))
                               .order_by(UnitContact.user_id, UnitContact.id)):
        out.setdefault(row.user_id or 0, []).append(row)
    return out


def own_contacts(user: User) -> list[UnitContact]:
    """The addresses registered for ``user`` itself (an expert's review reminders); a unit's or
    an authority's addresses belong to the unit or industry, not to one of its users."""
    return list(Session.scalars(sa.select(UnitContact).where(UnitContact.user_id == user.id)
                                .order_by(UnitContact.id)))
