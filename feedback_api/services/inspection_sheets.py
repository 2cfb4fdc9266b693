"""Importing quarterly comprehensive inspections (综合检查) from an office's spreadsheet (CSV or
XLSX), the template's header row, and the quarter as offices write it. Each row is recorded
through inspections.save_inspection, with its checks and scope."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.orm import selectinload

from feedback_api.db import Session
from feedback_api.models import Inspection, InspectionScore, User, Window
from feedback_api.services import cells, sheets, standards
from feedback_api.services.errors import ServiceError, ValidationError
from feedback_api.services.inspections import (
    LATE_DAYS,
    inspection_query,
    inspection_to_dict,
    parse_date,
    quarter_bounds,
    save_inspection,
)
from feedback_api.services.ledger import MAX_ROWS, RowError, too_many_rows

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER_RE = re.compile(
    r"^\s*(?:(\d{4})\s*(?:年度?|-|/|\.)?\s*)?(?:第\s*)?(?:Q\s*)?([1-4一二三四])\s*(?:季度|季|Q)?\s*$",
    re.IGNORECASE)


def parse_quarter(text: str, inspected_on: date | None = None) -> tuple[int, int]:
    """Read a quarter as offices write it: 2026Q3, 2026-Q3, 2026年第三季度, 三季度, 3 (the year
    then comes from the inspection date: 四季度 held in January is the year before's)."""
    value = unicodedata.normalize("NFKC", text or "").strip().upper().replace("第", "")
    match = _QUARTER_RE.match(value)
    if not match:
        raise ValueError(f"季度“{text}”无法识别，应写作 2026Q3 或 2026年第三季度")
    quarter = _CN_DIGITS[match.group(2)]
    if match.group(1):
        return int(match.group(1)), quarter
    if inspected_on is None:
        raise ValueError(f"季度“{text}”未写年度")
    # A quarter not begun by the date is the year before's when the date is within the time
    # allowed after it (held late, in the next year); else the date's year, to be told so.
    year = inspected_on.year
    if inspected_on < date(year, 3 * quarter - 2, 1):
        _start, end = quarter_bounds(year - 1, quarter)
        year -= inspected_on <= end + timedelta(days=LATE_DAYS)
    return year, quarter


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
    #: Rows the same as the record already entered (a sheet imported again).
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: (window id, year) of the rows created or updated: the delisting rules run once for each.
    affected: set[tuple[int, int]] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        same = f"未变 {len(self.unchanged)} 条，" if self.unchanged else ""
        return (f"新增 {len(self.created)} 条，更新 {len(self.updated)} 条，{same}"
                f"错误 {len(self.errors)} 行")


def _points_note(name: str) -> str:
    """A header without its trailing note of points ("服务态度(15分)": 服务态度)."""
    return re.sub(r"\(\s*\d+(\.\d+)?\s*分?\s*\)$", "", name) or name


def _points(text: str) -> str:
    """A score as typed: "14分" and full-width "１４" are the 14 the standard scores."""
    return re.sub(r"\s*分$", "", unicodedata.normalize("NFKC", text)).strip()


def _indicator_names(year: int, keys: list[str]) -> dict[str, str]:
    """The columns ``keys`` under the names of ``year``'s indicators: a column is an indicator's
    when its name is the indicator's (spaces, full-width forms aside), or, that failing, when
    only that indicator's name without its bracketed note is the same ("便民措施（含预约）" headed
    便民措施); then the same with the column's own note dropped ("服务态度（满分15）"). A column
    matching none keeps its own name."""
    indicators = standards.ensure_standard(year).indicators
    exact = {sheets.plain_name(i.name): i.name for i in indicators}
    bare: dict[str, list[str]] = {}
    for i in indicators:
        bare.setdefault(sheets.header_name(i.name), []).append(i.name)
    named = {}
    for key in keys:
        found = None
        for name in (key, sheets.header_name(key)):  # then without any note ("满分15")
            found = found or exact.get(name) or (bare[name][0] if len(bare.get(name, [])) == 1 else None)
        named[key] = found or key
    return named


def _check_columns(year: int, keys: list[str]) -> dict[str, str]:
    """The indicator columns checked once for a year: the file is refused with one message
    naming the columns that match no indicator and the indicators without a column."""
    named = _indicator_names(year, keys)
    indicators = [i.name for i in standards.ensure_standard(year).indicators]
    unknown = [key for key, name in named.items() if name not in indicators]
    missing = [name for name in indicators if name not in named.values()]
    if unknown or missing:
        parts = ([f"以下列无法对应 {year} 年度的测评指标：{'、'.join(unknown)}"] if unknown else [])
        parts += [f"缺少指标列：{'、'.join(missing)}"] if missing else []
        raise ValidationError("；".join(parts) + f"。{year} 年度指标：{'、'.join(indicators)}"
                              "（表头写指标名称，可带分值，如“服务态度（15分）”）")
    return named


def import_inspections(actor: User | None, data: bytes, filename: str, *,
                       max_rows: int = MAX_ROWS) -> InspectionImportReport:
    """Import an inspection sheet (CSV in the ledger's encodings, or XLSX): 窗口编号, 季度,
    检查日期, 检查人员, 备注 and one column per indicator of that year's standard, headed by its
    name ("服务态度" or "服务态度（15分）"). A row is a window's inspection of a quarter; one
    already entered is replaced. Bad rows are reported by line and left out whole."""
    report = InspectionImportReport()
    fixed = {h: f for f, h in IMPORT_COLUMNS} | {f: f for f, _ in IMPORT_COLUMNS} | HEADER_ALIASES
    _line, names, rows = sheets.locate_header(
        data, filename, fixed.get, {f: h for f, h in IMPORT_COLUMNS if f in REQUIRED},
        max_rows=max_rows, too_long=lambda: too_many_rows(max_rows, "inspections import"))
    # A fixed column by its name without a note; an indicator's keeps a note other than its
    # points ("便民措施（含预约）（10分）"), matched to the year's indicators row by row.
    header = {idx: fixed.get(name) or _points_note(sheets.plain_name(raw))
              for idx, raw in enumerate(names)
              if (name := sheets.header_name(raw)) and name not in IGNORED_HEADERS}
    seen: dict[tuple[str, int, int], int] = {}
    # Counted before any row is saved: a sheet too long is refused whole, at once.
    table = [(line, row) for line, row in rows if any((c or "").strip() for c in row)]
    if len(table) > max_rows:
        raise too_many_rows(max_rows, "inspections import")
    fixed_fields = {f for f, _ in IMPORT_COLUMNS}
    indicator_keys = [name for name in header.values() if name not in fixed_fields]
    parsed = []
    for line, row in table:
        cells = {name: (row[i] if i < len(row) else "").replace("\x00", "").strip()
                 for i, name in header.items()}
        code = cells.get("window", "")
        try:
            if not code:
                raise ValueError("窗口编号为空")
            if not cells.get("inspected_on"):
                raise ValueError("检查日期为空：每行都须填写")
            on = parse_date(cells.get("inspected_on"))
            year, quarter = parse_quarter(cells.get("quarter", ""), on)
        except ValueError as exc:
            report.errors.append(RowError(line, code, str(exc)))
            continue
        parsed.append((line, code, cells, on, year, quarter))
    # The columns are the sheet's, not a row's: checked once per year, before any row is saved.
    columns = {year: _check_columns(year, indicator_keys) for year in sorted({p[4] for p in parsed})}
    for line, code, cells, on, year, quarter in parsed:
        key = (code, year, quarter)
        if key in seen:
            report.errors.append(RowError(line, code, f"与第 {seen[key]} 行是同一窗口同一季度"))
            continue
        scores = {columns[year][name]: _points(value) for name, value in cells.items()
                  if name not in fixed_fields}
        record = {"window": code, "year": year, "quarter": quarter, "inspected_on": on,
                  "inspectors": cells.get("inspectors", ""), "notes": cells.get("notes", ""),
                  "scores": scores}
        before = _stored(code, year, quarter)
        try:
            with Session.begin_nested():
                insp, created = save_inspection(actor, record, replace=True)
        except ServiceError as exc:
            report.errors.append(RowError(line, code, exc.message))
            continue
        seen[key] = line  # only an imported row is the one later rows repeat
        kept = (report.created if created else
                report.unchanged if inspection_to_dict(insp) == before else report.updated)
        kept.append(f"{code} {year}Q{quarter}")
        if kept is not report.unchanged:
            report.affected.add((insp.window_id, year))
    report.errors.sort(key=lambda e: e.line)  # the rows' order, as the sheet has them
    return report


def _stored(code: str, year: int, quarter: int) -> dict[str, Any] | None:
    """The record a row would replace, as it stands."""
    insp = Session.scalars(sa.select(Inspection).join(Inspection.window).where(
        Window.code == code, Inspection.year == year, Inspection.quarter == quarter)).first()
    return inspection_to_dict(insp) if insp is not None else None


def template_headers(year: int) -> list[str]:
    """The header row of an import sheet for ``year``'s standard."""
    std = standards.ensure_standard(year)
    return ([h for _, h in IMPORT_COLUMNS[:4]] + [f"{i.name}（{i.weight:g}分）" for i in std.indicators]
            + ["备注"])


def export_xlsx(user: User, year: int, quarter: int | None = None, *,
                passed: bool | None = None, window: str | None = None) -> bytes:
    """The inspections of ``year`` that ``user`` sees, filtered as the list (``quarter``,
    ``passed``, ``window`` as ``inspection_query``) and in its order:
    the import template's columns (so the file imports again as it is) with the window's name,
    its unit, the total and the result beside them (the import skips those)."""
    std = standards.ensure_standard(year)
    names = [i.name for i in std.indicators]
    header = (["窗口编号", "窗口名称", "所属单位", "季度", "检查日期", "检查人员"]
              + template_headers(year)[4:-1] + ["总分", "是否合格", "备注"])
    stmt = inspection_query(user, year=year, quarter=quarter, passed=passed,
                           window=window).options(
        selectinload(Inspection.scores).joinedload(InspectionScore.indicator))
    rows = []
    for insp in Session.scalars(stmt):
        points = {sc.indicator.name: sc.score for sc in insp.scores}
        rows.append([insp.window.code, insp.window.name, insp.window.unit.name,
                     f"{insp.year}Q{insp.quarter}", insp.inspected_on, insp.inspectors,
                     *(points.get(n) for n in names), insp.total,
                     "合格" if insp.passed else "不合格", insp.notes or None])
    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}年度综合检查"
    cells.xlsx_table(ws, header, rows)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_xlsx(year: int) -> bytes:
    """The import template as an Excel workbook: the CSV template's header row, nothing else
    (the import reads either)."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}年度综合检查"
    cells.xlsx_table(ws, template_headers(year), [])
    cells.fit_columns(ws, minimum=12)  # room to type in
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
