"""Layout defects found walking the staff's pages in chromium (qa3): what only a browser shows."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Window
from feedback_api.services import ticket_open, users
from feedback_api.services.feedback import record_feedback
from tests.admin_web.test_browser import _sign_in, live_server, page, pytestmark  # noqa: F401
from wechat_bot.contacts import get_or_create_citizen


def test_the_office_menu_and_the_call_back_form_read_at_a_desktop_width(
        live_server, page, db, district):  # noqa: F811
    """At 1280 px the office's fifteen menu entries broke inside their words (首/页, 窗口台/账),
    and the call-back time sat inline beside its label while every other field is a block; at a
    phone's width the ticket page ran off the screen."""
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        fid = record_feedback(window, citizen=get_or_create_citizen("oWalk00000000000000000001"),
                              channel="wechat", rating=1, text="窗口人员态度很差").feedback.id
        ticket = ticket_open.open_from_feedback(users.get_user("agency"), fid)
        ticket_id = ticket.id
    _sign_in(page, live_server, "office")
    page.wait_for_selector("text=概况")
    links = page.locator(".topbar nav a")
    assert links.count() >= 14
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.topbar nav a')).lineHeight)")
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box is not None and box["height"] < 1.5 * line, links.nth(i).inner_text()
    # Nothing runs off the page's right edge.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    page.context.clear_cookies()
    _sign_in(page, live_server, "agency")
    page.wait_for_selector("text=概况")
    page.goto(f"{live_server}/tickets/{ticket_id}")
    called_at = page.locator("input[name=called_at]")
    label = page.locator("label", has=called_at)
    assert called_at.evaluate("e => getComputedStyle(e).display") == "block"
    assert called_at.bounding_box()["y"] > label.bounding_box()["y"] + 10  # below its label text

    # A unit alerted on WeChat opens the ticket on its phone: the page keeps the screen's width
    # (long receipt numbers wrap, the linked feedback table scrolls by itself).
    page.set_viewport_size({"width": 375, "height": 740})
    page.context.clear_cookies()
    _sign_in(page, live_server, "unit")
    page.wait_for_selector("text=概况")
    for path in (f"/tickets/{ticket_id}", "/tickets/inbox", "/feedback"):
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
