"""An expert's work unit (工作单位), set on their account by the office (accounts page, CLI):
a registered unit of the programme, whose candidates the expert does not review (回避,
services/cycle/recusal.py), and/or free text for an organisation outside it (a university).
Changing it never touches existing assignments: one that now conflicts is flagged for the
office on the review pages."""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import ExpertAssignment, Submission, Unit, User, Window
from feedback_api.services import audit
from feedback_api.services.errors import ValidationError

OTHER_MAX = 200


def units() -> list[Unit]:
    """The registered units an expert may belong to, by code (for the page's list)."""
    return list(Session.scalars(sa.select(Unit).order_by(Unit.code)))


def find_unit(text: str | None) -> Unit | None:
    """The registered unit ``text`` names by code or name, or None; also as typed in full width
    by a Chinese input method (ＣＤ－ＲＭＹＹ), names keeping their full-width brackets."""
    text = (text or "").strip()
    forms = {text, unicodedata.normalize("NFKC", text)}
    return Session.scalars(sa.select(Unit).where(
        sa.or_(Unit.code.in_(forms), Unit.name.in_(forms)))).first() if text else None


def resolve_unit(text: str | None) -> Unit | None:
    """A unit by code or name (the CLI's ``--work-unit``); None for an empty text."""
    text = (text or "").strip()
    if not text:
        return None
    unit = find_unit(text)
    if unit is None:
        raise ValidationError(f"工作单位“{text}”不是本区登记的单位编号或名称；"
                              "区外单位请填写在“其他工作单位”",
                              details={"work_unit": "不是本区登记的单位"})
    return unit


def _state(user: User) -> dict[str, str | None]:
    return {"work_unit": user.work_unit.code if user.work_unit is not None else None,
            "work_unit_other": user.work_unit_other}


def set_work_unit(actor: User | None, user: User, *, unit_id: int | None, other: str = "") -> bool:
    """Set (or, with nothing given, clear) ``user``'s work unit; only an expert has one.
    False (nothing logged) if nothing changed."""
    other = (other or "").strip()
    if user.role != "expert" and (unit_id is not None or other):
        raise ValidationError("仅评审专家填写工作单位", details={"work_unit": "仅评审专家填写"})
    if len(other) > OTHER_MAX:
        raise ValidationError(f"其他工作单位不能超过 {OTHER_MAX} 字",
                              details={"work_unit_other": f"不能超过 {OTHER_MAX} 字"})
    unit = Session.get(Unit, unit_id) if unit_id is not None else None
    if unit_id is not None and unit is None:
        raise ValidationError("所选工作单位不存在", details={"work_unit": "所选单位不存在"})
    before = _state(user)
    user.work_unit, user.work_unit_other = unit, other
    Session.flush()
    return audit.record_change(actor, "set_work_unit", "user", user.username, before,
                               _state(user)) is not None


def conflicting_assignments(user: User) -> int:
    """How many of the expert's live assignments are of candidates of their work unit."""
    if user.work_unit_id is None:
        return 0
    return Session.scalar(
        sa.select(sa.func.count()).select_from(ExpertAssignment)
        .join(Submission, Submission.id == ExpertAssignment.submission_id)
        .join(Window, Window.id == Submission.window_id)
        .where(ExpertAssignment.expert_id == user.id, ExpertAssignment.recused_at.is_(None),
               Window.unit_id == user.work_unit_id)) or 0


def set_from_text(actor: User | None, user: User, text: str) -> None:
    """One cell of text (the account import's 工作单位): a registered unit's code or name links
    that unit; anything else is an outside organisation, kept as typed."""
    unit = find_unit(text)
    set_work_unit(actor, user, unit_id=unit.id if unit else None, other="" if unit else text)


def describe(user: User) -> str:
    """The work unit as shown: the registered unit and/or the outside organisation."""
    parts = [user.work_unit.name if user.work_unit is not None else "", user.work_unit_other]
    return "；".join(p for p in parts if p)
