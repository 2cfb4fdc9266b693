"""A date as staff type it, in a sheet, a form or the API: 2026-03-05, 2026/3/5, 2026.03.05,
2026年3月5日, 20260305, in full-width digits too, a date (time) cell of a spreadsheet, or the
serial number Excel keeps a date as, shown when the cell is formatted as a number (46086)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from openpyxl.utils.datetime import from_excel

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")  # with a time of day as a fraction: 46086.5
#: Excel serials of 1990-01-01 and 2100-12-31: a five-digit number outside is no date we keep.
SERIALS = (32874, 73415)


def parse_date(value: Any) -> date:
    """The date ``value`` means; ValueError with a Chinese reason when it means none."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not text:
        raise ValueError("日期为空，应写作 2026-07-15")
    if _SERIAL.match(text) and SERIALS[0] <= float(text) < SERIALS[1] + 1:
        return from_excel(float(text)).date()  # Windows' 1900 epoch, which WPS writes too
    match = _DATE.match(text) or _DIGITS.match(text)
    try:
        if match is None:
            raise ValueError(text)
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(f"日期“{value}”无法识别，应写作 2026-07-15") from None
