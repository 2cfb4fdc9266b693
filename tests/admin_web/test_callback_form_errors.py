"""The call-back form's errors say what is wrong: a time typed in a shape the server cannot read
(a browser without a date-time picker) is not "please fill in"; a time in the future is refused
in Chinese at the form."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from feedback_api.services import ticket_open, users
from tests.admin_web.test_tickets_pages import bad_review, signed_in

SH = ZoneInfo("Asia/Shanghai")


def _post(app, db, called_at: str):
    fid = bad_review(db)
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid).id
    agency, auth = signed_in(app, "agency")
    resp = agency.post(f"/tickets/{tid}/callback", data={
        "csrf_token": auth.csrf_token(f"/tickets/{tid}"), "called_at": called_at,
        "outcome": "satisfied", "note": "群众表示认可"})
    html = resp.get_data(as_text=True)
    return resp.status_code, re.findall(r'field-error">([^<]*)', html), html


def test_a_time_typed_in_another_shape_is_not_called_missing(app, district, db):
    status, errors, _html = _post(app, db, "2026/12/7 10:00")
    assert status == 200 and errors and "请填写" not in errors[0]
    assert any("日期" in e or "时间" in e for e in errors), errors


def test_an_empty_time_is_missing(app, district, db):
    status, errors, _html = _post(app, db, "")
    assert status == 200 and errors == ["请填写回访时间"]


def test_a_time_in_the_future_is_refused_in_chinese(app, district, db):
    later = (datetime.now(SH) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    status, _errors, html = _post(app, db, later)
    assert status == 200 and "回访时间不能晚于现在" in html
