"""The home page says the period of each figure, and shows a unit its running supervision
tickets (how many, how many overdue, a link to its inbox), counted within its scope."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Window
from feedback_api.services import ticket_open, users
from feedback_api.services.feedback import record_feedback
from tests.conftest import AuthActions
from wechat_bot.contacts import get_or_create_citizen


def _ticket(db, code: str, openid: str, opened: datetime) -> None:
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
        fid = record_feedback(window, citizen=get_or_create_citizen(openid), channel="wechat",
                              rating=1, text="排队太久", received_at=opened).feedback.id
        ticket_open.open_from_feedback(users.get_user("agency"), fid, now=opened)


def _home(app, name: str) -> str:
    client = app.test_client()
    assert AuthActions(client).login(name).status_code == 302
    return client.get("/").get_data(as_text=True)


def test_the_units_home_shows_its_running_tickets_and_the_period_of_each_figure(app, db, district):
    now = datetime.now(UTC)
    _ticket(db, "CD-SW-001", "oHome000000000000000000001", now - timedelta(days=40))  # overdue
    _ticket(db, "CD-SW-001", "oHome000000000000000000002", now)
    _ticket(db, "CD-RMYY-001", "oHome000000000000000000003", now - timedelta(days=40))  # not its
    page = _home(app, "unit")
    box = re.search(r'<section class="card home-tickets">(.*?)</section>', page, re.S)
    assert box, page
    text = re.sub(r"<[^>]+>", "", box.group(1))
    assert "在办督办单 2 件" in text and "其中超期 1 件" in text
    assert 'href="/tickets/inbox"' in box.group(1)
    # Each figure says its period: windows now, ratings since the start.
    assert "窗口（当前）" in page and "评分（累计，全部时间）" in page
    # The office sees the district's running tickets, linked to its desk.
    page = _home(app, "office")
    text = re.sub(r"<[^>]+>", "", re.search(r'<section class="card home-tickets">(.*?)</section>',
                                            page, re.S).group(1))
    # Split by whose lateness (the call-backs are not marked late yet: no job ran).
    assert "在办督办单 3 件" in text and "其中整改超期 2 件、回访超期 0 件" in text, text
    assert 'href="/tickets?state=active"' in page


def test_a_unit_without_running_tickets_is_told_so(app, db, district):
    page = _home(app, "unit")
    assert "在办督办单 0 件" in re.sub(r"<[^>]+>", "", page)
