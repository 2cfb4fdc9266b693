"""The agency's 生成测评报告 form: the quarter field starts at the last quarter that has ended
(the one a quarterly report is usually about), and a quarter it cannot read is answered with the
one form it takes, not with the year and month forms other pages take."""

from __future__ import annotations

import re
from datetime import datetime

from feedback_api.services.feedback import LOCAL_TZ


def _last_ended_quarter() -> str:
    today = datetime.now(LOCAL_TZ).date()
    q = (today.month - 1) // 3  # the current quarter's number minus one
    return f"{today.year - 1}Q4" if q == 0 else f"{today.year}Q{q}"


def test_the_quarter_starts_at_the_last_one_ended(client, auth, district):
    auth.login("agency")
    html = client.get("/agency-reports/").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="period"[^>]*>', html)
    assert field and f'value="{_last_ended_quarter()}"' in field.group(0)


def test_an_unreadable_quarter_is_explained_in_the_form_it_takes(client, auth, district):
    auth.login("agency")
    resp = client.post("/agency-reports/", data={
        "period": "2026年第四季度", "csrf_token": auth.csrf_token("/agency-reports/")})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "请填写如 2026Q3" in text
    assert "2026-07" not in text
    assert 'value="2026年第四季度"' in text  # the input stays


def test_a_quarter_not_over_is_refused_its_figures_would_be_fixed_unfinished(client, auth, db,
                                                                              district):
    import sqlalchemy as sa

    from analytics.assessment import current_quarter
    from analytics.periods import previous
    from feedback_api.models import AgencyReport

    auth.login("agency")
    running = current_quarter()
    future = type(running)("quarter", running.year + 1, running.number)
    for period in (running, future):
        resp = client.post("/agency-reports/", data={
            "period": period.code, "csrf_token": auth.csrf_token("/agency-reports/")})
        text = resp.get_data(as_text=True)
        assert resp.status_code == 200 and "尚未结束" in text, period.code
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AgencyReport)) == 0
    ended = previous(running)
    resp = client.post("/agency-reports/", data={
        "period": ended.code, "csrf_token": auth.csrf_token("/agency-reports/")})
    assert resp.status_code == 302
