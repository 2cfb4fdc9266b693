"""The e-mail addresses of industry authorities (行业主管部门) that receive their industry's
alerts (repeat problems across windows); the office keeps them."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import IndustryContact, User
from feedback_api.models.reference import INDUSTRIES
from feedback_api.services import audit
from feedback_api.services.alerts import _clean_email
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError


def add(actor: User | None, industry: str, email: object, name: str = "") -> IndustryContact:
    if actor is not None and actor.role != "office":
        raise PermissionDenied("只有区联席办可以登记行业主管部门的提醒邮箱")
    industry = (industry or "").strip()
    if industry not in INDUSTRIES:
        raise ValidationError(f"未知行业 {industry}", details={"industry": "未知"})
    clean = _clean_email(email)
    if Session.scalar(sa.select(sa.exists().where(IndustryContact.industry == industry,
                                                  IndustryContact.email == clean))):
        raise Conflict(f"{clean} 已登记")
    contact = IndustryContact(industry=industry, email=clean, name=(name or "").strip()[:100])
    Session.add(contact)
    Session.flush()
    audit.record_change(actor, "create", "industry_contact", contact.id, None,
                        {"industry": industry, "alert_email": clean, "name": contact.name})
    return contact


def of_industry(industry: str) -> list[IndustryContact]:
    return list(Session.scalars(sa.select(IndustryContact)
                                .where(IndustryContact.industry == industry)
                                .order_by(IndustryContact.id)))


def remove(actor: User | None, contact_id: int) -> None:
    if actor is not None and actor.role != "office":
        raise PermissionDenied("只有区联席办可以删除行业主管部门的提醒邮箱")
    contact = Session.get(IndustryContact, contact_id)
    if contact is None:
        raise NotFound("该邮箱不存在")
    Session.delete(contact)
    Session.flush()
    audit.record_change(actor, "delete", "industry_contact", contact_id,
                        {"industry": contact.industry, "alert_email": contact.email}, None)


def all_contacts() -> list[IndustryContact]:
    return list(Session.scalars(sa.select(IndustryContact)
                                .order_by(IndustryContact.industry, IndustryContact.id)))
