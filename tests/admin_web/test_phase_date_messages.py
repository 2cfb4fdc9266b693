"""A phase's dates left empty are asked for ("请填写…日期"); only a malformed one is told the
format; either way the phase keeps its dates."""

from __future__ import annotations

import html as html_lib

from feedback_api.services import cycle as svc
from feedback_api.services import users
from tests.admin_web.test_cycle_pages import token


def _flash(client, data: dict[str, str]) -> str:
    resp = client.post("/cycle/2031/phases/review", data=data, follow_redirects=True)
    assert resp.status_code == 200
    page = html_lib.unescape(resp.get_data(as_text=True))
    return page.split('class="flash flash-error"', 1)[1].split("</", 1)[0]


def test_empty_and_malformed_phase_dates_say_what_is_wrong(client, auth, db, district):
    with db():
        svc.create_cycle(users.get_user("office"), 2031)
    auth.login("office")
    base = {"review-kind": "review", "csrf_token": token(client, "/cycle/2031")}
    message = _flash(client, {**base, "review-starts_on": "", "review-ends_on": ""})
    assert "请填写评审评定开始日期" in message and "请填写评审评定截止日期" in message
    assert "YYYY-MM-DD" not in message
    message = _flash(client, {**base, "review-starts_on": "2031-06-06", "review-ends_on": ""})
    assert "请填写评审评定截止日期" in message and "开始日期" not in message
    message = _flash(client, {**base, "review-starts_on": "2031-6-x", "review-ends_on": "2031-07-15"})
    assert "评审评定开始日期格式应为 YYYY-MM-DD" in message and "请填写" not in message
    with db():
        review = svc.get_cycle(2031).phase("review")
        assert (review.starts_on.isoformat(), review.ends_on.isoformat()) == ("2031-06-06", "2031-07-15")
