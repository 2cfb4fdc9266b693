"""Reading an uploaded sheet as staff save it from Excel or WPS: CSV in the encodings Chinese
Excel writes, or an XLSX or Excel 97-2003 (.xls) workbook whose table may sit under a title row,
behind an instructions sheet, with headers broken over lines, and with cells merged down a
column. Every spreadsheet import (the ledger, the inspections) reads through here."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time
from typing import Any

import xlrd
from openpyxl import load_workbook

from feedback_api.services import cells
from feedback_api.services.errors import ValidationError

Row = tuple[int, list[str]]
#: How many non-empty rows of a sheet are searched for its header (title rows, a two-row header).
HEADER_SCAN = 10
#: Old Office files (Excel 97-2003 .xls, Word .doc, WPS) are OLE compound documents starting so.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: A web page or an XML Spreadsheet 2003, as online systems' "export to Excel" names .xls.
_MARKUP = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<(?:\?xml|!doctype|html|table)", re.IGNORECASE)
#: UTF-16 byte order marks: little-endian, big-endian.
_UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
_NOTE = re.compile(r"\([^()]*\)$")  # a trailing note in brackets: "窗口人数（人）", "服务态度（15分）"


def plain_name(raw: str | None) -> str:
    """A header's text as a name: full-width forms folded (NFKC), spaces and line breaks inside
    dropped, the required-mark * removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", (raw or "").lstrip("\ufeff"))).replace("*", "")


def header_name(raw: str | None) -> str:
    """``plain_name`` without a trailing note in brackets ("窗口人数（人）": 窗口人数)."""
    name = plain_name(raw)
    return _NOTE.sub("", name) or name


def _markup(head: bytes) -> bool:
    """A web page or XML, in UTF-8 or in UTF-16 (some government systems export their pages so:
    either byte order, with or without the byte order mark)."""
    if _MARKUP.match(head):
        return True
    encodings = [_UTF16_BOMS[head[:2]]] if head[:2] in _UTF16_BOMS else (
        # No mark: ASCII markup in UTF-16 has a zero byte in each of its first characters.
        ["utf-16-le", "utf-16-be"] if b"\x00" in head[:4] else [])
    start = 2 if head[:2] in _UTF16_BOMS else 0
    even = head[start:start + (len(head) - start) // 2 * 2]
    return any(_MARKUP.match(even.decode(e, errors="replace").encode()) for e in encodings)


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030, which Chinese Excel exports.

    Excel's "Unicode text" export is UTF-16 with a BOM, so a BOM selects UTF-16 too."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:4096]:
        raise ValidationError("文件不是文本格式的 CSV：请上传 CSV、XLSX 或 XLS 文件")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError("无法识别文件编码：请另存为 UTF-8 或 GB18030（GBK）编码的 CSV")


def _csv_rows(data: bytes, limit: int | None = None,
              too_long: Callable[[], ValidationError] | None = None) -> list[Row]:
    text = decode_csv(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows: list[Row] = []
    filled = 0
    try:
        for row in reader:
            # A CSV cell our export neutralised ('=…) comes back as it was stored.
            rows.append((reader.line_num, [cells.restore(v) for v in row]))
            filled += any(v.strip() for v in row)
            if limit is not None and too_long is not None and filled > limit:
                raise too_long()
    except csv.Error as exc:
        raise ValidationError(f"CSV 格式错误（第 {reader.line_num} 行）：{exc}") from None
    return rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 3.0 is the 3 the cell shows
    return str(value)


def _count_rows(data: bytes, limit: int, too_long: Callable[[], ValidationError]) -> None:
    """Refuse a workbook with a sheet of more than ``limit`` filled rows, counted while streaming
    (read-only), before it is loaded whole."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for ws in wb.worksheets:
                filled = 0
                for row in ws.iter_rows(values_only=True):
                    filled += any(v is not None and str(v).strip() for v in row)
                    if filled > limit:
                        raise too_long()
        finally:
            wb.close()
    except ValidationError:
        raise
    except Exception:  # openpyxl raises many types for a damaged or non-XLSX file
        raise ValidationError("无法读取 Excel 文件：请确认是 .xlsx 格式且未损坏") from None


def _xlsx_tables(data: bytes) -> list[list[Row]]:
    try:
        # Not read-only: only a loaded sheet knows its merged cells (read_tables bounds its size).
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except Exception:  # openpyxl raises many types for a damaged or non-XLSX file
        raise ValidationError("无法读取 Excel 文件：请确认是 .xlsx 格式且未损坏") from None
    tables = []
    for ws in wb.worksheets:
        values = [list(row) for row in ws.iter_rows(values_only=True)]
        merges = [(m.min_row, m.max_row, m.min_col, m.max_col) for m in ws.merged_cells.ranges]
        tables.append(_filled_down(values, merges))
    wb.close()
    return tables


def _filled_down(values: list[list[Any]], merges: list[tuple[int, int, int, int]]) -> list[Row]:
    """The rows as text, each merge (first row, last row, first column, last column; from 1)
    applied: a cell merged down a column shows its value on every row of the merge (a unit over
    its windows, one date over a day's inspections); across columns it is a heading, kept once."""
    for min_row, max_row, min_col, max_col in merges:
        if min_col != max_col or min_row > len(values):
            continue
        col = min_col - 1
        top = values[min_row - 1][col] if col < len(values[min_row - 1]) else None
        for r in range(min_row, min(max_row, len(values))):
            if col < len(values[r]):
                values[r][col] = top
    return [(i, [_text(v) for v in row]) for i, row in enumerate(values, start=1)]


def _xls_value(cell: xlrd.sheet.Cell, datemode: int) -> Any:
    """A cell as openpyxl would give it from the same sheet saved as .xlsx."""
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            when = xlrd.xldate_as_datetime(cell.value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell.value
        return when.time() if cell.value < 1 else when  # a time of day alone
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return int(cell.value) if float(cell.value).is_integer() else cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#N/A")
    return cell.value


def _xls_refusal(exc: Exception) -> ValidationError:
    # xlrd names these two cases only in its message (both XLRDError).
    if "encrypted" in str(exc):
        return ValidationError("该 .xls 文件设有打开密码，无法读取："
                               "请在 Excel 或 WPS 中取消密码后再上传")
    if "Can't find workbook" in str(exc):
        return ValidationError("文件不是 Excel 表格（可能是 Word 或 WPS 文字文档）："
                               "请上传 CSV、XLSX 或 XLS 表格")
    return ValidationError("无法读取 .xls 文件：文件可能已损坏，"
                           "请在 Excel 或 WPS 中打开后另存为 .xlsx 再上传")


def xls_tables(data: bytes, limit: int | None = None,
               too_long: Callable[[], ValidationError] | None = None) -> list[list[Row]]:
    """The sheets of an Excel 97-2003 workbook as the XLSX path reads them. xlrd cannot stream:
    sheets load one at a time, and one of more than ``limit`` filled rows is refused before its
    rows are built (the upload's byte limit bounds the one sheet loaded)."""
    try:
        # formatting_info: only so does xlrd read the merged cells.
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True,
                                  logfile=io.StringIO())
        tables = []
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            if limit is not None and too_long is not None and sheet.nrows > limit and sum(
                    any(str(v).strip() for v in sheet.row_values(r)) for r in range(sheet.nrows)) > limit:
                raise too_long()
            values = [[_xls_value(c, book.datemode) for c in sheet.row(r)] for r in range(sheet.nrows)]
            merges = [(rlo + 1, rhi, clo + 1, chi) for rlo, rhi, clo, chi in sheet.merged_cells]
            tables.append(_filled_down(values, merges))
            book.unload_sheet(index)
        book.release_resources()
    except ValidationError:
        raise
    except Exception as exc:  # xlrd raises many types for a damaged file
        raise _xls_refusal(exc) from None
    return tables


def read_tables(data: bytes, filename: str, *, max_rows: int | None = None,
                too_long: Callable[[], ValidationError] | None = None) -> list[list[Row]]:
    """Every table of an upload as (line number, cells as text) rows: one for a CSV, one per
    sheet of an XLSX or XLS. With ``max_rows``, a table of more filled rows than that and a header's
    room (HEADER_SCAN) is refused with ``too_long()`` as it is read (a workbook before it is
    loaded whole); the importer counts its data rows exactly."""
    limit = None if max_rows is None else max_rows + HEADER_SCAN
    refuse = too_long or (lambda: ValidationError(f"文件超过 {max_rows} 行，请分批导入"))
    if data[:8] == OLE_MAGIC:
        return xls_tables(data, limit, refuse)  # an .xls, whatever its name
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        if limit is not None:
            _count_rows(data, limit, refuse)
        return _xlsx_tables(data)  # XLSX keeps text cells as they are
    if _markup(data[:4096]):
        raise ValidationError("文件是网页或 XML 格式，并非 Excel 表格（网上系统导出的 .xls 常是这样）："
                              "请在 Excel 或 WPS 中打开后另存为 .xlsx 再上传")
    return [_csv_rows(data, limit, refuse)]


def read_table(data: bytes, filename: str) -> Iterator[Row]:
    """The rows of an upload's first table."""
    return iter(read_tables(data, filename)[0])


def _blank(row: list[str]) -> bool:
    return not any((c or "").strip() for c in row)


def locate_header(data: bytes, filename: str, field: Callable[[str], str | None],
                  required: Mapping[str, str], *, max_rows: int | None = None,
                  too_long: Callable[[], ValidationError] | None = None,
                  ) -> tuple[int, list[str], list[Row]]:
    """The table's header (its line and cells) and the rows under it: the first of the first
    HEADER_SCAN non-empty rows of a sheet, sheets in order, whose names (``header_name``, then
    ``field``) hold every ``required`` field (field: its column's Chinese name). A row right under
    it that qualifies too is the lower row of a two-row header and replaces it. No such row, or
    no row under it: ValidationError naming the row most like a header and the columns it lacks."""
    best: tuple[int, int, list[str]] | None = None  # (found, line, missing)
    any_rows = False
    for table in read_tables(data, filename, max_rows=max_rows, too_long=too_long):
        filled = [(line, row) for line, row in table if not _blank(row)]
        any_rows = any_rows or bool(filled)
        header_at = None
        for i, (line, row) in enumerate(filled[:HEADER_SCAN]):
            fields = {field(header_name(c)) for c in row}
            missing = [name for f, name in required.items() if f not in fields]
            if not missing:
                header_at = i
                break
            if best is None or len(required) - len(missing) > best[0]:
                best = (len(required) - len(missing), line, missing)
        if header_at is None:
            continue
        while header_at + 1 < len(filled) and all(
                f in {field(header_name(c)) for c in filled[header_at + 1][1]} for f in required):
            header_at += 1
        line, header = filled[header_at]
        if header_at + 1 == len(filled):  # the template sent back unfilled
            raise ValidationError(f"第 {line} 行是表头，其下没有数据行：请填写后再导入")
        return line, header, [(n, r) for n, r in table if n > line]
    if not any_rows or best is None:
        raise ValidationError("文件为空：没有表头和数据行")
    _found, line, missing = best
    raise ValidationError(f"第 {line} 行（表头）缺少必填列：{'、'.join(missing)}",
                          details={"line": line, "missing": missing})
