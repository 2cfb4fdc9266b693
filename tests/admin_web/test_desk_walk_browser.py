"""A reviewer's morning at the desk in a real browser (Debian's chromium): from the home page to
the queue, a review saved returns to the queue where it was, and one ticket for two complaints
asks before a second running ticket on the window and topic (wave 13 walkthrough)."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import Feedback, Ticket
from tests.admin_web.test_browser import CHROMIUM, live_server, page, pytestmark  # noqa: F401
from tests.admin_web.test_desk_pages import _seed
from tests.admin_web.test_tickets_browser import _as


def test_a_reviewer_works_through_the_queue(live_server, page, db, district):  # noqa: F811
    ids = _seed(db)
    _as(page, live_server, "agency")
    page.click("a:has-text('去审核')")
    page.select_option("select[name=sort]", "uncertain")
    page.fill("input[name=window]", "CD-SW-001")
    page.click("button:has-text('筛选')")
    page.wait_for_selector("text=共 3 条")
    page.click(f"a:has-text('{ids['b'][1]}')")
    page.select_option("select[name=valid]", "1")
    page.click("button:has-text('保存审核')")
    page.wait_for_selector("text=审核已保存")
    assert "/feedback?" in page.url and "sort=uncertain" in page.url and "window=CD-SW-001" in page.url
    assert page.input_value("input[name=window]") == "CD-SW-001"
    page.wait_for_selector("text=共 2 条")  # still the pending queue, less the one reviewed
    with db() as s:
        assert s.get(Feedback, ids["b"][0]).review_state == "valid"

    # A ticket on the window and topic is running; one ticket for two more complaints asks first.
    page.check(f"input[name=ids][value='{ids['a'][0]}']")
    page.click("button:has-text('合并开一张督办单')")
    page.wait_for_selector("text=已开督办单")
    page.goto(f"{live_server}/feedback?review_state=pending&sort=uncertain")
    page.check(f"input[name=ids][value='{ids['c'][0]}']")
    page.select_option("select[aria-label=督办问题类别]", "attitude")
    page.click("button:has-text('合并开一张督办单')")
    page.wait_for_selector("text=仍然新建")
    assert page.is_checked(f"input[name=ids][value='{ids['c'][0]}']")
    assert page.input_value("select[aria-label=督办问题类别]") == "attitude"
    page.check("input[name=force]")
    page.click("button:has-text('合并开一张督办单')")
    page.wait_for_selector("text=已开督办单")
    with db() as s:
        assert s.scalar(sa.select(sa.func.count(Ticket.id))) == 2
