"""Assessment periods: a month, a quarter or a year, in the district's clock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from feedback_api.services.feedback import LOCAL_TZ


@dataclass(frozen=True)
class Period:
    kind: str  # "month", "quarter" or "year"
    year: int
    number: int  # month 1–12, quarter 1–4, or 0 for a year

    @property
    def code(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year}Q{self.number}"
        return str(self.year)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.year}年{self.number}月"
        if self.kind == "quarter":
            return f"{self.year}年第{'一二三四'[self.number - 1]}季度"
        return f"{self.year}年度"

    @property
    def start(self) -> date:
        month = {"month": self.number, "quarter": 3 * self.number - 2, "year": 1}[self.kind]
        return date(self.year, month, 1)

    @property
    def end(self) -> date:
        """The first day after the period."""
        months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        m = self.start.month - 1 + months
        return date(self.year + m // 12, m % 12 + 1, 1)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """The period in the district's clock, as aware datetimes for ``received_at``."""
        return (datetime.combine(self.start, time.min, tzinfo=LOCAL_TZ),
                datetime.combine(self.end, time.min, tzinfo=LOCAL_TZ))

    def quarters(self) -> list[tuple[int, int]]:
        """The (year, quarter) pairs whose inspections belong to this period: a month takes
        its quarter's inspection."""
        if self.kind == "year":
            return [(self.year, q) for q in (1, 2, 3, 4)]
        if self.kind == "quarter":
            return [(self.year, self.number)]
        return [(self.year, (self.number - 1) // 3 + 1)]


def previous(period: Period) -> Period:
    """The period of the same kind just before ``period``."""
    if period.kind == "year":
        return Period("year", period.year - 1, 0)
    last = 4 if period.kind == "quarter" else 12
    if period.number > 1:
        return Period(period.kind, period.year, period.number - 1)
    return Period(period.kind, period.year - 1, last)


_PERIOD_RE = re.compile(r"^(\d{4})(?:(?:[-/.M年])(\d{1,2})月?|[Qq季](\d))?$")


def parse_period(text: str) -> Period:
    """2026 (year), 2026Q3 (quarter), 2026-07 or 2026M07 (month)."""
    match = _PERIOD_RE.match((text or "").strip())
    if not match:
        raise ValueError(f"考核期“{text}”无法识别，应写作 2026、2026Q3 或 2026-07")
    year = int(match.group(1))
    if not 2000 <= year <= 2100:
        raise ValueError(f"年度 {year} 不在 2000–2100 之间")
    if match.group(2):
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"月份 {month} 无效")
        return Period("month", year, month)
    if match.group(3):
        quarter = int(match.group(3))
        if not 1 <= quarter <= 4:
            raise ValueError(f"季度 {quarter} 无效")
        return Period("quarter", year, quarter)
    return Period("year", year, 0)


def current_quarter(today: date | None = None) -> Period:
    today = today or datetime.now(LOCAL_TZ).date()
    return Period("quarter", today.year, (today.month - 1) // 3 + 1)
