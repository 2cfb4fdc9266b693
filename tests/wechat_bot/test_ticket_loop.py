"""The whole loop through WeChat: a 差评 arrives, a ticket opens, the unit responds, the agency
sends it back once, the unit responds again, the agency verifies; the citizen receives the
unit's answer and the re-rating invitation from the (fake) WeChat API, and re-rates."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Feedback
from feedback_api.services import evidence_files, ticket_jobs, ticket_loop, tickets, users
from wechat_bot import outbox
from wechat_bot.client import WechatSender, get_client
from wechat_bot.config import settings
from wechat_bot.models import OutboundMessage

OPENID = "oTicketLoop000000000000001"


def test_a_bad_review_in_wechat_goes_round_the_ticket_loop(app, fake_wechat, wechat, district,
                                                          monkeypatch):
    monkeypatch.setitem(app.config, "WW_WECHAT_API_BASE", fake_wechat.base_url)
    wechat.scan(OPENID, "CD-SW-001")
    assert "受理编号" in wechat.say(OPENID, "1")
    fake_wechat.user_messaged(OPENID)
    with app.app_context():
        assert ticket_jobs.auto_open() == "1 tickets opened"
        Session.commit()
        [fid] = Session.scalars(sa.select(Feedback.id)).all()
        tid = tickets.ticket_of_feedback(fid).id
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    with app.app_context():
        ticket_loop.respond(users.get_user("unit"), tid, "已提醒窗口人员", [evidence_files.Upload("a.png", png)])
        Session.commit()
    with app.app_context():
        ticket_loop.send_back(users.get_user("agency"), tid, "请说明具体整改措施")
        Session.commit()
    with app.app_context():
        ticket_loop.respond(users.get_user("unit"), tid, "已增设导办员并公示服务承诺")
        Session.commit()
    with app.app_context():
        done = ticket_loop.verify(users.get_user("agency"), tid, "整改到位")
        assert done.rerating_requested == [fid]
        Session.commit()
    with app.app_context():
        report = outbox.deliver_pending(WechatSender(get_client(), settings()),
                                        after_each=Session.commit)
        Session.commit()
        assert report.sent_custom == 2
        assert set(Session.scalars(sa.select(OutboundMessage.status))) == {"sent"}
    texts = [m["content"] for m in fake_wechat.state.custom_sent if m["touser"] == OPENID]
    assert any("已增设导办员并公示服务承诺" in t for t in texts)
    assert any("欢迎再次评价" in t and "CD-SW-001" in t for t in texts)
    assert not any("已提醒窗口人员" in t for t in texts)  # a sent-back response never reaches them
    # The citizen re-rates in WeChat as invited.
    wechat.scan(OPENID, "CD-SW-001")
    wechat.say(OPENID, "5")
    with app.app_context():
        ratings = Session.scalars(sa.select(Feedback.rating).order_by(Feedback.id)).all()
        assert ratings == [1, 5]
