"""The delisting rules count within a calendar year (自然年): the pages say so, never 一年内 (which
reads as any twelve months)."""

from __future__ import annotations

from tests.assessment_helpers import inspection


def test_the_proposals_page_names_the_calendar_year(client, auth, db, titled_district):
    with db():
        for q in (1, 2):
            inspection("CD-SW-002", 2026, q, passed=False)
    auth.login("office")
    page = client.get("/assessment/delisting?year=2026").get_data(as_text=True)
    assert "规则 1：自然年内三次季度综合检查不合格" in page
    assert "一年内" not in page
    assert "规则均在同一自然年度内判断（当年命名的窗口自命名之日起计）" in page
    assert "预警" in page  # the early warning names the rule in the same words
    assert page.count("自然年内三次季度综合检查不合格") == 2
