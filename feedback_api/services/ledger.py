"""The unit registration ledger (业内窗口单位登记台账): import from CSV/XLSX, export to CSV/XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook

from feedback_api.db import Session
from feedback_api.models import Unit, User, Window
from feedback_api.models.reference import INDUSTRIES, WINDOW_STATUSES, label
from feedback_api.models.reference_aliases import industry_code, status_code
from feedback_api.services import cells, sheets, window_status
from feedback_api.services import units as unit_service
from feedback_api.services import windows as window_service
from feedback_api.services.errors import ServiceError, ValidationError
from feedback_api.services.sheets import decode_csv, read_table  # noqa: F401 (their old home)

#: Ledger columns in order: (field, Chinese header). Import also accepts the field names.
LEDGER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "窗口编号"),
    ("name", "窗口名称"),
    ("unit", "所属单位"),
    ("unit_code", "单位编号"),
    ("industry", "行业"),
    ("authority", "主管部门"),
    ("address", "窗口地址"),
    ("service_items", "主要服务事项"),
    ("staff_count", "窗口人数"),
    ("contact_person", "负责人"),
    ("contact_phone", "联系电话"),
    ("service_hours", "服务时间"),
    ("listed_on", "挂牌日期"),
    ("status", "状态"),
    ("status_date", "状态日期"),
    ("status_year", "命名/摘牌年度"),
    ("status_reason", "状态原因"),
    ("remarks", "备注"),
)
#: Other headers seen in offices' spreadsheets, mapped to the same fields.
HEADER_ALIASES = {
    "单位名称": "unit", "窗口单位": "unit", "服务事项": "service_items", "工作人员数": "staff_count",
    "窗口工作人员数": "staff_count", "人数": "staff_count", "窗口负责人": "contact_person",
    "联系人": "contact_person", "电话": "contact_phone", "地址": "address", "年度": "status_year",
    "命名年度": "status_year", "行业主管部门": "authority", "创建状态": "status",
    "授牌日期": "listed_on", "挂牌时间": "listed_on", "授牌时间": "listed_on",
}
IGNORED_HEADERS = {"序号", "编号序号"}
_BY_HEADER = {sheets.header_name(h): f for f, h in LEDGER_COLUMNS} | {f: f for f, _ in LEDGER_COLUMNS} | {
    sheets.header_name(h): f for h, f in HEADER_ALIASES.items()}
REQUIRED = ("code", "name", "unit")
MAX_ROWS = 20000
#: The most rows one upload through the web takes: a longer sheet would outlast the web worker's
#: timeout on a busy server, so the page refuses it at once; the command line takes MAX_ROWS.
UPLOAD_MAX_ROWS = 2000


def too_many_rows(limit: int, command: str) -> ValidationError:
    """The error of a sheet over ``limit`` data rows; ``command`` imports up to MAX_ROWS."""
    if limit < MAX_ROWS:
        return ValidationError(f"网页一次最多导入 {limit} 行：请把文件拆分后分批导入，"
                               f"或由管理员用命令 window-watch {command} 导入")
    return ValidationError(f"文件超过 {limit} 行，请分批导入")


@dataclass
class RowError:
    line: int
    code: str
    reason: str


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (f"新增 {len(self.created)} 个，更新 {len(self.updated)} 个，"
                f"未变 {len(self.unchanged)} 个，错误 {len(self.errors)} 行")


def _field(name: str) -> str | None:
    """The ledger field a header name (``sheets.header_name``) stands for, if any."""
    return _BY_HEADER.get(name)


def _header_map(headers: list[str]) -> tuple[dict[int, str], list[str]]:
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    for idx, raw in enumerate(headers):
        name = sheets.header_name(raw)
        if not name or name in IGNORED_HEADERS:
            continue
        fld = _field(name)
        if fld is None:
            unknown.append(name)
        elif fld not in mapping.values():
            mapping[idx] = fld
    return mapping, unknown


def read_ledger(data: bytes, filename: str, max_rows: int = MAX_ROWS,
                ) -> tuple[dict[int, str], list[tuple[int, dict[str, str]]]]:
    """Parse a ledger file into (column map, [(line number, {field: value})])."""
    _line, header, rows = sheets.locate_header(
        data, filename, _field, {f: h for f, h in LEDGER_COLUMNS if f in REQUIRED},
        max_rows=max_rows, too_long=lambda: too_many_rows(max_rows, "windows import"))
    mapping, _unknown = _header_map(header)
    out: list[tuple[int, dict[str, str]]] = []
    for line, row in rows:
        if not any((c or "").strip() for c in row):
            continue
        if len(out) >= max_rows:
            raise too_many_rows(max_rows, "windows import")
        # NUL never belongs in a ledger and PostgreSQL cannot store it: drop it with the padding.
        out.append((line, {fld: (row[i] if i < len(row) else "").replace("\x00", "")
                           for i, fld in mapping.items()}))
    return mapping, out


def _cell(value: str) -> str:
    return (value or "").strip()


def import_ledger(actor: User | None, data: bytes, filename: str, *,
                  max_rows: int = MAX_ROWS) -> ImportReport:
    """Create or update windows from a ledger; bad rows are reported by line and left out whole."""
    _mapping, rows = read_ledger(data, filename, max_rows)
    report = ImportReport()
    seen: dict[str, int] = {}
    for line, raw in rows:
        code = _cell(raw.get("code", ""))
        if code and code in seen:
            report.errors.append(RowError(line, code, f"窗口编号与第 {seen[code]} 行重复"))
            continue
        try:
            with Session.begin_nested():
                outcome = _import_row(actor, raw)
        except ServiceError as exc:
            report.errors.append(RowError(line, code, exc.message))
            continue
        # Only an imported row is the one later rows repeat: a refused one stored nothing.
        if code:
            seen[code] = line
        getattr(report, outcome).append(code)
    return report


def _named(raw: dict[str, str]) -> dict[str, str]:
    """The row with the industry and status staff wrote (人社, 已摘牌) as the codes they name;
    an unknown name is refused with the names accepted."""
    raw = dict(raw)
    industry, status = _cell(raw.get("industry", "")), _cell(raw.get("status", ""))
    if industry:
        raw["industry"] = industry_code(industry) or ""
        if not raw["industry"]:
            raise ValidationError(f"行业“{industry}”无法识别，应为：{'、'.join(INDUSTRIES.values())}")
    if status:
        raw["status"] = status_code(status) or ""
        if not raw["status"]:
            raise ValidationError(f"状态“{status}”无法识别，应为：{'、'.join(WINDOW_STATUSES.values())}"
                                  "（也可写 示范窗口、已摘牌 等）")
    return raw


def _import_row(actor: User | None, raw: dict[str, str]) -> str:
    code = _cell(raw.get("code", ""))
    unit_name = _cell(raw.get("unit", ""))
    if not unit_name:
        raise ValidationError("所属单位不能为空")
    raw = _named(raw)
    unit_code = _cell(raw.get("unit_code", "")) or (code.rsplit("-", 1)[0] if "-" in code else "")
    unit = unit_service.ensure_unit(
        actor,
        name=unit_name,
        code=unit_code or None,
        industry=_cell(raw.get("industry", "")) or None,
        authority=_cell(raw.get("authority", "")) or None,
    )
    data: dict[str, Any] = {k: v for k, v in raw.items()
                            if k in window_service.FIELD_BY_NAME and k != "unit"}
    data["unit"] = unit.code
    existing = Session.scalars(sa.select(Window).where(Window.code == code)).first() if code else None
    if existing is None:
        window_service.create_window(actor, data, via="import")
        return "created"
    # On re-import an empty cell keeps what is stored; a ledger row never blanks a window.
    data = {k: v for k, v in data.items() if _cell(str(v))}
    before = window_service.window_to_dict(existing)
    window_service.update_window(actor, code, data, via="import")
    return "updated" if window_service.window_to_dict(existing) != before else "unchanged"


def ledger_rows(windows: list[Window], *, dates: bool = False) -> Iterator[list[Any]]:
    """The ledger's header and rows; ``dates``: the dates as dates (Excel), not text."""
    yield [h for _, h in LEDGER_COLUMNS]
    for w in windows:
        values = {
            **window_service.window_to_dict(w),
            **({"status_date": w.status_date, "listed_on": w.listed_on} if dates else {}),
            "unit": w.unit.name,
            "unit_code": w.unit.code,
            "industry": label(INDUSTRIES, w.unit.industry),
            "status": label(WINDOW_STATUSES, w.status),
        }
        yield ["" if values.get(f) is None else values.get(f) for f, _ in LEDGER_COLUMNS]


def all_windows(user: User | None = None) -> list[Window]:
    stmt = sa.select(Window).join(Window.unit)
    if user is not None:
        stmt = window_service.window_query(user)
    return list(Session.scalars(stmt.order_by(Unit.code, Window.code)).all())


def export_csv(windows: list[Window]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerows(cells.csv_row(row) for row in ledger_rows(windows))
    return buf.getvalue()


def export_xlsx(windows: list[Window]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "登记台账"
    header, *rows = ledger_rows(windows, dates=True)
    cells.xlsx_table(ws, header, rows)
    # A second sheet, which the import never reads (it takes the first table with a header).
    cells.xlsx_table(wb.create_sheet("称号状态记录"), window_status.HISTORY_HEADER,
                     window_status.history_rows(windows), wrap=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
