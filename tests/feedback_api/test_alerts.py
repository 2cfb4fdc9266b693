"""E-mail alerts to units through a real SMTP server on loopback (aiosmtpd): each 差评 and new
ticket once, the daily digest, retries when the server is away, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from feedback_api.config import ConfigError, load_config
from feedback_api.db import Session
from feedback_api.models import StaffAlert, Unit, Window
from feedback_api.services import alert_contacts, alert_delivery, ticket_jobs, ticket_open, tickets, users
from feedback_api.services.errors import PermissionDenied, ValidationError
from feedback_api.services.feedback import record_feedback
from tests.loopback import free_port
from tests.mail import Inbox, body, subject
from wechat_bot.contacts import get_or_create_citizen

SH = ZoneInfo("Asia/Shanghai")


def setup_unit(db) -> None:
    with db():
        unit = Session.scalars(sa.select(Unit).where(Unit.code == "CD-SW")).one()
        alert_contacts.add_contact(None, unit, "zhang@sw.example.cn", "张科长")
        alert_contacts.add_contact(None, unit, "li@sw.example.cn")


def bad_review(db, text=None, openid="oAlert0000000000000000001") -> int:
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        return record_feedback(window, citizen=get_or_create_citizen(openid), channel="wechat",
                               rating=1, text=text).feedback.id


def test_a_bad_review_and_its_ticket_are_mailed_once(app, district, db, smtp):
    setup_unit(db)
    fid = bad_review(db, text="窗口人员态度差，电话13812345678")
    with db():
        assert ticket_jobs.send_alerts().startswith("1 alerts queued; 1 alerts sent")
    with db():  # analysed: masked text and topic, then the ticket opens
        from feedback_api.models import Feedback

        item = Session.get(Feedback, fid)
        item.masked_text, item.analyzed_at, item.sentiment = "窗口人员态度差，电话[电话]", item.received_at, 0.1
        ticket_jobs.auto_open()
    with db():
        assert ticket_jobs.send_alerts().startswith("1 alerts queued; 1 alerts sent")
    with db():
        assert ticket_jobs.send_alerts().startswith("0 alerts queued; 0 alerts sent")
    assert len(smtp.messages) == 2
    (to1, first), (to2, second) = smtp.messages
    assert to1 == to2 == ["zhang@sw.example.cn", "li@sw.example.cn"]
    assert "差评提醒" in subject(first) and "督办单" in subject(second)
    with db():
        ticket = tickets.ticket_of_feedback(fid)
        assert ticket.number in subject(second) and ticket.number in body(second)
    # Units read masked opinions only: the unmasked text is not mailed before masking.
    assert "13812345678" not in body(first) and "待脱敏" in body(first)
    assert "13812345678" not in body(second) and "[电话]" in body(second)


def test_the_daily_digest_lists_what_is_due(app, district, db, smtp):
    setup_unit(db)
    fid = bad_review(db)
    with db():
        number = ticket_open.open_from_feedback(users.get_user("agency"), fid).number
    with db():
        assert ticket_jobs.send_digest().startswith("1 digests queued; 1 alerts sent")
        assert ticket_jobs.send_digest().startswith("0 digests queued")  # once a day
    [(to, msg)] = smtp.messages
    assert "每日督办提醒" in subject(msg) and "1 件督办单待整改" in body(msg)
    assert number in body(msg) and "未到期" in body(msg)


def test_alerts_wait_while_the_server_is_away_and_are_sent_later(
        app, district, db, monkeypatch, smtp_server):
    setup_unit(db)
    bad_review(db)
    port = free_port()  # nobody listens there
    monkeypatch.setitem(app.config, "WW_SMTP_URL", f"smtp://127.0.0.1:{port}?from=a@ww.example.cn")
    with db():
        assert "0 alerts sent, 1 to retry" in ticket_jobs.send_alerts()
    with db():
        [alert] = Session.scalars(sa.select(StaffAlert)).all()
        assert alert.status == "pending" and alert.attempts == 1 and alert.last_error
    inbox = smtp_server(Inbox())
    with db():
        report = alert_delivery.send_pending(now=datetime.now(UTC) + timedelta(minutes=6))
        assert report.sent == 1
    assert len(inbox.messages) == 1


def test_without_smtp_alerts_are_queued_and_wait(app, district, db, monkeypatch):
    monkeypatch.setitem(app.config, "WW_SMTP_URL", "")
    setup_unit(db)
    bad_review(db)
    with db():
        assert ticket_jobs.send_alerts() == "1 alerts queued; not sent: WW_SMTP_URL is not set"
    with db():
        assert Session.scalar(sa.select(StaffAlert.status)) == "pending"


def test_contacts_and_smtp_url_are_checked(app, district, db, monkeypatch):
    with db():
        unit = Session.scalars(sa.select(Unit).where(Unit.code == "CD-SW")).one()
        with pytest.raises(ValidationError, match="格式不正确"):
            alert_contacts.add_contact(None, unit, "not an address")
        with pytest.raises(PermissionDenied, match="只有区联席办"):
            alert_contacts.add_contact(users.get_user("unit"), unit, "x@sw.example.cn")
    base = {"WW_ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": "sqlite://"}
    monkeypatch.setenv("WW_SMTP_URL", "http://mail.example.cn")
    with pytest.raises(ConfigError, match="smtp://"):
        load_config(base)
    monkeypatch.setenv("WW_SMTP_URL", "smtps://alerts%40ww.example.cn:p%40ss@mail.example.cn")
    cfg = alert_delivery.parse_smtp_url(load_config(base)["WW_SMTP_URL"])
    assert (cfg.port, cfg.ssl, cfg.sender, cfg.password) == (465, True, "alerts@ww.example.cn", "p@ss")


def test_contact_and_alerts_commands(app, runner, district, db, smtp):
    result = runner.invoke(args=["tickets", "contact", "CD-SW", "wang@sw.example.cn", "--name", "王主任"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["tickets", "contact", "NOPE", "wang@sw.example.cn"])
    assert result.exit_code == 1 and "单位不存在" in result.output
    bad_review(db)
    result = runner.invoke(args=["tickets", "alerts"])
    assert result.exit_code == 0 and "1 alerts sent" in result.output
    [(to, _)] = smtp.messages
    assert to == ["wang@sw.example.cn"]
    assert runner.invoke(args=["tickets", "digest"]).exit_code == 0
