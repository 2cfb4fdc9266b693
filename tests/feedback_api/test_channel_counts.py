"""Counts that mix channels show WeChat and H5 ratings apart (issue 12, item 6)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from feedback_api.models import User, Window
from feedback_api.services import citizens, overview
from feedback_api.services.feedback import record_feedback


def seed(db) -> int:
    with db() as s:
        window = s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        for n, (channel, rating) in enumerate((("wechat", 5), ("wechat", 1), ("h5", 5),
                                               ("h5", 4), ("h5", 2))):
            citizen = citizens.create_citizen(citizens.pseudonym_for(f"o-counts-{n}"))
            record_feedback(window, citizen=citizen, channel=channel, rating=rating)
        return window.id


def test_the_overview_counts_split_by_channel(db, district):
    window_id = seed(db)
    with db() as s:
        office = s.scalars(sa.select(User).where(User.username == "office")).one()
        summary = overview.rating_summary(office)
        assert (summary.total, summary.bad) == (5, 2)
        assert summary.average == 17 / 5
        assert {c: (r.total, r.average, r.bad) for c, r in summary.by_channel.items()} == {
            "wechat": (2, 3.0, 1), "h5": (3, 11 / 3, 1)}
        assert overview.rating_counts_by_channel(window_id) == {
            "wechat": {5: 1, 1: 1}, "h5": {5: 1, 4: 1, 2: 1}}
        assert overview.rating_counts(window_id) == {5: 2, 4: 1, 2: 1, 1: 1}


def cells(html: str, label: str) -> list[str]:
    row = re.search(rf"<tr><th>{label}</th>(.*?)</tr>", html, re.S)
    assert row, f"no row {label}"
    return re.findall(r"<td>(.*?)</td>", row.group(1))


def test_the_window_page_and_the_home_page_show_the_channels_apart(client, auth, db, district):
    seed(db)
    auth.login("office")
    window = client.get("/windows/CD-SW-001").get_data(as_text=True)
    # columns: 非常满意 满意 基本满意 不满意 非常不满意 合计
    assert cells(window, "微信公众号") == ["1", "0", "0", "0", "1", "2"]
    assert cells(window, "网页评价") == ["1", "1", "0", "1", "0", "3"]
    assert cells(window, "合计") == ["2", "1", "0", "1", "1", "5"]
    home = client.get("/").get_data(as_text=True)
    # columns: 有效评分 平均分 差评
    assert cells(home, "微信公众号") == ["2", "3.00", "1"]
    assert cells(home, "网页评价") == ["3", "3.67", "1"]


def test_the_opinion_summary_splits_by_channel(db, district):
    from feedback_api.db import utcnow
    from feedback_api.models import Feedback
    from feedback_api.services import opinions

    window_id = seed(db)
    with db() as s:
        for item in s.scalars(sa.select(Feedback)):
            item.text, item.analyzed_at = "意见", utcnow()
            item.sentiment = 0.1 if item.rating <= 2 else 0.9
    with db():
        summary = opinions.opinion_summary(window_id)
        assert (summary.analyzed, summary.complaints) == (5, 2)
        assert summary.by_channel == {"wechat": (2, 1), "h5": (3, 1)}


def test_the_window_page_shows_the_opinions_per_channel(client, auth, db, district):
    from feedback_api.db import utcnow
    from feedback_api.models import Feedback

    seed(db)
    with db() as s:
        for item in s.scalars(sa.select(Feedback)):
            item.text, item.analyzed_at = "意见", utcnow()
            item.sentiment = 0.1 if item.rating <= 2 else 0.9
    auth.login("office")
    page = client.get("/windows/CD-SW-001").get_data(as_text=True)
    assert "微信公众号 2 条、投诉 1 条；网页评价 3 条、投诉 1 条" in page
