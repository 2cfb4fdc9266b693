"""Spreadsheet cells safe to open: values a spreadsheet would run as a formula are neutralised in
every CSV and XLSX export (CSV injection, OWASP), and read back unchanged on import. And the one
way an export lays out an Excel table (``xlsx_table``, ``fit_columns``): a bold frozen header
with an auto-filter, columns as wide as their contents, dates and numbers as Excel's own."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

#: A text starting with one of these is a formula (or a DDE payload) to Excel, WPS and LibreOffice.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Quotes already in front of a trigger get one more on export, so the import's removal of exactly
# one quote gives back every value, even one that itself began with "'=".
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")


def neutralise(value: Any) -> Any:
    """A text cell that would start a formula, prefixed with a single quote; others unchanged
    (numbers stay numbers: -3 is a number to a spreadsheet, never a formula)."""
    if isinstance(value, str) and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The value ``neutralise`` was given: one leading quote dropped before a formula start."""
    if _NEUTRALISED.match(value):
        return value[1:]
    return value


def csv_row(row: Iterable[Any]) -> list[Any]:
    """A row for ``csv.writer``, every cell neutralised."""
    return [neutralise(v) for v in row]


#: What XML 1.0, and so XLSX and DOCX, cannot hold: openpyxl's ILLEGAL_CHARACTERS_RE (the C0
#: controls but tab and line ends), and surrogates, U+FFFE and U+FFFF, which lxml refuses too.
_NOT_XML = re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|[\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """The text with the characters XML 1.0, and so XLSX and DOCX, cannot hold (Word's line
    break \\x0b, pasted; a citizen's U+FFFF) as spaces; tabs and line ends kept."""
    return _NOT_XML.sub(" ", text)


def xlsx_append(ws: Worksheet, row: Iterable[Any]) -> None:
    """Append a row to an XLSX sheet with every text cell stored as text. openpyxl would store a
    text starting with "=" as a formula; such a cell gets Excel's own quote prefix instead (what
    typing '= in Excel does): shown as the text, kept as text when edited, read back unchanged.
    Control characters no XLSX cell can hold (Word's line break \\x0b, pasted) become spaces."""
    ws.append([printable(v) if isinstance(v, str) else v for v in row])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
            cell.data_type = "s"
            cell.quotePrefix = True


#: The widest a column is made, in Excel's units (about one Latin character): a longer text is
#: cut off on screen (or wrapped, where the sheet wraps), never a column wider than the window.
MAX_WIDTH = 60
MIN_WIDTH = 6
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
_WRAP = Alignment(wrap_text=True, vertical="top")


def _shown(value: Any) -> str:
    """The value as Excel shows it, for its width."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return "2026-01-01 00:00"
    if isinstance(value, date):
        return "2026-01-01"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def text_width(value: Any) -> int:
    """How many columns a value takes on screen: a Chinese (wide) character two, its longest line."""
    lines = _shown(value).splitlines() or [""]
    return max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
               for line in lines)


def date_formats(ws: Worksheet, *, min_row: int = 1, decimals: int | None = None) -> None:
    """Dates and times shown as dates (a clerk filters and sorts them); floats with ``decimals``."""
    for row in ws.iter_rows(min_row=min_row):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
            elif isinstance(cell.value, float) and decimals is not None:
                cell.number_format = "0." + "0" * decimals if decimals else "0"


def fit_columns(ws: Worksheet, widths: Sequence[float | None] = (), *, minimum: float = MIN_WIDTH) -> None:
    """Every used column as wide as its widest value (up to MAX_WIDTH), or as ``widths`` gives
    it (None: fitted)."""
    fitted: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None and hasattr(cell, "column"):
                fitted[cell.column] = max(fitted.get(cell.column, 0), text_width(cell.value))
    for col in range(1, max([ws.max_column, len(widths)]) + 1):
        given = widths[col - 1] if col <= len(widths) else None
        width = given if given is not None else min(MAX_WIDTH, max(minimum, fitted.get(col, 0) + 2))
        ws.column_dimensions[get_column_letter(col)].width = width


def xlsx_table(ws: Worksheet, header: Sequence[str], rows: Iterable[Iterable[Any]], *,
               widths: Sequence[float | None] = (), decimals: int | None = None,
               wrap: bool = False) -> None:
    """``rows`` under ``header`` on an empty sheet, as a clerk expects a table: a bold header row,
    frozen, with an auto-filter; every cell through ``xlsx_append``; dates as dates; fitted
    columns (``fit_columns``); ``wrap`` wraps the data cells (long texts)."""
    xlsx_append(ws, header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        xlsx_append(ws, row)
    date_formats(ws, min_row=2, decimals=decimals)
    if wrap:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = _WRAP
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    fit_columns(ws, widths)


def notes_sheet(wb: Any, lines: Iterable[str], width: float) -> None:
    """A template's instructions (填写说明) as its own sheet after the table: one line a row."""
    notes = wb.create_sheet("填写说明")
    for line in lines:
        notes.append([line])
    fit_columns(notes, [width])
