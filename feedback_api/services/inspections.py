"""Quarterly comprehensive inspections (综合检查): entered by the industry authority for the windows
of its industry (the office may step in), by form or by importing a spreadsheet."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from feedback_api.db import Session
from feedback_api.models import Inspection, InspectionScore, Standard, Unit, User, Window
from feedback_api.services import audit, scope, standards
from feedback_api.services.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationError,
)
from feedback_api.services.feedback import LOCAL_TZ
from feedback_api.services.ledger import MAX_ROWS, RowError, read_table, too_many_rows

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


_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER_RE = re.compile(
    r"^\s*(?:(\d{4})\s*(?:年度?|-|/|\.)?\s*)?(?:第\s*)?(?:Q\s*)?([1-4一二三四])\s*(?:季度|季|Q)?\s*$",
    re.IGNORECASE)


def parse_quarter(text: str, inspected_on: date | None = None) -> tuple[int, int]:
    """Read a quarter as offices write it: 2026Q3, 2026-Q3, 2026年第三季度, 三季度, 3 (the year
    then comes from the inspection date)."""
    value = (text or "").strip().upper().replace("第", "")
    match = _QUARTER_RE.match(value)
    if not match:
        raise ValueError(f"季度“{text}”无法识别，应写作 2026Q3 或 2026年第三季度")
    year = int(match.group(1)) if match.group(1) else (inspected_on.year if inspected_on else None)
    if year is None:
        raise ValueError(f"季度“{text}”未写年度")
    return year, _CN_DIGITS[match.group(2)]


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    text = re.sub(r"(\d{4})年(\d{1,2})月(\d{1,2})日?", r"\1-\2-\3", text)
    parts = text[:10].split("-") if text else []
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2][:2]))
    except (ValueError, IndexError):
        raise ValueError(f"日期“{value}”无法识别，应写作 2026-07-15") from None


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
    start, end = quarter_bounds(year, quarter)
    today = datetime.now(LOCAL_TZ).date()
    if on < start or on > end + timedelta(days=LATE_DAYS) or on > today:
        raise ValidationError(f"检查日期 {on} 不在 {year} 年第 {quarter} 季度（或其后 {LATE_DAYS} 天）"
                              "内，或晚于今天", details={"inspected_on": "日期与季度不符"})
    std = standards.ensure_standard(year)
    scores = _clean_scores(std, data.get("scores") or {})
    existing = Session.scalars(sa.select(Inspection).where(
        Inspection.window_id == window.id, Inspection.year == year,
        Inspection.quarter == quarter)).first()
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
    return insp, existing is None


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
        stmt = stmt.where(Window.code == window)
    if passed is not None:
        stmt = stmt.where(Inspection.passed.is_(passed))
    return stmt.order_by(Inspection.year.desc(), Inspection.quarter.desc(), Window.code)


def get_inspection(user: User, inspection_id: int) -> Inspection:
    insp = Session.get(Inspection, inspection_id) if 0 < inspection_id < 2**31 else None
    if insp is None or not scope.can_see_window(user, insp.window):
        raise NotFound("综合检查记录不存在或无权查看")
    return insp


# --- Import ----------------------------------------------------------------------------------

#: Fixed columns of an inspection sheet; every other column is an indicator, by its name.
IMPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("window", "窗口编号"), ("quarter", "季度"), ("inspected_on", "检查日期"),
    ("inspectors", "检查人员"), ("notes", "备注"),
)
HEADER_ALIASES = {"季度/期次": "quarter", "检查时间": "inspected_on", "日期": "inspected_on",
                  "检查人": "inspectors", "检查组": "inspectors", "窗口代码": "window",
                  "说明": "notes", "问题及说明": "notes"}
#: Columns an office sheet carries that the import does not need.
IGNORED_HEADERS = {"序号", "窗口名称", "所属单位", "单位名称", "行业", "总分", "合计", "得分合计",
                   "是否合格", "结果"}
REQUIRED = ("window", "quarter", "inspected_on", "inspectors")


@dataclass
class InspectionImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (f"新增 {len(self.created)} 条，更新 {len(self.updated)} 条，"
                f"错误 {len(self.errors)} 行")


def _clean_header(raw: str) -> str:
    return re.sub(r"[（(].*?[)）]$", "", (raw or "").strip().lstrip("\ufeff").replace("*", "")).strip()


def import_inspections(actor: User | None, data: bytes, filename: str, *,
                       max_rows: int = MAX_ROWS) -> InspectionImportReport:
    """Import an inspection sheet (CSV in the ledger's encodings, or XLSX): 窗口编号, 季度,
    检查日期, 检查人员, 备注 and one column per indicator of that year's standard, headed by its
    name ("服务态度" or "服务态度（15分）"). A row is a window's inspection of a quarter; one
    already entered is replaced. Bad rows are reported by line and left out whole."""
    report = InspectionImportReport()
    fixed = {h: f for f, h in IMPORT_COLUMNS} | {f: f for f, _ in IMPORT_COLUMNS} | HEADER_ALIASES
    header: dict[int, str] | None = None
    seen: dict[tuple[str, int, int], int] = {}
    # Counted before any row is saved: a sheet too long is refused whole, at once.
    table = [(line, row) for line, row in read_table(data, filename)
             if any((c or "").strip() for c in row)]
    if len(table) - 1 > max_rows:
        raise too_many_rows(max_rows, "inspections import")
    for line, row in table:
        if header is None:
            header = {}
            for idx, raw in enumerate(row):
                name = _clean_header(raw)
                if name and name not in IGNORED_HEADERS:
                    header[idx] = fixed.get(name, name)
            missing = [h for f, h in IMPORT_COLUMNS if f in REQUIRED and f not in header.values()]
            if missing:
                raise ValidationError(f"第 {line} 行（表头）缺少必填列：{'、'.join(missing)}",
                                      details={"line": line, "missing": missing})
            continue
        cells = {name: (row[i] if i < len(row) else "").replace("\x00", "").strip()
                 for i, name in header.items()}
        code = cells.get("window", "")
        try:
            on = parse_date(cells.get("inspected_on"))
            year, quarter = parse_quarter(cells.get("quarter", ""), on)
        except ValueError as exc:
            report.errors.append(RowError(line, code, str(exc)))
            continue
        key = (code, year, quarter)
        if key in seen:
            report.errors.append(RowError(line, code, f"与第 {seen[key]} 行是同一窗口同一季度"))
            continue
        seen[key] = line
        scores = {name: value for name, value in cells.items()
                  if name not in {f for f, _ in IMPORT_COLUMNS}}
        record = {"window": code, "year": year, "quarter": quarter, "inspected_on": on,
                  "inspectors": cells.get("inspectors", ""), "notes": cells.get("notes", ""),
                  "scores": scores}
        try:
            with Session.begin_nested():
                _insp, created = save_inspection(actor, record, replace=True)
        except ServiceError as exc:
            report.errors.append(RowError(line, code, exc.message))
            continue
        (report.created if created else report.updated).append(f"{code} {year}Q{quarter}")
    if header is None:
        raise ValidationError("文件为空：没有表头和数据行")
    return report


def template_headers(year: int) -> list[str]:
    """The header row of an import sheet for ``year``'s standard."""
    std = standards.ensure_standard(year)
    return ([h for _, h in IMPORT_COLUMNS[:4]] + [f"{i.name}（{i.weight:g}分）" for i in std.indicators]
            + ["备注"])


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

