"""The ticket walked in a real browser (Debian's chromium) by the people who meet it: the unit
answers with proof (a refused file first, its text kept), and two agency clerks check it at once:
the one whose page still shows the first round is stopped, reads the second, then verifies."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import FeedbackAnswer, Ticket, Window
from feedback_api.services import ticket_loop, ticket_open, users
from feedback_api.services.feedback import record_feedback
from tests.admin_web.test_browser import CHROMIUM, _sign_in, live_server, page, pytestmark  # noqa: F401
from tests.admin_web.test_tickets_browser import _as
from wechat_bot.contacts import get_or_create_citizen

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_unit_answers_with_proof_and_two_clerks_check_it(live_server, page, db, district, tmp_path):  # noqa: F811
    with db():
        users.create_user(None, "agency2", role="agency", password="agency2-password", scopes=[])
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        fid = record_feedback(window, citizen=get_or_create_citizen("oWalk00000000000000000001"),
                              channel="wechat", rating=1, text="窗口人员态度很差").feedback.id
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid).id
    url = f"{live_server}/tickets/{tid}"
    fake = tmp_path / "整改照片.png"
    fake.write_bytes(b"MZ\x90\x00 not a picture")
    proof = tmp_path / "整改报告.pdf"
    proof.write_bytes(PDF)

    # The unit answers; a file that is no picture is refused and what it typed stays.
    _as(page, live_server, "unit")
    page.goto(url)
    page.fill("textarea[name=text]", "已批评教育当事人并组织服务礼仪培训")
    page.set_input_files("input[name=files]", str(fake))
    page.click("button:has-text('提交整改情况')")
    page.wait_for_selector("text=提交未成功")
    assert "不是图片" in page.content()
    assert page.input_value("textarea[name=text]") == "已批评教育当事人并组织服务礼仪培训"
    page.set_input_files("input[name=files]", str(proof))
    page.click("button:has-text('提交整改情况')")
    page.wait_for_selector("text=整改情况已提交")
    assert page.locator("a:has-text('整改报告.pdf')").count() == 1

    # Two agency clerks open the ticket at once.
    _as(page, live_server, "agency")
    page.goto(url)
    other = page.context.browser.new_context(locale="zh-CN")
    colleague = other.new_page()
    _sign_in(colleague, live_server, "agency2")
    colleague.wait_for_selector("text=概况")
    colleague.goto(url)
    colleague.fill("textarea[name=reason]", "第一轮整改到位")
    # One sends it back; the unit answers round 2 meanwhile.
    page.fill("textarea[name=reason]", "请补充整改前后对比照片")
    page.click("button:has-text('退回重办')")
    page.wait_for_selector("text=已退回，第 2 轮督办")
    with db():
        ticket_loop.respond(users.get_user("unit"), tid, "第二轮：已补充对比照片")
    # The other's page still shows round 1: its verification is stopped, round 2 shown.
    colleague.click("button:has-text('核验通过')")
    colleague.wait_for_selector("text=提交未成功")
    assert "该督办单已进入第 2 轮" in colleague.content()
    assert "第二轮：已补充对比照片" in colleague.content()
    with db():
        assert Session.get(Ticket, tid).state == "responded"
        assert Session.scalar(sa.select(sa.func.count()).select_from(FeedbackAnswer)) == 0
    colleague.fill("textarea[name=reason]", "对比照片齐全，整改到位")
    colleague.click("button:has-text('核验通过')")
    colleague.wait_for_selector("text=已核验办结")
    other.close()
    with db():
        assert Session.get(Ticket, tid).state == "closed"
        assert Session.scalars(sa.select(FeedbackAnswer.text)).all() == ["第二轮：已补充对比照片"]
