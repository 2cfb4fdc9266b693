"""A status change through the window's edit page with the 状态日期 left empty takes the
district's today: a window delisted there leaves the ranking from then on (with no date it
stayed in every period's)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from analytics import assessment
from analytics.assessment import Period
from feedback_api.models import Window
from feedback_api.services import workdays


def test_delisting_on_the_edit_page_without_a_date_dates_it_today(client, auth, db, district):
    auth.login("office")
    page = client.get("/windows/CD-SW-002/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/windows/CD-SW-002/edit", data={
        "csrf_token": token, "code": "CD-SW-002", "name": "发票领用窗口", "unit": "CD-SW",
        "status": "delisted", "status_reason": "发生重大安全事故", "status_date": "",
        "status_year": ""})
    assert resp.status_code == 302
    today = workdays.local_today()
    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-SW-002")).one()
        assert (w.status, w.status_date) == ("delisted", today)
        later = Period("quarter", today.year + 1, 1)
        assert "CD-SW-002" not in {r.code for r in assessment.assess(later).rows}
        now = Period("year", today.year, 0)
        assert "CD-SW-002" in {r.code for r in assessment.assess(now).rows}  # history kept
