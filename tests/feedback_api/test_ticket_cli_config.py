"""The `window-watch tickets` commands, the ticket jobs on the scheduler, and the ticket
settings read from the environment."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from analytics import scheduler
from feedback_api.config import ConfigError, load_config
from feedback_api.db import Session
from feedback_api.models import Appeal, CalendarDay, Feedback, Ticket, Window
from feedback_api.services import opinions, ticket_loop, ticket_open, tickets, users
from feedback_api.services.feedback import record_feedback
from wechat_bot.contacts import get_or_create_citizen

SH = ZoneInfo("Asia/Shanghai")
BASE = {"WW_ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": "sqlite://"}


def bad_review(db, openid="oCli000000000000000000001", received_at=None, text=None) -> int:
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        return record_feedback(window, citizen=get_or_create_citizen(openid), channel="wechat",
                               rating=2, text=text, received_at=received_at).feedback.id


def test_auto_open_and_mark_overdue_commands(runner, db, district):
    fid = bad_review(db)
    old = bad_review(db, "oCli000000000000000000002",
                     received_at=datetime.now(UTC) - timedelta(days=60))
    result = runner.invoke(args=["tickets", "auto-open"])
    assert result.exit_code == 0 and "1 tickets opened" in result.output
    assert "0 tickets opened" in runner.invoke(args=["tickets", "auto-open"]).output
    with db():
        assert tickets.ticket_of_feedback(fid) is not None
        assert tickets.ticket_of_feedback(old) is None  # history does not flood the units
        tid = tickets.ticket_of_feedback(fid).id
        Session.get(Ticket, tid).rounds[0].due = date.today() - timedelta(days=2)
        Session.get(Ticket, tid).callback_due = date.today() - timedelta(days=2)
    result = runner.invoke(args=["tickets", "mark-overdue"])
    assert result.exit_code == 0 and "1 rounds and 1 call-backs" in result.output
    assert "0 rounds and 0 call-backs" in runner.invoke(args=["tickets", "mark-overdue"]).output
    with db():
        assert Session.get(Ticket, tid).overdue


def test_repeated_and_holiday_commands(runner, db, district):
    start = datetime(2026, 6, 1, 10, tzinfo=SH).astimezone(UTC)
    fid = bad_review(db, received_at=start)
    with db():
        agency, unit = users.get_user("agency"), users.get_user("unit")
        ticket = ticket_open.open_from_feedback(agency, fid, now=start)
        for _ in range(3):
            ticket_loop.respond(unit, ticket.id, "已整改", now=start)
            ticket_loop.send_back(agency, ticket.id, "未整改到位", now=start)
        number = ticket.number
    result = runner.invoke(args=["tickets", "repeated"])
    assert result.exit_code == 0
    assert f"CD-SW-001\t{number}\t1,2,3" in result.output
    result = runner.invoke(args=["tickets", "holiday", "2027-02-08", "--holiday", "--name", "春节"])
    assert result.exit_code == 0
    with db():
        row = Session.get(CalendarDay, date(2027, 2, 8))
        assert row is not None and not row.workday and row.name == "春节"
    result = runner.invoke(args=["tickets", "holiday", "2027-02-30", "--holiday"])
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.output


def test_the_scheduler_runs_the_ticket_jobs(app):
    jobs = {j.id for j in scheduler.all_jobs(app)}
    assert {"tickets-auto-open", "tickets-mark-overdue"} <= jobs


def test_ticket_settings_come_from_the_environment(monkeypatch):
    config = load_config(BASE)
    assert (config["WW_CALLBACK_WORKDAYS"], config["WW_FIX_WORKDAYS"],
            config["WW_APPEAL_WORKDAYS"], config["WW_TICKET_GROUP_DAYS"]) == (1, 15, 5, 0)
    monkeypatch.setenv("WW_FIX_WORKDAYS", "10")
    monkeypatch.setenv("WW_TICKET_NEGATIVE_BELOW", "0.1")
    monkeypatch.setenv("WW_TICKET_GROUP_DAYS", "30")
    config = load_config(BASE)
    assert config["WW_FIX_WORKDAYS"] == 10 and config["WW_TICKET_NEGATIVE_BELOW"] == 0.1
    assert config["WW_TICKET_GROUP_DAYS"] == 30


@pytest.mark.parametrize("name, value, message", [
    ("WW_FIX_WORKDAYS", "0", "between 1 and 120"),
    ("WW_FIX_WORKDAYS", "two weeks", "must be an integer"),
    ("WW_APPEAL_WORKDAYS", "-1", "between 1 and 60"),
    ("WW_TICKET_NEGATIVE_BELOW", "0.7", "below 0.5"),
    ("WW_TICKET_NEGATIVE_BELOW", "low", "must be a number"),
    ("WW_EVIDENCE_MAX_MB", "100", "between 1 and 15"),
    ("WW_TICKET_GROUP_DAYS", "-1", "between 0 and 3650"),
])
def test_bad_ticket_settings_are_refused(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_config(BASE)


def test_an_upheld_appeal_leaves_the_window_page_and_the_opinion_summary(app, client, auth, db, district):
    fid = bad_review(db, text="工作人员态度恶劣")
    with db():
        item = Session.get(Feedback, fid)
        item.sentiment, item.analyzed_at, item.keywords = 0.05, item.received_at, ["态度恶劣"]
        item.topics = [{"topic": "attitude", "confidence": 0.9}]
        window_id = item.window_id
    auth.login("office")
    page = client.get("/windows/CD-SW-001").get_data(as_text=True)
    assert re.search(r"<b>(\d+)</b><span>不满意</span>", page).group(1) == "1"
    with db():
        assert opinions.opinion_summary(window_id).complaints == 1
        Session.add(Appeal(feedback_id=fid, kind="malicious", reason="x", state="upheld",
                           decision_reason="属实"))
        Session.get(Feedback, fid).rating_counts = False  # as decide_appeal does
    with db():
        summary = opinions.opinion_summary(window_id)
        assert (summary.analyzed, summary.complaints) == (0, 0)
    page = client.get("/windows/CD-SW-001").get_data(as_text=True)
    assert re.search(r"<b>(\d+)</b><span>不满意</span>", page).group(1) == "0"
