"""The public page names a quarter as people say it (2026年第三季度), not by its code (2026Q3)."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import Window
from feedback_api.services import cycle as cycle_service
from feedback_api.services.public import period_label


def test_the_public_page_says_the_quarter_in_words(db, client, district):
    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        w.status, w.status_year = "demonstration", 2025
        cycle_service.publish_snapshot(None, kind="assessment", source="assessment:2026Q3:CD-SW-001",
                                       period="2026Q3", window=w,
                                       payload={"score": 91.5, "summary": "综合得分 91.5"})
    page = client.get("/public").get_data(as_text=True)
    assert "2026年第三季度 考核" in page and "2026Q3" not in page


def test_period_labels():
    assert [period_label(c) for c in ("2026Q1", "2026Q4", "2026-07", "2026", "其他")] == [
        "2026年第一季度", "2026年第四季度", "2026年7月", "2026年度", "其他"]


def test_the_label_is_the_assessments_own():
    from analytics.periods import parse_period

    for code in ("2026Q2", "2026-11", "2025"):
        assert period_label(code) == parse_period(code).label
