"""The delisting rules (摘牌规则), evaluated from the records of one calendar year (a window titled
during it: from its title day, ``services.delisting.judged_from``); a triggered rule opens a
delisting proposal with its evidence for the office (never a status change).

Rule numbers follow the programme: (1) three failed quarterly inspections; (2) the same supervised
problem pushed three rounds in a row without completion; (3) the same indicator failing four or
more covert inspections; (4) a major incident. Rule 2 asks the tickets service's repeated-push
query, with all three pushes (rounds) opened within the calendar year."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import (
    CovertInspection,
    CovertResult,
    DelistingProposal,
    Incident,
    Inspection,
    StandardIndicator,
    Ticket,
    TicketRound,
    User,
    Window,
)
from feedback_api.models.reference import DEMONSTRATION, INCIDENT_KINDS, TOPICS, label
from feedback_api.services import delisting as proposals
from feedback_api.services import scope, ticket_clocks
from feedback_api.services.feedback import LOCAL_TZ

FAILED_INSPECTIONS = proposals.FAILED_INSPECTIONS
COVERT_FAILURES = proposals.COVERT_FAILURES
REPEATED_PUSHES = 3
#: Rules not evaluated yet, and why (shown beside the proposals): none since tickets landed.
UNAVAILABLE_RULES: dict[int, str] = {}


def _failed_inspections(year: int, at_least: int = FAILED_INSPECTIONS) -> dict[int, dict[str, Any]]:
    """Rule 1: windows with three or more failed quarterly inspections of the year's quarters."""
    failed = sa.and_(Inspection.year == year, Inspection.passed.is_(False),
                     Inspection.inspected_on >= proposals.judged_from(year))
    hits = (sa.select(Inspection.window_id).join(Window, Window.id == Inspection.window_id)
            .where(failed).group_by(Inspection.window_id).having(sa.func.count() >= at_least))
    items: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for i in Session.scalars(sa.select(Inspection).join(Window, Window.id == Inspection.window_id)
                             .where(failed, Inspection.window_id.in_(hits))
                             .order_by(Inspection.quarter)):
        items[i.window_id].append({"key": f"inspection:{i.id}", "quarter": f"{i.year}Q{i.quarter}",
                                   "inspected_on": i.inspected_on.isoformat(),
                                   "total": i.total, "max_total": i.max_total})
    return {w: {"summary": f"{year}年 {len(v)} 次季度综合检查不合格："
                + "、".join(f"{x['quarter']}（{x['total']:g}分）" for x in v), "items": v}
            for w, v in items.items()}


def _covert_failures(year: int, at_least: int = COVERT_FAILURES) -> dict[int, dict[str, Any]]:
    """Rule 3: windows where one indicator failed in four or more covert inspections of the year."""
    in_year = sa.and_(CovertInspection.inspected_on >= date(year, 1, 1),
                      CovertInspection.inspected_on < date(year + 1, 1, 1),
                      CovertResult.passed.is_(False),
                      CovertInspection.inspected_on >= proposals.judged_from(year))
    pairs = (sa.select(CovertInspection.window_id, CovertResult.indicator_id)
             .join(CovertResult, CovertResult.covert_inspection_id == CovertInspection.id)
             .join(Window, Window.id == CovertInspection.window_id)
             .where(in_year).group_by(CovertInspection.window_id, CovertResult.indicator_id)
             .having(sa.func.count(sa.distinct(CovertInspection.id)) >= at_least)).subquery()
    rows = Session.execute(
        sa.select(CovertInspection.window_id, CovertInspection.id, CovertInspection.inspected_on,
                  StandardIndicator.id, StandardIndicator.name)
        .join(CovertResult, CovertResult.covert_inspection_id == CovertInspection.id)
        .join(StandardIndicator, StandardIndicator.id == CovertResult.indicator_id)
        .join(Window, Window.id == CovertInspection.window_id)
        .join(pairs, sa.and_(pairs.c.window_id == CovertInspection.window_id,
                             pairs.c.indicator_id == CovertResult.indicator_id))
        .where(in_year).order_by(StandardIndicator.position, CovertInspection.inspected_on))
    items: dict[int, list[dict[str, Any]]] = defaultdict(list)
    per_indicator: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for window_id, covert_id, on, indicator_id, name in rows:
        items[window_id].append({"key": f"covert:{covert_id}:{indicator_id}", "indicator": name,
                                 "covert_inspection": covert_id, "inspected_on": on.isoformat()})
        per_indicator[window_id][name] += 1
    return {w: {"summary": f"{year}年暗查不合格："
                + "、".join(f"“{n}” {c} 次" for n, c in per_indicator[w].items()), "items": v}
            for w, v in items.items()}


def _repeated_pushes(year: int, at_least: int = REPEATED_PUSHES) -> dict[int, dict[str, Any]]:
    """Rule 2: windows with a supervised problem pushed ``at_least`` rounds in a row without
    completion (each sent back, or past its deadline unanswered), those rounds opened in ``year``.

    The tickets service looks back a year from ``as_of``: the year's end, or now for this year.
    A streak that starts in December and goes on is the earlier year's, as it would be found
    first."""
    year_start = datetime.combine(date(year, 1, 1), time.min, tzinfo=LOCAL_TZ)
    year_end = datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=LOCAL_TZ)
    as_of = min(utcnow(), year_end)
    if as_of <= year_start:
        return {}
    # A window titled during the year: only the rounds opened from its title day on.
    since = proposals.judged_from(year)
    titled_on = {w: datetime.combine(d, time.min, tzinfo=LOCAL_TZ) for w, d in Session.execute(
        sa.select(Window.id, since).where(since > date(year, 1, 1)))}
    found = ticket_clocks.repeated_pushes(as_of=as_of, streak=at_least, counted_from=titled_on)
    wanted = {(p.ticket_id, n) for pushes in found.values() for p in pushes for n in p.rounds}
    if not wanted:
        return {}
    rounds = {(r.ticket_id, r.number): (r, number, topic, state) for r, number, topic, state in
              Session.execute(sa.select(TicketRound, Ticket.number, Ticket.topic, Ticket.state)
                              .join(TicketRound.ticket)
                              .where(TicketRound.ticket_id.in_({t for t, _n in wanted})))}
    out: dict[int, dict[str, Any]] = {}
    for window_id, pushes in sorted(found.items()):
        items: list[dict[str, Any]] = []
        summaries = []
        for push in pushes:
            streak = [rounds[(push.ticket_id, n)] for n in push.rounds]
            if any(r.opened_at < year_start for r, *_ in streak):
                continue
            if at_least < REPEATED_PUSHES and streak[0][3] == "closed":
                continue  # a warning is for a problem still open
            number, topic = streak[0][1], streak[0][2]
            for r, *_ in streak:
                items.append({
                    "key": f"ticket:{push.ticket_id}:{r.number}", "ticket": number,
                    "topic": topic, "round": r.number,
                    "opened_on": r.opened_at.astimezone(LOCAL_TZ).date().isoformat(),
                    "due": r.due.isoformat(),
                    "outcome": "退回重办" if r.verdict == "sent_back" else "逾期未反馈",
                    "reason": (r.verdict_reason or "")[:200]})
            summaries.append(f"督办单 {number}（{label(TOPICS, topic)}）连续 {len(streak)} 轮"
                             "未完成整改：" + "、".join(f"第 {r.number} 轮" for r, *_ in streak))
        if items:
            out[window_id] = {"summary": f"{year}年" + "；".join(summaries), "items": items}
    return out


def _major_incidents(year: int) -> dict[int, dict[str, Any]]:
    """Rule 4: windows with a major incident in the year."""
    items: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for i in Session.scalars(sa.select(Incident).join(Window, Window.id == Incident.window_id).where(
            Incident.severity == "major", Incident.occurred_on >= proposals.judged_from(year),
            Incident.occurred_on < date(year + 1, 1, 1)).order_by(Incident.occurred_on)):
        items[i.window_id].append({"key": f"incident:{i.id}", "occurred_on": i.occurred_on.isoformat(),
                                   "kind": i.kind, "description": i.description[:200],
                                   "source": i.source})
    return {w: {"summary": "；".join(f"{x['occurred_on']} 发生重大{label(INCIDENT_KINDS, x['kind'])}"
                                    for x in v), "items": v}
            for w, v in items.items()}


#: Rule number -> check.
RULE_CHECKS: dict[int, Callable[[int], dict[int, dict[str, Any]]]] = {
    1: _failed_inspections,
    2: _repeated_pushes,
    3: _covert_failures,
    4: _major_incidents,
}


def titled_window_ids(year: int | None = None) -> set[int]:
    """The windows holding the title now (示范): only they can be delisted. A candidate's
    failures stay in its assessment; they open no proposal. With ``year``, only those titled
    in that year or before (``services.delisting.titled_by``)."""
    stmt = sa.select(Window.id).where(Window.status == DEMONSTRATION)
    if year is not None:
        stmt = stmt.where(proposals.titled_by(year))
    return set(Session.scalars(stmt))


def evaluate(year: int, window_ids: Collection[int] | None = None) -> list[DelistingProposal]:
    """Check every rule for ``year`` on the windows holding the title (of ``window_ids`` only,
    when given); open or refresh proposals. Idempotent: a second run with the same data changes
    nothing. Returns the proposals opened or changed. The caller commits."""
    changed = []
    titled = titled_window_ids(year)
    if window_ids is not None:
        titled &= set(window_ids)
    for rule, check in RULE_CHECKS.items():
        for window_id, evidence in sorted(check(year).items()):
            if window_id not in titled:
                continue
            p = proposals.propose(window_id, year, rule, evidence)
            if p is not None:
                changed.append(p)
    return changed


def evaluate_affected(affected: Iterable[tuple[int, int]]) -> list[DelistingProposal]:
    """The rules at once for the (window id, year) pairs a write touched (an inspection or covert
    visit entered, imported, corrected or deleted): :func:`evaluate` once per year for its
    windows, however many rows a sheet had. Registered with the core as
    ``app.extensions["ww_delisting_rules"]`` (``services.delisting.run_rules``)."""
    by_year: dict[int, set[int]] = defaultdict(set)
    for window_id, year in affected:
        by_year[year].add(window_id)
    return [p for year, ids in sorted(by_year.items()) for p in evaluate(year, ids)]


@dataclass(frozen=True)
class EarlyWarning:
    """A window one step from a rule: it has not triggered it, one more failure would."""

    window_id: int
    rule: int
    summary: str


#: Rules with a count, and the count one step before them (an incident has no step before).
WARNING_STEPS = {1: (_failed_inspections, FAILED_INSPECTIONS - 1),
                 2: (_repeated_pushes, REPEATED_PUSHES - 1),
                 3: (_covert_failures, COVERT_FAILURES - 1)}


def early_warnings(year: int, window_ids: set[int] | None = None) -> list[EarlyWarning]:
    """Titled windows exactly one step from rule 1, 2 or 3 in ``year`` (those over it have
    proposals)."""
    found = []
    titled = titled_window_ids(year)
    # Rule 1 can still trigger only while a quarter of the year has no inspection.
    inspected_all_year = set(Session.scalars(
        sa.select(Inspection.window_id).where(Inspection.year == year)
        .group_by(Inspection.window_id).having(sa.func.count() >= 4)))
    for rule, (check, step) in WARNING_STEPS.items():
        near = check(year, step)
        over = check(year)
        for window_id, evidence in sorted(near.items()):
            if window_id in over or window_id not in titled or (
                    window_ids is not None and window_id not in window_ids):
                continue
            if rule == 1 and window_id in inspected_all_year:
                continue
            found.append(EarlyWarning(window_id, rule, evidence["summary"]))
    return found


def evaluate_recent(today: date | None = None) -> list[DelistingProposal]:
    """The nightly job: this year's rules, and in January last year's too (its fourth-quarter
    inspections are often entered then)."""
    today = today or datetime.now(LOCAL_TZ).date()
    years = [today.year - 1, today.year] if today.month == 1 else [today.year]
    return [p for year in years for p in evaluate(year)]


def visible_warnings(user: User, year: int) -> list[tuple[EarlyWarning, str]]:
    """The early warnings of the windows ``user`` may see, each with its window's code."""
    visible = set(Session.scalars(scope.visible_window_ids(user)))
    warnings = early_warnings(year, visible)
    codes = dict(Session.execute(sa.select(Window.id, Window.code).where(
        Window.id.in_([w.window_id for w in warnings]))).all()) if warnings else {}
    return [(w, codes.get(w.window_id, "")) for w in warnings]
