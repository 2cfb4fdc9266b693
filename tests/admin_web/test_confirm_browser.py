"""Irreversible one-click decisions ask first, in a real browser (Debian's chromium): confirming a
delisting (摘牌: the title goes, the circulars are drafted) happens only after the office says
yes to the browser's question; saying no leaves the proposal open."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import DelistingProposal, Window
from feedback_api.services import delisting as proposals
from tests.admin_web.test_browser import _sign_in, answer_dialogs, live_server, page, pytestmark  # noqa: F401
from tests.assessment_helpers import window_id


def test_confirming_a_delisting_asks_first(live_server, page, db, titled_district):  # noqa: F811
    with db():
        proposals.propose(window_id("CD-SW-002"), 2026, 4, {"summary": "重大事件", "items": []})
    asked, answer = answer_dialogs(page)
    _sign_in(page, live_server, "office")
    page.wait_for_selector("text=概况")
    page.goto(f"{live_server}/assessment/delisting")
    page.click("button:has-text('确认摘牌')")
    page.wait_for_timeout(500)
    assert asked and "CD-SW-002" in asked[0] and "摘牌" in asked[0]
    with db() as s:
        assert s.scalars(sa.select(DelistingProposal)).one().state == "open"
    answer["yes"] = True
    page.click("button:has-text('确认摘牌')")
    page.wait_for_selector("text=已摘牌")
    with db() as s:
        assert s.scalars(sa.select(DelistingProposal)).one().state == "confirmed"
        assert s.get(Window, window_id("CD-SW-002")).status == "delisted"
