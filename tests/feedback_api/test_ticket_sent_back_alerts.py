"""A ticket sent back (退回重办): the unit is told at once that a new round waits for its answer,
with the reason and the new deadline, as of a new ticket (e-mail through the real SMTP server on
loopback); once however often the alert job runs; an alert not sent yet is withdrawn when the
ticket is transferred or cancelled."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import StaffAlert
from feedback_api.services import (
    alert_delivery,
    alerts,
    ticket_links,
    ticket_loop,
    ticket_transfer,
    users,
)
from tests.mail import body, subject

from .test_ticket_links import local
from .test_ticket_transfer_alerts import _contacts, _ticket_queued


def _sent_back(db, smtp) -> tuple[int, str]:
    """A ticket whose first alerts went out, answered by the unit and sent back by the agency."""
    _contacts(db)
    tid, number = _ticket_queued(db)
    with db():
        assert alert_delivery.send_pending().sent == 2
        ticket_loop.respond(users.get_user("unit"), tid, "已整改", now=local(2026, 3, 3))
        ticket_loop.send_back(users.get_user("agency"), tid, "整改证明不足，请补充", now=local(2026, 3, 4))
    smtp.messages.clear()
    return tid, number


def _states() -> dict[str, str]:
    return dict(Session.execute(sa.select(StaffAlert.dedup_key, StaffAlert.status)
                                .where(StaffAlert.dedup_key.contains(":back:"))).all())


def test_a_sent_back_ticket_is_alerted_to_its_unit_at_once_and_once(app, district, db, smtp):
    tid, number = _sent_back(db, smtp)
    with db():
        # The job runs again (and again): the round is alerted once, not on each run.
        assert alerts.queue_new(now=local(2026, 3, 4, 11)) == 0
        assert alerts.queue_new(now=local(2026, 3, 4, 12)) == 0
        assert alert_delivery.send_pending().sent == 1
        assert alert_delivery.send_pending().sent == 0
        assert _states() == {f"ticket:{tid}:back:2": "sent"}
    ((to, message),) = smtp.messages
    assert to == ["old@sw.example.cn"]
    assert subject(message).startswith(f"【督办单退回重办】综合办税窗口 {number} 截止 2026-03-")
    text = body(message)
    assert "退回理由：整改证明不足，请补充" in text and "第 2 轮" in text


def test_the_job_queues_a_sent_back_round_the_service_did_not(app, district, db, smtp):
    tid, _number = _sent_back(db, smtp)
    with db():
        Session.execute(sa.delete(StaffAlert).where(StaffAlert.dedup_key == f"ticket:{tid}:back:2"))
        assert alerts.queue_new(now=local(2026, 3, 4, 11)) == 1
        assert alerts.queue_new(now=local(2026, 3, 4, 12)) == 0
        assert _states() == {f"ticket:{tid}:back:2": "pending"}


def test_an_unsent_sent_back_alert_is_withdrawn_on_transfer(app, district, db, smtp):
    tid, number = _sent_back(db, smtp)
    with db():
        ticket_transfer.transfer(users.get_user("office"), tid, "CD-RMYY-001", "属医院窗口",
                                 now=local(2026, 3, 4, 11))
    with db():
        assert alerts.queue_new(now=local(2026, 3, 4, 12)) == 0  # not queued again for the old unit
        assert alert_delivery.send_pending().sent == 1
        assert _states() == {f"ticket:{tid}:back:2": "withdrawn"}
    assert [to for to, _m in smtp.messages] == [["new@rmyy.example.cn"]]


def test_an_unsent_alert_of_a_cancelled_ticket_is_withdrawn(app, district, db, smtp):
    tid, _number = _sent_back(db, smtp)
    with db():
        ticket_links.cancel_ticket(users.get_user("office"), tid, "群众撤回投诉",
                                   now=local(2026, 3, 4, 11))
    with db():
        assert alerts.queue_new(now=local(2026, 3, 4, 12)) == 0
        assert alert_delivery.send_pending().sent == 0
        alert = Session.scalars(sa.select(StaffAlert)
                                .where(StaffAlert.dedup_key == f"ticket:{tid}:back:2")).one()
        assert alert.status == "withdrawn" and "撤销" in alert.last_error
    assert smtp.messages == []
