"""The unit's daily digest counts as 已超期 what its lines show 超期: a round past its deadline
unanswered (before the half-hourly job marks it), not a ticket whose earlier round was late and
whose current round is still in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import StaffAlert, Unit, Window
from feedback_api.services import alert_contacts, alerts, ticket_loop, ticket_open, users
from feedback_api.services.feedback import record_feedback
from wechat_bot.contacts import get_or_create_citizen

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=SH).astimezone(UTC)  # a Monday


def _ticket(db, openid: str, opened: datetime) -> int:
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        fid = record_feedback(window, citizen=get_or_create_citizen(openid), channel="wechat",
                              rating=1, received_at=opened).feedback.id
        return ticket_open.open_from_feedback(users.get_user("agency"), fid, now=opened).id


def _digest(db) -> str:
    with db():
        unit = Session.scalars(sa.select(Unit).where(Unit.code == "CD-SW")).one()
        alert_contacts.add_contact(None, unit, "zhang@sw.example.cn")
        assert alerts.queue_digest(now=NOW) == 1
        # (a send-back also queued its own alert at once: the digest is the one of kind digest)
        return Session.scalars(sa.select(StaffAlert.body).where(StaffAlert.kind == "digest")).one()


def test_a_round_past_its_deadline_counts_before_the_job_marks_it(app, district, db):
    _ticket(db, "oDigest000000000000000001", NOW - timedelta(days=40))
    body = _digest(db)
    assert "超期" in body.split("：", 1)[1]  # its line
    assert "其中 1 件已超期" in body


def test_a_late_earlier_round_does_not_make_the_current_one_overdue(app, district, db):
    tid = _ticket(db, "oDigest000000000000000002", NOW - timedelta(days=40))
    with db():
        agency, unit = users.get_user("agency"), users.get_user("unit")
        ticket_loop.respond(unit, tid, "已整改", now=NOW - timedelta(days=1))  # late: marked
        ticket_loop.send_back(agency, tid, "未附照片", now=NOW - timedelta(days=1))
    body = _digest(db)
    assert "未到期" in body and "已超期" not in body
