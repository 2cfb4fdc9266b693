"""Working days: the office's calendar wins, then chinese-calendar, then Monday–Friday less the
holidays the law dates by the solar calendar."""

from __future__ import annotations

from datetime import date

from feedback_api.services import workdays
from feedback_api.services.workdays import Calendar


def test_national_day_2026_and_its_make_up_working_day(app, db):
    with db():
        cal = Calendar()
        assert not cal.is_workday(date(2026, 10, 1))  # 国庆节
        assert not cal.is_workday(date(2026, 10, 7))
        assert cal.is_workday(date(2026, 10, 10))  # a Saturday: 调休 working day
        assert not cal.is_workday(date(2026, 10, 11))  # a Sunday
        # From Wednesday 30 September: 8 Oct is the first working day after the holiday.
        assert cal.add(date(2026, 9, 30), 1) == date(2026, 10, 8)
        # 8, 9, 10 (Saturday, 调休), 12-16, 19-23, 26, 27 October: the 15th is the 27th.
        assert cal.add(date(2026, 9, 30), 15) == date(2026, 10, 27)
        assert cal.between(date(2026, 9, 30), date(2026, 10, 27)) == 15
        assert cal.subtract(date(2026, 10, 8), 1) == date(2026, 9, 30)


def test_the_office_calendar_wins(app, db):
    with db():
        workdays.set_day(None, date(2026, 10, 8), workday=False, name="区里延长假期")
        workdays.set_day(None, date(2026, 10, 11), workday=True, name="区里调休")
    with db():
        cal = Calendar()
        assert cal.add(date(2026, 9, 30), 1) == date(2026, 10, 9)
        assert cal.add(date(2026, 10, 9), 2) == date(2026, 10, 11)
        assert [d.name for d in workdays.list_days(2026)] == ["区里延长假期", "区里调休"]
    with db():  # removing the entry brings the built-in day back
        workdays.set_day(None, date(2026, 10, 8), workday=None)
    with db():
        assert workdays.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_years_the_package_does_not_know_fall_back_to_weekends(app, db):
    with db():
        assert workdays.is_workday(date(2027, 1, 4))  # a Monday, unknown to chinese-calendar
        assert not workdays.is_workday(date(2027, 1, 2))
        assert workdays.add_workdays(date(2027, 1, 4), 1) == date(2027, 1, 5)
        assert workdays.add_workdays(date(2027, 1, 8), 1) == date(2027, 1, 11)
        workdays.set_day(None, date(2027, 1, 4), workday=False, name="区里延长假期")
    with db():
        assert not workdays.is_workday(date(2027, 1, 4))
        assert workdays.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 5)


def test_the_holidays_the_law_dates_by_the_solar_calendar_hold_in_any_year(app, db):
    """元旦 (1 January), 劳动节 (1-2 May) and 国庆节 (1-3 October) are holidays every year by law:
    before the office enters a year's schedule (chinese-calendar stops at 2026), a deadline
    over New Year 2027 does not count Friday 1 January as a working day. The office's entry
    still wins."""
    with db():
        cal = Calendar()
        for day in (date(2027, 1, 1), date(2027, 10, 1), date(2028, 5, 1), date(2028, 5, 2),
                    date(2028, 10, 2), date(2028, 10, 3)):  # each a Monday to Friday
            assert not cal.is_workday(day), day
        assert cal.is_workday(date(2027, 1, 5))
        # A call-back due one working day after New Year's Eve 2026: Monday 4 January.
        assert cal.add(date(2026, 12, 31), 1) == date(2027, 1, 4)
        workdays.set_day(None, date(2027, 1, 1), workday=True, name="区里安排上班")
    with db():
        assert workdays.is_workday(date(2027, 1, 1))


def test_a_year_without_its_official_schedule_is_named_until_the_office_enters_it(app, db):
    """chinese-calendar carries the State Council's schedule up to a year; for later ones the office
    must enter 春节, 清明, 端午, 中秋 and their 调休. From November next year's is asked for too."""
    with db():
        assert workdays.builtin_until() >= 2026
        assert workdays.schedule_missing(date(2026, 6, 1)) == []  # built in, and not yet November
        assert workdays.schedule_missing(date(2099, 3, 1)) == [2099]
        assert workdays.schedule_missing(date(2099, 11, 2)) == [2099, 2100]
        # A make-up working day alone is not a schedule; a holiday of that year is.
        workdays.set_day(None, date(2099, 2, 7), workday=True, name="春节调休")
    with db():
        assert workdays.schedule_missing(date(2099, 11, 2)) == [2099, 2100]
        workdays.set_day(None, date(2099, 2, 1), workday=False, name="春节")
    with db():
        assert workdays.schedule_missing(date(2099, 11, 2)) == [2100]
