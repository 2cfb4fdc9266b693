"""A ticket transferred before its WeChat alert to the old unit's bound staff was delivered: that
message is withdrawn with the e-mail alert (the old unit no longer has the ticket); the new
unit's staff get theirs. Against the fake WeChat API."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Ticket
from feedback_api.services import ticket_loop, ticket_transfer, users
from tests.wechat_bot.test_outbox import deliver
from tests.wechat_bot.test_staff import (  # noqa: F401
    OTHER_STAFF,
    STAFF,
    bad_review_alerted_to_bound_staff,
    hospital_staff,
)
from wechat_bot.models import OutboundMessage

pytestmark = pytest.mark.parametrize("mode", ["plain"], indirect=True)


def test_the_old_units_undelivered_wechat_alert_is_withdrawn(
        app, fake_wechat, wechat, district, hospital_staff, db, monkeypatch):  # noqa: F811
    bad_review_alerted_to_bound_staff(app, fake_wechat, wechat, db, monkeypatch)
    with app.app_context():
        assert Session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 2
    with db():
        (ticket,) = Session.scalars(sa.select(Ticket)).all()
        number = ticket.number
        ticket_transfer.transfer(users.get_user("agency"), ticket.id, "CD-RMYY-001", "属医院窗口")
    assert deliver(app).sent_template == 2
    sent = sorted((m["touser"], m["data"]["first"]["value"]) for m in fake_wechat.state.template_sent)
    assert [(to, title.split("】")[0]) for to, title in sent] == [
        (OTHER_STAFF, "【督办单"), (STAFF, "【差评提醒")]
    assert number in sent[0][1]
    with db() as s:  # nothing of the withdrawn alert left waiting
        assert s.scalars(sa.select(OutboundMessage.status)).all() == ["sent", "sent"]


def test_a_sent_back_ticket_reaches_the_units_bound_staff_at_once(
        app, fake_wechat, wechat, district, hospital_staff, db, monkeypatch):  # noqa: F811
    bad_review_alerted_to_bound_staff(app, fake_wechat, wechat, db, monkeypatch)
    assert deliver(app).sent_template == 2
    fake_wechat.state.template_sent.clear()
    with db():
        (ticket,) = Session.scalars(sa.select(Ticket)).all()
        tid, number = ticket.id, ticket.number
        ticket_loop.respond(users.get_user("unit"), tid, "已整改")
        ticket_loop.send_back(users.get_user("agency"), tid, "整改证明不足")
    assert deliver(app).sent_template == 1  # queued by the send-back itself, not by a later job
    (sent,) = fake_wechat.state.template_sent
    assert sent["touser"] == STAFF  # the unit's staff only
    assert sent["data"]["first"]["value"].startswith(f"【督办单退回重办】综合办税窗口 {number}")
    assert sent["data"]["keyword1"]["value"] == "督办单退回重办"
    assert "退回理由：整改证明不足" in sent["data"]["keyword2"]["value"]
    assert sent["url"] == f"https://ww.example.cn/tickets/{tid}"
