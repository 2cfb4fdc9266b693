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


#: The phases that follow one another: each starts after the one before it ends (experts review
#: what was recommended; the public sees the review's results). The units' management rules,
#: from windows already holding the title, run alongside and have no place in this order.
SEQUENCE: tuple[str, ...] = ("recommendation", "review", "publicity")


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
    calendar = {kind: given.get(kind, (date(year, m1, d1), date(year, m2, d2)))
                for kind, ((m1, d1), (m2, d2)) in DEFAULT_PHASES.items()}
    for kind, (start, end) in calendar.items():
        _check_dates(start, end, CYCLE_PHASES[kind])
    for kind in SEQUENCE[:0:-1]:  # each against the one before it, the message names the later
        _check_sequence(calendar, kind)
    for kind, (start, end) in calendar.items():
        cycle.phases.append(CyclePhase(kind=kind, starts_on=start, ends_on=end))
    Session.add(cycle)
    Session.flush()
    audit.record_change(actor, "create", "cycle", year, None, _cycle_view(cycle))
    return cycle


def _check_dates(start: date, end: date, what: str = "") -> None:
    """``what`` names the period in the message (e.g. 评审评定, 公示)."""
    if start is None or end is None:
        raise ValidationError(f"请填写{what}开始和截止日期")
    if start > end:
        raise ValidationError(f"{what}{'的' if what else ''}开始日期（{start}）不能晚于截止日期（{end}）",
                              details={"ends_on": "截止日期早于开始日期"})


def _check_reach(year: int, start: date, end: date) -> None:
    """A phase runs from the year before its cycle (preparations) to the year after it (a
    publicity or award past New Year): a date beyond that is a typo (0001-01-01, 2062)."""
    first, last = date(year - 1, 1, 1), date(year + 1, 12, 31)
    wrong = {f: "须在前后一年之内" for f, d in (("starts_on", start), ("ends_on", end))
             if not first <= d <= last}
    if wrong:
        raise ValidationError(f"{year} 年度的阶段日期须在 {year - 1} 年 1 月 1 日至 {year + 1} 年 12 月 31 日"
                              f"之间，所填为 {start} 至 {end}", details=wrong)


def _check_sequence(calendar: dict[str, tuple[date, date]], kind: str) -> None:
    """Refuse ``kind``'s dates in ``calendar`` if they break ``SEQUENCE`` with its neighbours."""
    if kind not in SEQUENCE:
        return
    i = SEQUENCE.index(kind)
    start, end = calendar[kind]
    order = " → ".join(CYCLE_PHASES[k] for k in SEQUENCE)
    hint = f"各阶段依次进行（{order}）；整体推后时请从后面的阶段调起，整体提前时从前面的阶段调起"
    if i > 0 and SEQUENCE[i - 1] in calendar:
        before = SEQUENCE[i - 1]
        if start <= calendar[before][1]:
            raise ValidationError(
                f"{CYCLE_PHASES[kind]}须在{CYCLE_PHASES[before]}截止（{calendar[before][1]}）之后开始，"
                f"所填开始日期为 {start}。{hint}",
                details={"starts_on": f"须晚于{CYCLE_PHASES[before]}截止日期"})
    if i + 1 < len(SEQUENCE) and SEQUENCE[i + 1] in calendar:
        after = SEQUENCE[i + 1]
        if end >= calendar[after][0]:
            raise ValidationError(
                f"{CYCLE_PHASES[kind]}须在{CYCLE_PHASES[after]}开始（{calendar[after][0]}）之前截止，"
                f"所填截止日期为 {end}。{hint}",
                details={"ends_on": f"须早于{CYCLE_PHASES[after]}开始日期"})


def _cycle_view(cycle: Cycle) -> dict[str, Any]:
    return {"title": cycle.title,
            **{p.kind: [p.starts_on.isoformat(), p.ends_on.isoformat()] for p in cycle.phases}}


def set_phase_dates(actor: User | None, cycle: Cycle, kind: str, start: date, end: date) -> None:
    _require_office(actor)
    phase = cycle.phase(kind)
    if phase is None:
        raise NotFound(f"阶段 {kind} 不存在")
    _check_dates(start, end, CYCLE_PHASES[kind])
    _check_reach(cycle.year, start, end)
    calendar = {p.kind: (p.starts_on, p.ends_on) for p in cycle.phases}
    _check_sequence({**calendar, kind: (start, end)}, kind)
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
    .where(_cycles.c.year.in_(sa.bindparam("years", expanding=True)),
           _phases.c.kind.in_(sa.bindparam("kinds", expanding=True)),
           _phases.c.ends_on >= sa.bindparam("today"))
    .order_by(_phases.c.ends_on).limit(1))


def next_deadline(user: User, today: date | None = None) -> Deadline | None:
    """The nearest phase end not yet passed that ``user``'s role works to, in this year's cycle
    or last year's (a phase may run past New Year; the reminder job looks at both too)."""
    today = today or local_today()
    kinds = ROLE_PHASES.get(user.role, ())
    if not kinds:
        return None
    row = Session.execute(_NEXT_DEADLINE, {"years": [today.year - 1, today.year],
                                           "kinds": list(kinds),
                                           "today": today}).first()
    return Deadline(row.kind, row.ends_on) if row else None


def deadline(cycle: Cycle, kind: str) -> date | None:
    phase = cycle.phase(DEADLINE_PHASE[kind])
    return phase.ends_on if phase else None
