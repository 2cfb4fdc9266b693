"""A ticket transferred before its new-ticket alert went out: the old unit is not told of a ticket
it no longer has (the unsent alert is withdrawn, saying why), the new unit is; mail through the
real SMTP server on loopback. An alert already sent stays sent."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import StaffAlert, Unit
from feedback_api.services import alert_contacts, alert_delivery, alerts, ticket_open, ticket_transfer, users
from tests.mail import body, subject

from .test_ticket_links import bad, local


def _contacts(db) -> None:
    with db():
        for code, email in (("CD-SW", "old@sw.example.cn"), ("CD-RMYY", "new@rmyy.example.cn")):
            unit = Session.scalars(sa.select(Unit).where(Unit.code == code)).one()
            alert_contacts.add_contact(None, unit, email)


def _ticket_queued(db) -> tuple[int, str]:
    opened = local(2026, 3, 2)
    with db():
        ticket = ticket_open.open_from_feedback(users.get_user("agency"), bad(at=opened), now=opened)
        assert alerts.queue_new(now=opened) == 2  # the 差评 and the ticket, both to CD-SW
        return ticket.id, ticket.number


def _mail(smtp) -> list[tuple[str, str, str]]:
    return [(to[0], subject(m), body(m)) for to, m in smtp.messages]


def test_an_unsent_alert_does_not_go_to_the_old_unit_after_a_transfer(app, district, db, smtp):
    _contacts(db)
    tid, number = _ticket_queued(db)
    with db():
        ticket_transfer.transfer(users.get_user("agency"), tid, "CD-RMYY-001", "属医院窗口",
                                 now=local(2026, 3, 3))
    with db():
        assert alert_delivery.send_pending().sent == 2
        assert alert_delivery.send_pending().sent == 0
        old = Session.scalars(sa.select(StaffAlert).where(StaffAlert.dedup_key == f"ticket:{tid}")).one()
        assert old.status == "withdrawn" and old.sent_at is None
        assert old.last_error == "督办单已于 2026-03-03 转办至窗口“门诊挂号收费处”（CD-RMYY-001），本提醒撤回未发"
    mail = _mail(smtp)
    assert [(to, "差评" in s, number in s) for to, s, _b in mail] == [
        ("old@sw.example.cn", True, False), ("new@rmyy.example.cn", False, True)]
    assert "由“综合办税窗口”转办" in mail[1][2]


def test_an_alert_sent_before_the_transfer_stays_sent(app, district, db, smtp):
    _contacts(db)
    tid, number = _ticket_queued(db)
    with db():
        assert alert_delivery.send_pending().sent == 2
    with db():
        ticket_transfer.transfer(users.get_user("office"), tid, "CD-RMYY-002", "错派",
                                 now=local(2026, 3, 3))
    with db():
        assert alert_delivery.send_pending().sent == 1
        states = dict(Session.execute(sa.select(StaffAlert.dedup_key, StaffAlert.status)).all())
        assert states[f"ticket:{tid}"] == "sent" and states[f"ticket:{tid}:round:2"] == "sent"
    assert [to for to, s, _b in _mail(smtp) if number in s] == [
        "old@sw.example.cn", "new@rmyy.example.cn"]


def test_a_second_transfer_withdraws_the_first_transfers_unsent_alert(app, district, db, smtp):
    _contacts(db)
    tid, number = _ticket_queued(db)
    with db():
        office = users.get_user("office")
        ticket_transfer.transfer(office, tid, "CD-RMYY-001", "属医院窗口", now=local(2026, 3, 3))
        ticket_transfer.transfer(office, tid, "CD-SW-002", "仍属税务", now=local(2026, 3, 4))
    with db():
        alert_delivery.send_pending()
        states = dict(Session.execute(sa.select(StaffAlert.dedup_key, StaffAlert.status)
                                      .where(StaffAlert.kind == "new_ticket")).all())
        assert states == {f"ticket:{tid}": "withdrawn", f"ticket:{tid}:round:2": "withdrawn",
                          f"ticket:{tid}:round:3": "sent"}
    assert [to for to, s, _b in _mail(smtp) if number in s] == ["old@sw.example.cn"]
