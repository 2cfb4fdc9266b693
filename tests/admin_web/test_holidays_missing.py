"""The office is told, on its home page and the holiday calendar, of a year whose official holiday
schedule is neither built in nor entered (the working-day clocks would count only weekends and the
solar holidays in it); other roles are not, and entering a holiday of that year ends the notice."""

from datetime import date

import pytest

from feedback_api.services import workdays

NOTICE = "年的法定节假日与调休安排（春节、清明、端午、中秋等）尚未登记"


def test_the_office_is_told_of_a_year_without_its_holidays(client, auth, db, district):
    with db():
        missing = workdays.schedule_missing()
        until = workdays.builtin_until()
    auth.login("office")
    home = client.get("/").get_data(as_text=True)
    calendar = client.get("/calendar").get_data(as_text=True)
    assert f"已内置至 {until} 年" in calendar
    for year in missing:
        assert f"{year} {NOTICE}" in home and f'/calendar?year={year}' in home
        assert f"{year} 年的法定节假日与调休安排尚未内置" in calendar
    if not missing:  # the package knows this year (and next, from November): nothing to ask
        assert NOTICE not in home
        return
    with db():
        for year in missing:
            workdays.set_day(None, date(year, 2, 1), workday=False, name="春节")
        assert workdays.schedule_missing() == []
    assert NOTICE not in client.get("/").get_data(as_text=True)
    assert "尚未内置" not in client.get("/calendar").get_data(as_text=True)


@pytest.mark.parametrize("role", ["agency", "authority", "unit"])
def test_other_roles_are_not_told(client, auth, db, district, role):
    with db():
        assert workdays.schedule_missing(date(2099, 3, 1)) == [2099]  # the notice's own condition
    auth.login(role)
    page = client.get("/").get_data(as_text=True)
    assert "概况" in page and NOTICE not in page
