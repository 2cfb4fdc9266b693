"""The call-back form names, in Chinese and under the field, an outcome it does not offer and a
note over its length, and keeps what was typed (wave 13 walkthrough)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from feedback_api.models import CallBack
from feedback_api.services import ticket_open, users
from tests.admin_web.test_tickets_pages import bad_review, signed_in

SH = ZoneInfo("Asia/Shanghai")


def test_a_bad_outcome_and_a_long_note_are_named_under_their_fields(app, district, db):
    fid = bad_review(db)
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid).id
    agency, auth = signed_in(app, "agency")
    now = datetime.now(SH).strftime("%Y-%m-%dT%H:%M")
    token = auth.csrf_token(f"/tickets/{tid}")
    resp = agency.post(f"/tickets/{tid}/callback", data={
        "csrf_token": token, "called_at": now, "outcome": "maybe", "note": "群众表示认可"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert re.findall(r'field-error">([^<]*)', html) == ["所选项无效"]
    assert "群众表示认可" in html and f'value="{now}"' in html
    resp = agency.post(f"/tickets/{tid}/callback", data={
        "csrf_token": token, "called_at": now, "outcome": "satisfied", "note": "长" * 1001})
    html = resp.get_data(as_text=True)
    errors = re.findall(r'field-error">([^<]*)', html)
    assert resp.status_code == 200 and errors == ["回访情况不能超过 1000 字"]
    with db() as s:
        assert s.scalar(sa.select(sa.func.count(CallBack.id))) == 0
