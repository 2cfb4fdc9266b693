"""Delisting proposals (摘牌建议): opened by the rules (analytics.delisting), decided by the office.
Confirming one delists the window through the window service; nothing changes a status silently."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager

from feedback_api.db import Session, utcnow
from feedback_api.models import (
    CovertInspection,
    CovertResult,
    DelistingProposal,
    Incident,
    Inspection,
    User,
    Window,
    WindowStatusChange,
)
from feedback_api.models.reference import DELISTED, DELISTING_RULES, DEMONSTRATION
from feedback_api.services import audit, scope, window_status
from feedback_api.services import windows as window_service
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from feedback_api.services.feedback import LOCAL_TZ

#: Rule 1: failed quarterly inspections of one year (``analytics.delisting`` counts them).
FAILED_INSPECTIONS = 3
#: Rule 3: covert inspections of one year failing the same indicator.
COVERT_FAILURES = 4


def proposal_to_dict(p: DelistingProposal) -> dict[str, Any]:
    return {"window": p.window.code, "year": p.year, "rule": p.rule,
            "rule_name": DELISTING_RULES[p.rule], "evidence": p.evidence, "state": p.state,
            "decision_note": p.decision_note}


def _evidence_keys(evidence: dict[str, Any]) -> set[str]:
    return {str(item.get("key")) for item in evidence.get("items", [])}


def propose(window_id: int, year: int, rule: int, evidence: dict[str, Any]) -> DelistingProposal | None:
    """Open (or refresh) the proposal of a triggered rule; returns it when it is new or changed.

    An open proposal takes the newest evidence. A dismissed one stays dismissed unless new
    evidence has appeared since (then it opens again); a confirmed one is left alone, unless
    the window was titled again after that delisting (:func:`titled_since_delisting`): then a
    new proposal judges the new title. A withdrawn one (无需处理: its window had left the title,
    or its incident was no longer major) opens again whenever the rule holds again: nobody
    judged it."""
    if rule not in DELISTING_RULES:
        raise ValueError(rule)
    found = Session.scalars(sa.select(DelistingProposal).where(
        DelistingProposal.window_id == window_id, DelistingProposal.year == year,
        DelistingProposal.rule == rule).order_by(DelistingProposal.id.desc())).all()
    # At most one undecided (the schema's partial unique index); confirmed ones are history.
    p = next((p for p in found if p.state != "confirmed"), None)
    if p is None:
        if found and not titled_since_delisting(window_id, year):
            return None
        p = DelistingProposal(window_id=window_id, year=year, rule=rule, evidence=evidence,
                              state="open")
        Session.add(p)
        Session.flush()
        audit.record_change(None, "create", "delisting_proposal", p.id, None,
                            {"window_id": window_id, "year": year, "rule": rule,
                             "evidence": evidence}, actor_label="system")
        return p
    if p.state != "withdrawn" and p.evidence == evidence:
        return None
    if p.state == "dismissed" and _evidence_keys(evidence) <= _evidence_keys(p.evidence):
        return None
    before = {"state": p.state, "evidence": p.evidence}
    p.evidence, p.state = evidence, "open"
    Session.flush()
    audit.record_change(None, "update", "delisting_proposal", p.id, before,
                        {"state": p.state, "evidence": p.evidence}, actor_label="system")
    return p


def run_rules(affected: Iterable[tuple[int, int]]) -> list[DelistingProposal]:
    """Run the delisting rules at once for the (window id, year) pairs a write touched; returns
    the proposals opened or changed. The rules live above the core (``analytics.delisting``, the
    nightly job's and the incident form's): the composition root registers their entry point as
    ``app.extensions["ww_delisting_rules"]``; the core alone has none, and runs nothing."""
    runner = current_app.extensions.get("ww_delisting_rules")
    pairs = set(affected)
    return list(runner(pairs)) if runner is not None and pairs else []


def raised(proposals: Iterable[DelistingProposal]) -> str:
    """What the page tells the office of the proposals a write opened or refreshed ("" if none)."""
    opened = [p for p in proposals if p.state == "open"]
    if not opened:
        return ""
    return ("；已生成摘牌建议：" + "、".join(f"窗口 {p.window.code} {p.year} 年规则 {p.rule}"
                                         f"（{DELISTING_RULES[p.rule]}）" for p in opened)
            + "，请到“摘牌建议”页确认")


def confirmed_citing(window_id: int, key: str) -> DelistingProposal | None:
    """A confirmed proposal of the window whose evidence names ``key`` ("inspection:12"): the
    decision's record, which must keep its evidence."""
    return next((p for p in Session.scalars(sa.select(DelistingProposal).where(
        DelistingProposal.window_id == window_id, DelistingProposal.state == "confirmed"))
                 if key in _evidence_keys(p.evidence)), None)


def titled_since_delisting(window_id: int, year: int) -> bool:
    """The window holds a title whose records in ``year`` (:func:`judged_from`) start after the
    day of its last delisting: a new title, judged again. A title put back as it was (an older
    award year or day) is not a new one."""
    since = Session.scalar(sa.select(judged_from(year)).where(
        Window.id == window_id, Window.status == DEMONSTRATION))
    delisted_on = Session.scalar(sa.select(sa.func.max(WindowStatusChange.effective_on)).where(
        WindowStatusChange.window_id == window_id, WindowStatusChange.to_status == DELISTED))
    return since is not None and delisted_on is not None and since > delisted_on


def proposal_state(window_id: int, year: int, rule: int) -> str | None:
    """The state of the window's latest proposal of ``rule`` for ``year``, or None when there
    is none."""
    return Session.scalar(sa.select(DelistingProposal.state).where(
        DelistingProposal.window_id == window_id, DelistingProposal.year == year,
        DelistingProposal.rule == rule).order_by(DelistingProposal.id.desc()).limit(1))


def proposal_query(user: User, *, state: str | None = None, year: int | None = None,
                   window: str | None = None, rule: int | None = None) -> sa.Select[Any]:
    stmt = (sa.select(DelistingProposal).join(DelistingProposal.window).join(Window.unit)
            .options(contains_eager(DelistingProposal.window).contains_eager(Window.unit))
            .where(scope.window_clause(user)))
    if window:
        stmt = stmt.where(Window.code == window)
    if rule:
        stmt = stmt.where(DelistingProposal.rule == rule)
    if state:
        stmt = stmt.where(DelistingProposal.state == state)
    if year:
        stmt = stmt.where(DelistingProposal.year == year)
    return stmt.order_by(DelistingProposal.state != "open", DelistingProposal.year.desc(),
                         DelistingProposal.id.desc())


def get_proposal(user: User, proposal_id: int) -> DelistingProposal:
    """A proposal of a window ``user`` may see; otherwise NotFound."""
    p = Session.get(DelistingProposal, proposal_id) if 0 < proposal_id < 2**31 else None
    if p is None or not scope.can_see_window(user, p.window):
        raise NotFound("摘牌建议不存在或无权查看")
    return p


def _open_proposal(actor: User | None, proposal_id: int) -> DelistingProposal:
    if actor is not None and actor.role != "office":
        raise PermissionDenied("只有区联席办可以确认或不采纳摘牌建议")
    p = Session.get(DelistingProposal, proposal_id) if 0 < proposal_id < 2**31 else None
    if p is None:
        raise NotFound("摘牌建议不存在")
    if p.state != "open":
        raise Conflict("该摘牌建议已处理")
    return p


def judged_from(year: int) -> sa.ColumnElement[date | None]:
    """THE rule of which of a year's records may judge a window's present title: the first day
    of ``year`` that counts, or NULL when the title came after the year. The award year decides
    where known (a ledger imported today keeps an old title's year), else the status date; a
    window with neither counts as titled before. A title of an earlier year answers for the whole
    year; one taken during the year, from its day on (a candidate's failures stay in its
    assessment). A window delisted, then titled again later, is not judged on a year before its
    new title: the rules (``analytics.delisting``) skip it and :func:`confirm` refuses an older
    proposal."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    in_year = sa.and_(Window.status_date >= first, Window.status_date <= last)
    return sa.case(
        (Window.status_year > year, sa.null()),
        (Window.status_year < year, first),
        (Window.status_year == year, sa.case((in_year, Window.status_date), else_=first)),
        (Window.status_date > last, sa.null()),
        (Window.status_date >= first, Window.status_date),
        else_=first)


def titled_by(year: int) -> sa.ColumnElement[bool]:
    """The window took its present title in ``year`` or before (:func:`judged_from`'s rule)."""
    return judged_from(year).is_not(None)


def retitled_on(p: DelistingProposal) -> str | None:
    """When the window took its present title (the day, else the award year), if that is after
    the proposal's year (:func:`titled_by`'s rule, read on the loaded window)."""
    w = p.window
    later = (w.status_year > p.year if w.status_year is not None else
             w.status_date is not None and w.status_date.year > p.year)
    if w.status != DEMONSTRATION or not later:
        return None
    return w.status_date.isoformat() if w.status_date else f"{w.status_year} 年度"


def confirm(actor: User | None, proposal_id: int, note: str = "", *,
            on: date | None = None) -> DelistingProposal:
    """Delist the window: status 摘牌 with the date, the year and the rule as its reason."""
    p = _open_proposal(actor, proposal_id)
    if p.window.status != DEMONSTRATION:
        raise Conflict("该窗口现未持有示范窗口称号（创建中或已摘牌），无可摘之牌；请不予采纳并说明")
    if (since := retitled_on(p)) is not None:
        raise Conflict(f"该窗口 {since} 起重新持有称号，晚于该建议所依据的 {p.year} 年，"
                       "不能据此摘牌；请不予采纳并说明")
    note = (note or "").strip()[:2000]
    on = on or datetime.now(LOCAL_TZ).date()
    reason = f"{p.year}年摘牌：{DELISTING_RULES[p.rule]}（{p.evidence.get('summary', '')}）"
    if note:
        reason += f"。{note}"
    _decide(actor, p, "confirmed", note)
    # The window's other open proposals have no title left to take (the registry would
    # withdraw them too, in more general words).
    window_status.withdraw_open(actor, p.window_id, f"已因{p.year}年规则 {p.rule}"
                                f"（{DELISTING_RULES[p.rule]}）于 {on} 摘牌，无需处理")
    window_service.update_window(actor, p.window.code, {
        "status": DELISTED, "status_date": on.isoformat(), "status_year": p.year,
        "status_reason": reason}, via="delisting")
    return p


def dismiss(actor: User | None, proposal_id: int, note: str) -> DelistingProposal:
    p = _open_proposal(actor, proposal_id)
    note = (note or "").strip()
    if not note or len(note) > 2000:
        raise ValidationError("不予采纳须说明理由（不超过 2000 字）", details={"note": "须填写理由"})
    return _decide(actor, p, "dismissed", note)


def _decide(actor: User | None, p: DelistingProposal, state: str, note: str) -> DelistingProposal:
    before = {"state": p.state, "decision_note": p.decision_note}
    p.state, p.decision_note = state, note
    p.decided_by, p.decided_at = (actor.id if actor is not None else None), utcnow()
    Session.flush()
    audit.record_change(actor, "confirm" if state == "confirmed" else "dismiss",
                        "delisting_proposal", p.id, before,
                        {"state": p.state, "decision_note": p.decision_note})
    return p


def withdraw_unsupported_incident(actor: User | None, window_id: int, year: int) -> None:
    """An incident corrected (no longer major, or moved to another day or window): the open
    rule 4 proposal of its former window and year is withdrawn if no major incident that may
    judge the title (:func:`judged_from`) remains. Audited."""
    p = Session.scalars(sa.select(DelistingProposal).where(
        DelistingProposal.window_id == window_id, DelistingProposal.year == year,
        DelistingProposal.rule == 4, DelistingProposal.state == "open")).first()
    if p is None:
        return
    still = Session.scalar(sa.select(Incident.id).join(Window, Window.id == Incident.window_id).where(
        Incident.window_id == window_id, Incident.severity == "major",
        Incident.occurred_on >= judged_from(year), Incident.occurred_on <= date(year, 12, 31)
    ).limit(1))
    if still is None:
        window_status.withdraw(actor, p, "所依据的重大事件已更正（不再属重大事件，或改为其他日期、窗口），"
                                         "本建议无需处理")


def withdraw_unsupported_inspections(actor: User | None, window_id: int, year: int) -> None:
    """A quarterly inspection corrected (passed now, or held before the title day): the open
    rule 1 proposal of its window and year is withdrawn if fewer than
    :data:`FAILED_INSPECTIONS` failed ones that may judge the title remain. Audited."""
    p = Session.scalars(sa.select(DelistingProposal).where(
        DelistingProposal.window_id == window_id, DelistingProposal.year == year,
        DelistingProposal.rule == 1, DelistingProposal.state == "open")).first()
    if p is None:
        return
    failed = Session.scalar(sa.select(sa.func.count()).select_from(Inspection)
                            .join(Window, Window.id == Inspection.window_id).where(
        Inspection.window_id == window_id, Inspection.year == year,
        Inspection.passed.is_(False), Inspection.inspected_on >= judged_from(year)))
    if failed < FAILED_INSPECTIONS:
        window_status.withdraw(actor, p, f"所依据的季度综合检查已更正，{year} 年不合格已不足 "
                                         f"{FAILED_INSPECTIONS} 次，本建议无需处理")


def withdraw_unsupported_covert(actor: User | None, window_id: int, year: int) -> None:
    """A covert inspection corrected: the open rule 3 proposal of its window and year is
    withdrawn if no indicator still fails in :data:`COVERT_FAILURES` covert inspections that
    may judge the title. Audited."""
    p = Session.scalars(sa.select(DelistingProposal).where(
        DelistingProposal.window_id == window_id, DelistingProposal.year == year,
        DelistingProposal.rule == 3, DelistingProposal.state == "open")).first()
    if p is None:
        return
    still = Session.scalar(
        sa.select(CovertResult.indicator_id)
        .join(CovertInspection, CovertInspection.id == CovertResult.covert_inspection_id)
        .join(Window, Window.id == CovertInspection.window_id)
        .where(CovertInspection.window_id == window_id, CovertResult.passed.is_(False),
               CovertInspection.inspected_on >= judged_from(year),
               CovertInspection.inspected_on <= date(year, 12, 31))
        .group_by(CovertResult.indicator_id)
        .having(sa.func.count(sa.distinct(CovertInspection.id)) >= COVERT_FAILURES).limit(1))
    if still is None:
        window_status.withdraw(actor, p, f"所依据的暗查已更正，{year} 年已无指标暗查不合格达 "
                                         f"{COVERT_FAILURES} 次，本建议无需处理")


def list_proposals(user: User, *, page: int = 1, per_page: int = 20,
                   **filters: Any) -> tuple[list[DelistingProposal], int]:
    return scope.page_of(proposal_query(user, **filters), page, per_page)
