"""Spreadsheet cells safe to open: values a spreadsheet would run as a formula are neutralised in
every CSV and XLSX export (CSV injection, OWASP), and read back unchanged on import."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
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


def printable(text: str) -> str:
    """The text with the control characters XML 1.0, and so XLSX and DOCX, cannot hold (Word's
    line break \\x0b, pasted) as spaces; tabs and line ends kept."""
    return ILLEGAL_CHARACTERS_RE.sub(" ", text)


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
