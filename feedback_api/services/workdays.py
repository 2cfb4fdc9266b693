"""Working days (工作日) of the district: the office's own calendar first, then chinese-calendar
(official holidays and make-up working days, 调休) for the years it knows, else Monday–Friday
less 元旦, 劳动节 and 国庆节.

Deadlines are local dates: a deadline is met until the end of that day in Asia/Shanghai."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import chinese_calendar
import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import CalendarDay, User
from feedback_api.services import audit
from feedback_api.services.errors import PermissionDenied, ValidationError
from feedback_api.services.feedback import LOCAL_TZ

#: The longest stretch without a working day we accept (a long holiday plus weekends).
_MAX_GAP = 30


def local_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(LOCAL_TZ).date()


#: The holidays the law dates by the solar calendar (全国年节及纪念日放假办法: 元旦, 劳动节 two days,
#: 国庆节 three days): holidays in a year the package has no schedule for yet too, so that a
#: deadline reaching into it is not a day short before the office enters that year's schedule.
_SOLAR_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}


def _builtin_workday(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package has no data for
        return day.weekday() < 5 and (day.month, day.day) not in _SOLAR_HOLIDAYS


def _builtin_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def builtin_until() -> int:
    """The last year whose official schedule chinese-calendar carries."""
    year = local_today().year + 5
    while year > 2004 and not _builtin_knows(year):
        year -= 1
    return year


def schedule_missing(today: date | None = None) -> list[int]:
    """Years whose official schedule (春节, 清明, 端午, 中秋 and their 调休) is neither built in nor
    entered by the office (no holiday of its own set in that year): this year, and from November,
    when the State Council publishes the next year's, that one too. Their deadlines count only
    weekends and the solar holidays until the office enters it."""
    today = today or local_today()
    years = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    return [y for y in years if not _builtin_knows(y) and not Session.scalar(
        sa.select(sa.func.count()).select_from(CalendarDay).where(
            CalendarDay.workday.is_(False), CalendarDay.day >= date(y, 1, 1),
            CalendarDay.day <= date(y, 12, 31)))]


def office_days(start: date, end: date) -> dict[date, bool]:
    """The office's own entries between ``start`` and ``end`` (inclusive)."""
    return dict(Session.execute(
        sa.select(CalendarDay.day, CalendarDay.workday)
        .where(CalendarDay.day >= start, CalendarDay.day <= end)).all())


class Calendar:
    """Working days over a range, with the office's entries loaded once per range."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._loaded: tuple[date, date] | None = None if overrides is None else (date.min, date.max)

    def _load(self, start: date, end: date) -> None:
        if self._loaded and self._loaded[0] <= start and end <= self._loaded[1]:
            return
        lo = min(start, self._loaded[0]) if self._loaded else start
        hi = max(end, self._loaded[1]) if self._loaded else end
        self._overrides.update(office_days(lo, hi))
        self._loaded = (lo, hi)

    def preload(self, start: date, end: date, *, before: int = 0) -> Calendar:
        """Load the office's entries for ``start``..``end`` at once, and far enough before
        ``start`` for ``subtract(day, before)`` of any day in it: a list's clocks cost one query."""
        self._load(start - timedelta(days=2 * before + _MAX_GAP), end)
        return self

    def is_workday(self, day: date) -> bool:
        self._load(day, day)
        if day in self._overrides:
            return self._overrides[day]
        return _builtin_workday(day)

    def add(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself never counts)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        self._load(start, start + timedelta(days=2 * n + _MAX_GAP))
        day, left, gap = start, n, 0
        while left:
            day += timedelta(days=1)
            if self.is_workday(day):
                left, gap = left - 1, 0
            else:
                gap += 1
                if gap > _MAX_GAP:
                    raise ValidationError(f"{start} 之后连续 {_MAX_GAP} 天没有工作日，请检查节假日设置")
        return day

    def subtract(self, end: date, n: int) -> date:
        """The ``n``-th working day before ``end`` (``end`` itself never counts)."""
        self._load(end - timedelta(days=2 * n + _MAX_GAP), end)
        day, left, gap = end, n, 0
        while left:
            day -= timedelta(days=1)
            if self.is_workday(day):
                left, gap = left - 1, 0
            else:
                gap += 1
                if gap > _MAX_GAP:
                    raise ValidationError(f"{end} 之前连续 {_MAX_GAP} 天没有工作日，请检查节假日设置")
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        if end <= start:
            return 0
        self._load(start, end)
        return sum(self.is_workday(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def add_workdays(start: date, n: int) -> date:
    return Calendar().add(start, n)


def is_workday(day: date) -> bool:
    return Calendar().is_workday(day)


# The office's calendar.

def list_days(year: int) -> list[CalendarDay]:
    return list(Session.scalars(
        sa.select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)))


def set_day(actor: User | None, day: date, *, workday: bool | None, name: str = "") -> None:
    """Mark ``day`` as a holiday (workday False), a make-up working day (True), or remove the
    office's entry (None: the built-in calendar applies again)."""
    if actor is not None and actor.role != "office":
        raise PermissionDenied("只有区联席办可以设置节假日")
    name = (name or "").strip()
    if len(name) > 100:
        raise ValidationError("名称不能超过 100 字")
    row = Session.get(CalendarDay, day)
    before: dict[str, Any] | None = (
        {"workday": row.workday, "name": row.name} if row is not None else None)
    if workday is None:
        if row is None:
            return
        Session.delete(row)
        after = None
    elif row is None:
        Session.add(CalendarDay(day=day, workday=workday, name=name))
        after = {"workday": workday, "name": name}
    else:
        row.workday, row.name = workday, name
        after = {"workday": workday, "name": name}
    Session.flush()
    audit.record_change(actor, "set_calendar", "calendar", day.isoformat(), before or {}, after or {})
