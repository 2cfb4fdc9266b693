"""End to end in a real browser (Debian's chromium): the reviewer's and the unit's main tasks.
The agency opens a ticket from a 差评, the unit responds with an evidence picture, the agency
sends it back, the unit responds again, the agency verifies."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import EvidenceFile, Ticket, Window
from feedback_api.services.feedback import record_feedback
from tests.admin_web.test_browser import _sign_in, live_server, page, pytestmark  # noqa: F401
from wechat_bot.contacts import get_or_create_citizen

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _as(page, base, user):  # noqa: F811
    page.context.clear_cookies()
    _sign_in(page, base, user)
    page.wait_for_selector("text=概况")


def test_agency_and_unit_close_a_ticket_over_two_rounds(live_server, page, db, district, tmp_path):  # noqa: F811
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        fid = record_feedback(window, citizen=get_or_create_citizen("oBrowser0000000000000001"),
                              channel="wechat", rating=1, text="窗口人员态度很差").feedback.id
    photo = tmp_path / "整改照片.png"
    photo.write_bytes(PNG)

    # The reviewer opens a ticket from the feedback.
    _as(page, live_server, "agency")
    page.goto(f"{live_server}/feedback/{fid}")
    page.click("text=据此开督办单")
    page.select_option("select[name=topic]", "attitude")
    page.fill("textarea[name=problem]", "请核实窗口人员服务态度问题并整改")
    page.click("button:has-text('开督办单')")
    page.wait_for_selector("text=已开督办单")
    ticket_url = page.url
    with db():
        number = Session.scalars(sa.select(Ticket.number)).one()

    # The unit finds it in its inbox and responds with a picture.
    _as(page, live_server, "unit")
    page.click("nav >> text=待办督办")
    page.click(f"text={number}")
    page.fill("textarea[name=text]", "已批评教育当事人")
    page.set_input_files("input[name=files]", str(photo))
    page.click("button:has-text('提交整改情况')")
    page.wait_for_selector("text=整改情况已提交")
    link = page.locator("a:has-text('整改照片.png')")
    picture = page.request.get(live_server + link.get_attribute("href"))
    assert picture.status == 200 and picture.headers["content-type"] == "image/png"
    assert picture.body() == PNG

    # The agency sends it back with a reason: round 2 opens.
    _as(page, live_server, "agency")
    page.goto(ticket_url)
    page.fill("textarea[name=reason]", "未说明如何避免再次发生")
    page.click("button:has-text('退回重办')")
    page.wait_for_selector("text=已退回，第 2 轮督办")

    # The unit responds again; the agency verifies and the ticket closes.
    _as(page, live_server, "unit")
    page.goto(ticket_url)
    page.fill("textarea[name=text]", "已调整排班并开展服务礼仪培训")
    page.click("button:has-text('提交整改情况')")
    page.wait_for_selector("text=整改情况已提交")
    _as(page, live_server, "agency")
    page.goto(ticket_url)
    page.click("button:has-text('核验通过')")
    page.wait_for_selector("text=已核验办结")
    page.screenshot(path=str(tmp_path / "ticket.png"), full_page=True)

    with db():
        ticket = Session.scalars(sa.select(Ticket)).one()
        assert ticket.state == "closed"
        assert [(r.number, r.verdict, r.response_text) for r in ticket.rounds] == [
            (1, "sent_back", "已批评教育当事人"), (2, "verified", "已调整排班并开展服务礼仪培训")]
        [evidence] = Session.scalars(sa.select(EvidenceFile)).all()
        assert evidence.round_id == ticket.rounds[0].id and evidence.original_name == "整改照片.png"


def test_a_second_click_while_waiting_sends_the_form_once(live_server, page, db, district,  # noqa: F811
                                                          monkeypatch):
    """On a busy server staff click again while the page still waits: one ticket, not two."""
    from feedback_api.services import ticket_open

    opened = ticket_open.open_ticket

    def busy(*args, **kwargs):  # the server answers after a second, as when it is loaded
        time.sleep(1)
        return opened(*args, **kwargs)

    monkeypatch.setattr(ticket_open, "open_ticket", busy)
    _as(page, live_server, "office")
    page.goto(f"{live_server}/tickets/new")
    page.fill("input[name=window]", "CD-SW-001")
    page.select_option("select[name=topic]", "attitude")
    page.fill("textarea[name=problem]", "只开一张督办单😀")
    posts = []
    page.on("request", lambda r: r.method == "POST" and posts.append(r.url))
    page.evaluate("""() => { const b = document.querySelector('main button[type=submit]');
                             b.click(); setTimeout(() => b.click(), 300); }""")
    page.wait_for_selector("text=只开一张督办单😀")
    assert len(posts) == 1  # the browser sent the form once
    # Back to the form with the browser's button: sending it again on purpose still works, once
    # confirmed: the page shows the window's running ticket on the topic and asks 仍然新建.
    page.go_back()
    page.wait_for_selector("textarea[name=problem]")
    page.fill("textarea[name=problem]", "第二张督办单")
    page.click("main button[type=submit]")
    page.wait_for_selector("#duplicates >> text=已有未办结的督办单")
    with db():
        assert Session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
    page.click("main button:has-text('仍然新建')")
    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    page.wait_for_selector(".pre >> text=第二张督办单")
    with db():
        assert sorted(Session.scalars(sa.select(Ticket.problem))) == ["只开一张督办单😀", "第二张督办单"]


def test_the_units_inbox_shows_how_close_each_deadline_is(live_server, page, db, district):  # noqa: F811
    """In the browser the inbox's clocks read in words and in colour: amber, red, plain."""
    from tests.admin_web.test_ticket_deadlines import _three

    numbers = _three(db)
    _as(page, live_server, "unit")
    page.click("nav >> text=待办督办")
    page.wait_for_selector(f"text={numbers['plain']}")

    def row(key):
        return page.locator("table.grid tbody tr", has_text=numbers[key])

    amber = row("amber").locator(".clock-amber")
    red = row("red").locator(".clock-red")
    assert amber.inner_text() == "即将到期（剩 1 个工作日）" and amber.is_visible()
    assert red.inner_text() == "已超期" and red.is_visible()
    assert row("plain").locator(".clock").count() == 0
    background = "el => getComputedStyle(el).backgroundColor"
    plain_cell = row("plain").locator("td").nth(6)
    colours = {amber.evaluate(background), red.evaluate(background), plain_cell.evaluate(background)}
    assert len(colours) == 3  # amber, red and plain differ to the eye as well
