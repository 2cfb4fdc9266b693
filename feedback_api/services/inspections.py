"""Quarterly comprehensive inspections (综合检查): entered by the industry authority for the windows
of its industry (the office may step in), by form or by importing a spreadsheet
(inspection_sheets.py); the list and one record."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from feedback_api.db import Session
from feedback_api.models import Inspection, InspectionScore, Standard, Unit, User, Window
from feedback_api.models.reference import DELISTED
from feedback_api.services import audit, delisting, inspection_tickets, scope, standards, typed_filters
from feedback_api.services.dates import parse_date
from feedback_api.services.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from feedback_api.services.feedback import LOCAL_TZ

ENTRY_ROLES = frozenset({"office", "authority"})
#: An inspection of a quarter may be held until this long after the quarter ends.
LATE_DAYS = 92


def can_inspect(user: User | None, window: Window) -> bool:
    """The office, or an authority whose scope is the window's industry."""
    if user is None or user.role == "office":
        return True
    return user.role == "authority" and any(
        s.industry and s.industry == window.unit.industry for s in user.scopes)


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a quarter."""
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - timedelta(days=1)
    return start, end


def refuse_if_delisted_before(window: Window, year: int, quarter: int, what: str) -> None:
    """A window delisted before the quarter began is out of the programme for it (the quarterly
    assessment leaves it out): its ``what`` of that quarter is refused, saying so."""
    start, _end = quarter_bounds(year, quarter)
    if window.status == DELISTED and window.status_date is not None and window.status_date < start:
        raise ValidationError(f"窗口 {window.code} 已于 {window.status_date} 摘牌，{year} 年第 "
                              f"{quarter} 季度不再参加考核，无需录入{what}",
                              details={"window": "已摘牌"})


def _listed(window: Window) -> str:
    day = window.listed_on
    return f"窗口 {window.code} 的挂牌日期为{day.year}年{day.month}月{day.day}日"


def refuse_if_before_listing(window: Window, year: int, quarter: int) -> None:
    """A quarter that ended before the window was listed (挂牌) does not assess it: its
    inspection is refused, saying so. The quarter it was listed in assesses it, so is its own."""
    day = window.listed_on
    if day is not None and (year, quarter) < (day.year, (day.month - 1) // 3 + 1):
        raise ValidationError(f"{_listed(window)}，不能录入挂牌前（{year}年第{quarter}季度）的综合检查",
                              details={"quarter": "早于挂牌季度"})


def refuse_visit_before_listing(window: Window, on: date) -> None:
    """A covert visit (暗查) on a day before the window was listed was no visit to a window of
    the programme: refused, saying so."""
    if window.listed_on is not None and on < window.listed_on:
        raise ValidationError(f"{_listed(window)}，不能录入挂牌前（{on.year}年{on.month}月{on.day}日）的暗查",
                              details={"inspected_on": "早于挂牌日期"})


def _window(actor: User | None, code: str) -> Window:
    window = Session.scalars(sa.select(Window).where(Window.code == (code or "").strip())).first()
    if window is None or (actor is not None and not scope.can_see_window(actor, window)):
        raise NotFound(f"窗口 {code} 不存在或无权查看")
    return window


def inspection_to_dict(insp: Inspection) -> dict[str, Any]:
    return {
        "window": insp.window.code, "year": insp.year, "quarter": insp.quarter,
        "inspected_on": insp.inspected_on.isoformat(), "inspectors": insp.inspectors,
        "total": insp.total, "max_total": insp.max_total, "passed": insp.passed,
        "notes": insp.notes,
        "scores": {s.indicator.name: s.score for s in insp.scores},
    }


def save_inspection(actor: User | None, data: dict[str, Any], *, replace: bool = False,
                    ) -> tuple[Inspection, bool]:
    """Record one window's inspection of a quarter; ``data``: window (code), year, quarter,
    inspected_on, inspectors, scores ({indicator name: points}), notes. Returns (inspection,
    created). An existing one for the quarter is a conflict unless ``replace``."""
    if actor is not None and actor.role not in ENTRY_ROLES:
        raise PermissionDenied("只有行业主管部门（或区联席办）可以录入综合检查")
    window = _window(actor, data.get("window", ""))
    if not can_inspect(actor, window):
        raise PermissionDenied(f"无权录入窗口 {window.code} 的综合检查（不属于本行业）")
    errors: dict[str, str] = {}
    year, quarter = data.get("year"), data.get("quarter")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = "年度应为 2000–2100 之间的整数"
    if quarter not in (1, 2, 3, 4):
        errors["quarter"] = "季度应为 1–4"
    try:
        on = parse_date(data.get("inspected_on"))
    except ValueError as exc:
        errors["inspected_on"] = str(exc)
        on = None
    inspectors = str(data.get("inspectors") or "").strip()
    if not inspectors or len(inspectors) > 200:
        errors["inspectors"] = "检查人员不能为空，且不超过 200 字"
    notes = str(data.get("notes") or "").strip()
    if len(notes) > 2000:
        errors["notes"] = "备注不能超过 2000 字"
    if errors:
        raise ValidationError("综合检查信息有误：" + "；".join(errors.values()), details=errors)
    assert on is not None and isinstance(year, int) and isinstance(quarter, int)
    refuse_if_delisted_before(window, year, quarter, "综合检查")
    existing = Session.scalars(sa.select(Inspection).where(
        Inspection.window_id == window.id, Inspection.year == year,
        Inspection.quarter == quarter)).first()
    if existing is None:  # one stored before its window's listing date stays correctable
        refuse_if_before_listing(window, year, quarter)
    start, end = quarter_bounds(year, quarter)
    today = datetime.now(LOCAL_TZ).date()
    if on < start or on > end + timedelta(days=LATE_DAYS) or on > today:
        raise ValidationError(f"检查日期 {on} 不在 {year} 年第 {quarter} 季度（或其后 {LATE_DAYS} 天）"
                              "内，或晚于今天", details={"inspected_on": "日期与季度不符"})
    std = standards.ensure_standard(year)
    scores = _clean_scores(std, data.get("scores") or {})
    if existing is not None and not replace:
        raise Conflict(f"窗口 {window.code} 的 {year} 年第 {quarter} 季度综合检查已录入",
                       details={"quarter": "该季度已录入"})
    before = inspection_to_dict(existing) if existing is not None else None
    insp = existing or Inspection(window=window, year=year, quarter=quarter)
    insp.inspected_on, insp.inspectors, insp.notes = on, inspectors, notes
    insp.standard_id = std.id
    insp.total = round(sum(scores.values()), 2)
    insp.max_total = std.max_score
    insp.passed = insp.total >= std.pass_score
    insp.entered_by = actor.id if actor is not None else None
    insp.scores = [InspectionScore(indicator_id=ind.id, score=points,
                                   passed=points >= ind.pass_line)
                   for ind in std.indicators for points in [scores[ind.id]]]
    if existing is None:
        Session.add(insp)
    Session.flush()
    Session.refresh(insp, ["scores"])
    audit.record_change(actor, "update" if existing else "create", "inspection",
                        f"{window.code}/{year}Q{quarter}", before, inspection_to_dict(insp))
    if existing is not None:  # a rule 1 proposal may have lost its ground; tickets are told
        delisting.withdraw_unsupported_inspections(actor, window.id, year)
        inspection_tickets.note_correction(actor, insp, before or {})
    return insp, existing is None


def delete_inspection(actor: User | None, inspection_id: int, reason: str) -> Inspection:
    """The office removes an inspection entered in error (another window or quarter), saying
    why; not one whose failed indicator has a ticket (correct it instead), nor one a confirmed
    delisting cites (its evidence keeps its record). Audited; an undecided rule 1 proposal it
    grounded is withdrawn if it no longer holds."""
    if actor is not None and actor.role != "office":
        raise PermissionDenied("只有区联席办可以删除综合检查记录")
    reason = (reason or "").strip()
    if not reason or len(reason) > 2000:
        raise ValidationError("请填写删除原因（不超过 2000 字）", details={"note": "须填写删除原因"})
    insp = Session.get(Inspection, inspection_id) if 0 < inspection_id < 2**31 else None
    if insp is None:
        raise NotFound("综合检查记录不存在")
    if (refused := deletion_refused(insp)) is not None:
        raise Conflict(refused)
    before = inspection_to_dict(insp)
    Session.delete(insp)
    Session.flush()
    audit.record_change(actor, "delete", "inspection", f"{before['window']}/{insp.year}Q{insp.quarter}",
                        before, {"reason": reason})
    delisting.withdraw_unsupported_inspections(actor, insp.window_id, insp.year)
    return insp


def deletion_refused(insp: Inspection) -> str | None:
    """Why the inspection may not be deleted (the refusal's words, shown on its page instead of
    the button), or None."""
    if tickets := inspection_tickets.finding_tickets(insp):
        numbers = "、".join(t.number for t in tickets.values())
        return f"已据此检查开督办单 {numbers}，不能删除；如有录入错误请更正"
    if (p := delisting.confirmed_citing(insp.window_id, f"inspection:{insp.id}")) is not None:
        return (f"该检查是窗口 {insp.window.code} {p.year} 年已确认的摘牌依据（规则 {p.rule}），"
                "不能删除：摘牌决定所依据的记录须留存")
    return None


def _clean_scores(std: Standard, raw: dict[Any, Any]) -> dict[int, float]:
    """Points per indicator id; every indicator of the standard must be scored."""
    by_key: dict[Any, Any] = {}
    for key, value in raw.items():
        by_key[key] = value
    errors: dict[str, str] = {}
    out: dict[int, float] = {}
    for ind in std.indicators:
        value = by_key.get(ind.id, by_key.get(ind.name))
        if value is None or str(value).strip() == "":
            errors[ind.name] = f"{ind.name}未评分"
            continue
        try:
            points = float(str(value).strip())
        except ValueError:
            errors[ind.name] = f"{ind.name}得分“{value}”不是数字"
            continue
        if not 0 <= points <= ind.weight:
            errors[ind.name] = f"{ind.name}得分应在 0–{ind.weight:g} 之间"
            continue
        out[ind.id] = points
    known = {i.id for i in std.indicators} | {i.name for i in std.indicators}
    for key in by_key:
        if key not in known:
            errors[str(key)] = f"未知测评指标“{key}”"
    if errors:
        raise ValidationError("得分有误：" + "；".join(errors.values()), details=errors)
    return out


def inspection_query(user: User, *, year: int | None = None, quarter: int | None = None,
                     window: str | None = None, passed: bool | None = None) -> sa.Select[Any]:
    stmt = (sa.select(Inspection).join(Inspection.window).join(Window.unit)
            # The joined window and unit come with each row: a page costs the same queries for any size.
            .options(contains_eager(Inspection.window).contains_eager(Window.unit))
            .where(scope.window_clause(user)))
    if year:
        stmt = stmt.where(Inspection.year == year)
    if quarter:
        stmt = stmt.where(Inspection.quarter == quarter)
    if window:
        stmt = stmt.where(typed_filters.window_clause(window))
    if passed is not None:
        stmt = stmt.where(Inspection.passed.is_(passed))
    return stmt.order_by(Inspection.year.desc(), Inspection.quarter.desc(), Window.code)


def get_inspection(user: User, inspection_id: int) -> Inspection:
    insp = Session.get(Inspection, inspection_id) if 0 < inspection_id < 2**31 else None
    if insp is None or not scope.can_see_window(user, insp.window):
        raise NotFound("综合检查记录不存在或无权查看")
    return insp


def find_inspection(user: User, code: str, year: int, quarter: int) -> Inspection | None:
    """A window's inspection of a quarter, if ``user`` may see it: the window by its whole code
    (the entry form's), not the list's typed filter."""
    if not (code or "").strip():
        return None
    return Session.scalars(inspection_query(user, year=year, quarter=quarter)
                           .where(Window.code == code.strip())).first()


def windows_for_entry(user: User) -> list[Window]:
    """The windows ``user`` may enter inspections for."""
    stmt = sa.select(Window).join(Window.unit).order_by(Window.code)
    if user.role != "office":
        industries = [s.industry for s in user.scopes if s.industry]
        if user.role != "authority" or not industries:
            return []
        stmt = stmt.where(Unit.industry.in_(industries))
    return list(Session.scalars(stmt))


def list_inspections(user: User, *, page: int = 1, per_page: int = 20,
                     **filters: Any) -> tuple[list[Inspection], int]:
    """One page of the inspections ``user`` may see (filters as ``inspection_query``)."""
    return scope.page_of(inspection_query(user, **filters), page, per_page)

