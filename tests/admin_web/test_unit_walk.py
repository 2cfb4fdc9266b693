"""Defects found walking the platform as a window unit's staff (use16), each pinned here: the home
page says what waits for the unit, a unit without windows is told why its pages are empty, and
the unit's forms and downloads read as the rest of the platform does."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Ticket, Window
from feedback_api.services import ticket_loop, ticket_open, units, users
from feedback_api.services.feedback import record_feedback
from tests.conftest import AuthActions
from wechat_bot.contacts import get_or_create_citizen


def _client(app, name: str, password: str | None = None):
    client = app.test_client()
    assert AuthActions(client).login(name, password).status_code == 302
    return client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _ticket(db, openid: str, opened: datetime, code: str = "CD-SW-001") -> int:
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
        fid = record_feedback(window, citizen=get_or_create_citizen(openid), channel="wechat",
                              rating=1, text="排队太久", received_at=opened).feedback.id
        return ticket_open.open_from_feedback(users.get_user("agency"), fid, now=opened).id


def test_the_units_home_says_what_waits_for_it_and_the_nearest_deadline(app, db, district):
    """The home page said "在办督办单 3 件" without saying that one of them was the agency's to
    verify, nor when the next one was due: the unit had to open its inbox to know what to do."""
    now = datetime.now(UTC)
    _ticket(db, "oWalk0000000000000000000001", now - timedelta(days=40))  # overdue, unanswered
    fresh = _ticket(db, "oWalk0000000000000000000002", now)
    answered = _ticket(db, "oWalk0000000000000000000003", now)
    _ticket(db, "oWalk0000000000000000000004", now - timedelta(days=2), code="CD-RMYY-001")
    with db() as s:
        ticket_loop.respond(users.get_user("unit"), answered, "已提醒窗口人员", now=now)
        due = s.get(Ticket, fresh).fix_due
    box = re.search(r'<section class="card home-tickets">(.*?)</section>',
                    _client(app, "unit").get("/").get_data(as_text=True), re.S)
    assert box
    text = _text(box.group(1))
    assert "在办督办单 3 件" in text and "其中超期 1 件" in text, text
    assert "待本单位整改 2 件" in text and f"最近截止 {due:%Y-%m-%d}" in text, text
    assert "待第三方机构核验 1 件" in text, text


def test_a_unit_without_windows_is_told_why_and_whom_to_ask(app, db, district):
    """A unit whose windows were not registered yet saw a home page of zeros and empty tables,
    with nothing saying why."""
    with db():
        units.ensure_unit(None, name="城东区新设单位", code="CD-NEW", industry="tax",
                          authority="城东区税务局")
        users.create_user(None, "unit-new", role="unit", password="unit-new-password",
                          scopes=["CD-NEW"])
    page = _client(app, "unit-new").get("/").get_data(as_text=True)
    notice = re.search(r'<section class="card notice no-windows">(.*?)</section>', page, re.S)
    assert notice, page
    text = _text(notice.group(1))
    assert "尚未登记窗口" in text and "城东区新设单位" in text, text
    assert "行业主管部门" in text and "区联席办" in text, text
    # A unit with windows is not told so.
    assert "no-windows" not in _client(app, "unit").get("/").get_data(as_text=True)


def test_an_appeal_of_an_unknown_kind_says_so_and_keeps_the_reason(app, db, district):
    """A stale or edited form's 申诉类型 was refused without a word: the page came back as if
    nothing had been submitted."""
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        fid = record_feedback(window, citizen=get_or_create_citizen("oWalk0000000000000000000005"),
                              channel="wechat", rating=1, text="态度差").feedback.id
    client = _client(app, "unit")
    path = f"/appeals/new?feedback={fid}"
    resp = client.post(path, data={"kind": "spite", "reason": "同一人一天内连续差评😀",
                                   "csrf_token": AuthActions(client).csrf_token(path)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert re.search(r'<span class="field-error">所选项无效</span>', html), html
    assert "同一人一天内连续差评😀" in html
    assert "flash-error" in html and "提交未成功" in html


def test_an_unpublished_quarter_points_the_unit_to_the_latest_published_ones(app, db, district):
    """In a quarter not yet published a unit read 本季度考核结果尚未发布 and nothing else: the
    quarter the office had published was there, but only by typing its code into the field."""
    from analytics import snapshots
    from analytics.periods import current_quarter, previous

    last = previous(current_quarter())
    with db():
        snapshots.publish(users.get_user("office"), last)
    client = _client(app, "unit")
    for path, target in (("/assessment/", "/assessment/?period="),
                         ("/reports/", "/reports/?period=")):
        html = client.get(path).get_data(as_text=True)
        assert "本季度考核结果尚未发布" in html, path
        links = re.search(r'<p class="published-periods">(.*?)</p>', html, re.S)
        assert links, (path, html)
        assert f'href="{target}{last.code}"' in links.group(1) and last.label in links.group(1)
    # Nothing published yet: no such line.
    with db() as s:
        from feedback_api.models import AssessmentSnapshot, AssessmentSnapshotRow
        s.execute(sa.delete(AssessmentSnapshotRow))
        s.execute(sa.delete(AssessmentSnapshot))
    assert "published-periods" not in client.get("/reports/").get_data(as_text=True)


def test_the_unit_is_told_who_registers_its_alert_addresses(app, db, district):
    """The unit's 提醒邮箱 page showed 未登记 with no form and no word on how to change that."""
    html = _client(app, "unit").get("/alert-contacts").get_data(as_text=True)
    assert "<form method=\"post\" class=\"filters card\"" not in html  # the office keeps them
    text = _text(html)
    assert "提醒邮箱由区联席办登记" in text, text
    assert 'href="/profile"' in html and "绑定本人微信" in text


def test_the_window_page_leads_to_all_its_feedback_and_tickets(app, db, district):
    """The window page said 最新评价 共 N 条 and showed ten, with no way on to the others or to
    the window's tickets."""
    now = datetime.now(UTC)
    _ticket(db, "oWalk0000000000000000000006", now)
    _ticket(db, "oWalk0000000000000000000007", now, code="CD-SW-002")
    client = _client(app, "unit")
    page = client.get("/windows/CD-SW-001").get_data(as_text=True)
    assert 'href="/feedback?window=CD-SW-001"' in page and 'href="/tickets?window=CD-SW-001"' in page
    tickets = client.get("/tickets?window=CD-SW-001").get_data(as_text=True)
    assert "共 1 件" in _text(tickets) and "CD-SW-002" not in tickets.split("<tbody>")[1]
    feedback = client.get("/feedback?window=CD-SW-001").get_data(as_text=True)
    assert "共 1 条" in _text(feedback)
