"""What the clerk who verifies a ticket is told about the citizens: how many will hear back in
WeChat, how many no channel reaches (their answer is kept for staff only), and that the messages
wait while the WeChat interface is not configured, as the feedback page says."""

from __future__ import annotations

import re

import sqlalchemy as sa

from admin_web.feedback import NOT_CONFIGURED
from feedback_api.db import Session
from feedback_api.models import FeedbackAnswer, Window
from feedback_api.services import ticket_loop, ticket_open, users
from feedback_api.services.feedback import record_feedback
from tests.admin_web.test_tickets_pages import bad_review, signed_in


def _h5_review(db) -> int:
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        return record_feedback(window, citizen=None, channel="h5", rating=2,
                               text="排队太久").feedback.id


def _responded_ticket(db, *feedback_ids: int) -> int:
    with db():
        agency = users.get_user("agency")
        tid = ticket_open.open_from_feedback(agency, feedback_ids[0], topic="efficiency").id
        for fid in feedback_ids[1:]:
            ticket_open.attach_feedback(agency, tid, fid)
        ticket_loop.respond(users.get_user("unit"), tid, "已增开窗口分流")
    return tid


def _verify(app, tid) -> str:
    agency, auth = signed_in(app, "agency")
    resp = agency.post(f"/tickets/{tid}/verdict", data={
        "csrf_token": auth.csrf_token(f"/tickets/{tid}"), "action": "verify"}, follow_redirects=True)
    flashes = re.findall(r'class="flash flash-success"[^>]*>([^<]*)', resp.get_data(as_text=True))
    assert len(flashes) == 1, flashes
    return flashes[0]


def test_a_citizen_no_channel_reaches_is_not_counted_as_answered(app, district, db):
    wechat, h5 = bad_review(db), _h5_review(db)
    tid = _responded_ticket(db, wechat, h5)
    notice = _verify(app, tid)
    assert notice.startswith("已核验办结")
    assert "1 位群众" in notice and "2 位群众" not in notice
    assert "1 条评价的群众无法通过微信联系" in notice
    assert NOT_CONFIGURED in notice  # the demo has no WeChat account: nothing went out yet
    with db():  # both answers are kept, as the unit's
        assert Session.scalar(sa.select(sa.func.count()).select_from(FeedbackAnswer)) == 2


def test_only_h5_citizens_hear_nothing_and_are_told_so(app, district, db, monkeypatch):
    monkeypatch.setitem(app.config, "WW_WECHAT_APPID", "wx0123456789abcdef")
    monkeypatch.setitem(app.config, "WW_WECHAT_SECRET", "s" * 32)
    tid = _responded_ticket(db, _h5_review(db))
    notice = _verify(app, tid)
    assert "答复" in notice and "无法通过微信联系" in notice and "位群众" not in notice.split("；")[0]
    assert NOT_CONFIGURED not in notice
