"""A ticket transferred before its WeChat alert to the old unit's bound staff was delivered: that
message is withdrawn with the e-mail alert (the old unit no longer has the ticket); the new
unit's staff get theirs. Against the fake WeChat API."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Ticket
from feedback_api.services import ticket_transfer, users
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
