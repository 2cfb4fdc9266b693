"""The programme year: its phases, their dates, and the deadlines each role works to."""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Cycle, CyclePhase, User
from feedback_api.models.reference import CYCLE_PHASES
from feedback_api.services import audit
from feedback_api.services.cycle.scopes import _require_office
from feedback_api.services.errors import Conflict, NotFound, ValidationError
from feedback_api.services.feedback import LOCAL_TZ

#: Default phase dates (month, day) from the programme's own plan.
DEFAULT_PHASES: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "recommendation": ((5, 15), (6, 5)),
    "management_rules": ((5, 15), (5, 30)),
    "review": ((6, 6), (7, 15)),
    "publicity": ((7, 16), (8, 15)),
}


#: The phase whose end is each submission kind's deadline.
DEADLINE_PHASE: dict[str, str] = {
    "recommendation": "recommendation",
    "creation_plan": "recommendation",
    "management_rules": "management_rules",
    "summary": "publicity",
    "good_practice": "publicity",
}


def local_today() -> date:
    return utcnow().astimezone(LOCAL_TZ).date()


def create_cycle(actor: User | None, year: int, title: str = "",
                 dates: dict[str, tuple[date, date]] | None = None) -> Cycle:
    """A programme year with its phases (the plan's default dates unless given)."""
    _require_office(actor)
    if not 2000 <= int(year) <= 2100:
        raise ValidationError("年度应在 2000–2100 之间")
    if Session.scalar(sa.select(Cycle.id).where(Cycle.year == year)) is not None:
        raise Conflict(f"{year} 年度已存在", code="duplicate")
    cycle = Cycle(year=year, title=title or f"{year}年度文明诚信示范窗口创建")
    given = dates or {}
    for kind, ((m1, d1), (m2, d2)) in DEFAULT_PHASES.items():
        start, end = given.get(kind, (date(year, m1, d1), date(year, m2, d2)))
        _check_dates(start, end)
        cycle.phases.append(CyclePhase(kind=kind, starts_on=start, ends_on=end))
    Session.add(cycle)
    Session.flush()
    audit.record_change(actor, "create", "cycle", year, None, _cycle_view(cycle))
    return cycle


def _check_dates(start: date, end: date) -> None:
    if start is None or end is None:
        raise ValidationError("请填写开始和截止日期")
    if start > end:
        raise ValidationError("开始日期不能晚于截止日期")


def _cycle_view(cycle: Cycle) -> dict[str, Any]:
    return {"title": cycle.title,
            **{p.kind: [p.starts_on.isoformat(), p.ends_on.isoformat()] for p in cycle.phases}}


def set_phase_dates(actor: User | None, cycle: Cycle, kind: str, start: date, end: date) -> None:
    _require_office(actor)
    phase = cycle.phase(kind)
    if phase is None:
        raise NotFound(f"阶段 {kind} 不存在")
    _check_dates(start, end)
    before = _cycle_view(cycle)
    phase.starts_on, phase.ends_on = start, end
    Session.flush()
    audit.record_change(actor, "update", "cycle", cycle.year, before, _cycle_view(cycle))


def get_cycle(year: int) -> Cycle:
    cycle = (Session.scalars(sa.select(Cycle).where(Cycle.year == year)).first()
             if 2000 <= year <= 2100 else None)
    if cycle is None:
        raise NotFound(f"{year} 年度尚未建立")
    return cycle


def list_cycles() -> list[Cycle]:
    return list(Session.scalars(sa.select(Cycle).order_by(Cycle.year.desc())).all())


def current_cycle(today: date | None = None) -> Cycle | None:
    """This year's cycle, else the latest."""
    today = today or local_today()
    cycle = Session.scalars(sa.select(Cycle).where(Cycle.year == today.year)).first()
    return cycle or Session.scalars(sa.select(Cycle).order_by(Cycle.year.desc())).first()


#: The phases whose deadline each role watches (the nav shows the next one).
ROLE_PHASES: dict[str, tuple[str, ...]] = {
    "office": tuple(CYCLE_PHASES),
    "authority": ("recommendation", "publicity"),
    "unit": ("management_rules", "publicity"),
    "expert": ("review",),
}


class Deadline(NamedTuple):
    kind: str
    ends_on: date


_phases, _cycles = CyclePhase.__table__, Cycle.__table__
#: Built once, on the tables' columns: the nav runs it on every page, and building the ORM
#: statement and loading a ``CyclePhase`` cost several times the query itself.
_NEXT_DEADLINE = (
    sa.select(_phases.c.kind, _phases.c.ends_on)
    .join(_cycles, _cycles.c.id == _phases.c.cycle_id)
    .where(_cycles.c.year == sa.bindparam("year"),
           _phases.c.kind.in_(sa.bindparam("kinds", expanding=True)),
           _phases.c.ends_on >= sa.bindparam("today"))
    .order_by(_phases.c.ends_on).limit(1))


def next_deadline(user: User, today: date | None = None) -> Deadline | None:
    """The nearest phase end not yet passed that ``user``'s role works to, this year."""
    today = today or local_today()
    kinds = ROLE_PHASES.get(user.role, ())
    if not kinds:
        return None
    row = Session.execute(_NEXT_DEADLINE, {"year": today.year, "kinds": list(kinds),
                                           "today": today}).first()
    return Deadline(row.kind, row.ends_on) if row else None


def deadline(cycle: Cycle, kind: str) -> date | None:
    phase = cycle.phase(DEADLINE_PHASE[kind])
    return phase.ends_on if phase else None
