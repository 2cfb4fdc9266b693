"""End to end in a real browser (Debian's chromium): an authority submits a recommendation with
an attachment, the office accepts it and assigns an expert, the expert scores it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from feedback_api.models import ExpertAssignment, Submission
from feedback_api.services import cycle as svc
from feedback_api.services import users
from tests.admin_web.test_browser import _sign_in, live_server, page, pytestmark  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_authority_recommends_and_expert_scores(live_server, page, db, district, tmp_path):  # noqa: F811
    today = svc.local_today()
    with db():
        users.create_user(None, "expert1", role="expert", password="expert1-password",
                          display_name="评审专家甲")
        days = [today + timedelta(days=n) for n in (-10, 5, 6, 20, 21, 50)]
        svc.create_cycle(users.get_user("office"), today.year, dates={
            "recommendation": (days[0], days[1]), "review": (days[2], days[3]),
            "publicity": (days[4], days[5])})
    attachment = tmp_path / "推荐材料.pdf"
    attachment.write_bytes(PDF)

    _sign_in(page, live_server, "authority")
    page.click("nav >> text=年度创建")
    page.click("a.button:has-text('行业推荐表')")
    page.select_option("select[name=window]", "CD-RMYY-001")
    page.fill("textarea[name=reasons]", "预约诊疗全覆盖")
    page.fill("textarea[name=features]", "一站式结算")
    page.fill("textarea[name=self_assessment]", "对照测评标准逐项达标")
    page.fill("input[name=self_score]", "93")
    page.fill("input[name=contact_person]", "医政科")
    page.fill("input[name=contact_phone]", "0571-88000000")
    page.fill("textarea[name=endorsement]", "同意推荐")
    page.set_input_files("input[name=attachments]", str(attachment))
    page.click("button[value=submit]")
    page.wait_for_selector("text=已提交")
    # expect() waits for the page to show it: count() alone read it once and raced the load.
    expect(page.locator("a:has-text('推荐材料.pdf')")).to_have_count(1)

    with db() as s:
        sub = s.scalars(sa.select(Submission)).one()
        assert (sub.state, sub.late, sub.window.code) == ("submitted", False, "CD-RMYY-001")
        svc.accept(users.get_user("office"), sub)
        svc.assign_expert(users.get_user("office"), sub, users.get_user("expert1"))

    page.context.clear_cookies()
    _sign_in(page, live_server, "expert1")
    page.click("nav >> text=年度创建")
    page.click("text=我的评审")
    page.click("text=城东区人民医院 门诊挂号收费处")
    # One field per indicator of the year's standard (the default: 15,15,15,10,15,10,10,10 points).
    points = ["13.5", "13", "14", "9", "15", "8", "9", "7"]
    # The click starts the navigation; count the fields once the scoring page has them.
    page.wait_for_selector("input[name^=indicator_]")
    fields = page.locator("input[name^=indicator_]")
    assert fields.count() == len(points)
    for i, value in enumerate(points):
        fields.nth(i).fill(value)
    page.fill("textarea[name=comment]", "特色鲜明")
    page.click("button:has-text('保存评分')")
    page.wait_for_selector("text=评分已保存")
    assert "88.5" in page.locator("table.grid").inner_text()
    with db() as s:
        a = s.scalars(sa.select(ExpertAssignment)).one()
        assert (a.total, a.items["服务态度"], a.items["信息公开"], a.comment) == (
            88.5, 13.5, 7.0, "特色鲜明")


def test_expert_changes_a_score_stored_with_finer_points(live_server, page, db, district):  # noqa: F811
    """Points the service accepts (13.2, as the API or the demo store them) do not stop the
    browser from saving the form again: the fields take any number the server takes."""
    from tests.cycle_helpers import scored_recommendation

    with db():
        _programme, sub = scored_recommendation(svc.local_today().year)
        svc.score(users.get_user("expert1"), sub,
                  {"服务态度": 13.2, "办事效率": 13.2, "业务能力": 13.2, "环境设施": 8.8,
                   "廉洁诚信": 13.2, "制度流程": 8.8, "便民措施": 8.8, "信息公开": 8.8})
        sub_id = sub.id
    _sign_in(page, live_server, "expert1")
    page.goto(f"{live_server}/cycle/submissions/{sub_id}")
    page.fill("input[name=indicator_1]", "14")
    page.click("button:has-text('保存评分')")
    page.wait_for_selector("text=评分已保存", timeout=5000)
    with db() as s:
        a = s.scalars(sa.select(ExpertAssignment)).one()
        assert (a.items["服务态度"], a.items["办事效率"], a.total) == (14.0, 13.2, 88.8)
