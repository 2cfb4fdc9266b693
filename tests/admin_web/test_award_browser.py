"""The office's publicity and award in a real browser (Debian's chromium): the scored candidate
goes on publicity from the page, and once the period is over the title is given only after the
office says yes to the browser's question (the award cannot be undone)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from feedback_api.models import Publicity, PublicityEntry, Window
from feedback_api.services import cycle as svc
from tests.admin_web.test_browser import _sign_in, answer_dialogs, live_server, page, pytestmark  # noqa: F401
from tests.cycle_helpers import scored_recommendation


def test_the_office_publicizes_and_awards_after_saying_yes(live_server, page, db, district):  # noqa: F811
    today = svc.local_today()
    with db():
        programme, _sub = scored_recommendation(today.year)
    asked, answer = answer_dialogs(page)
    _sign_in(page, live_server, "office")
    page.wait_for_selector("text=概况")
    page.goto(f"{live_server}/cycle/{today.year}/publicity")
    page.fill("input[name=starts_on]", today.isoformat())
    page.fill("input[name=ends_on]", (today + timedelta(days=7)).isoformat())
    page.fill("textarea[name=notice]", "公示期内如有异议，请向区联席办反映")
    page.click("button:has-text('发布公示')")
    page.wait_for_selector("text=公示已发布")
    assert "公示中" in page.locator("section.card").first.inner_text()
    assert page.locator("button:has-text('命名为示范窗口')").count() == 0  # not before it ends

    with db() as s:  # the week goes by
        p = s.scalars(sa.select(Publicity)).one()
        p.starts_on, p.ends_on = today - timedelta(days=8), today - timedelta(days=1)
    page.reload()
    page.click("button:has-text('命名为示范窗口')")
    page.wait_for_timeout(500)
    assert asked and "门诊挂号收费处" in asked[0] and "示范窗口" in asked[0]
    with db() as s:
        assert s.scalars(sa.select(PublicityEntry)).one().awarded_on is None
        assert s.scalars(sa.select(Window).where(Window.code == "CD-RMYY-001")).one().status == (
            "candidate")
    answer["yes"] = True
    page.click("button:has-text('命名为示范窗口')")
    page.wait_for_selector(f"text=门诊挂号收费处 已命名为 {today.year} 年度示范窗口")
    assert "已命名" in page.locator("table.grid").first.inner_text()
    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-RMYY-001")).one()
        assert (w.status, w.status_year) == ("demonstration", today.year)
    # The title is on the public page; nothing is left to publicize.
    page.goto(f"{live_server}/public")
    assert "门诊挂号收费处" in page.content()
    page.goto(f"{live_server}/cycle/{today.year}/publicity")
    assert "尚无已评分的候选窗口" in page.content()
