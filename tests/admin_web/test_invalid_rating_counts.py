"""A rating the agency marks invalid (无效) leaves the home page's and the window page's rating
counts, as it leaves the quarterly assessment: the pages count by the assessment's one filter of
counted ratings (``counted_feedback``), and marking it valid again brings it back."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient

from analytics.assessment import assess
from analytics.periods import Period
from feedback_api.models import User, Window
from feedback_api.services import citizens, overview
from feedback_api.services.feedback import record_feedback
from tests.conftest import AuthActions

Q3 = Period("quarter", 2026, 3)
AT = datetime(2026, 8, 10, 2, 0, tzinfo=UTC)


def seed(db) -> dict[str, int]:
    """Five ratings of CD-SW-001 by five citizens; returns feedback ids by a name."""
    ids = {}
    with db() as s:
        window = s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        for n, (name, channel, rating) in enumerate((
                ("w5", "wechat", 5), ("w1", "wechat", 1), ("h5", "h5", 5), ("h4", "h5", 4),
                ("h2", "h5", 2))):
            citizen = citizens.create_citizen(citizens.pseudonym_for(f"o-invalid-{n}"))
            ids[name] = record_feedback(window, citizen=citizen, channel=channel, rating=rating,
                                        received_at=AT + timedelta(minutes=n)).feedback.id
    return ids


def cells(html: str, label: str) -> list[str]:
    row = re.search(rf"<tr><th>{label}</th>(.*?)</tr>", html, re.S)
    assert row, f"no row {label}"
    return re.findall(r"<td>(.*?)</td>", row.group(1))


def signed_in(app, username: str) -> tuple[FlaskClient, AuthActions]:
    client = app.test_client()
    auth = AuthActions(client)
    auth.login(username)
    return client, auth


def review(app, feedback_id: int, valid: str) -> None:
    """The agency's review form on the feedback page, as staff mark a rating (in)valid."""
    client, auth = signed_in(app, "agency")
    page = f"/feedback/{feedback_id}"
    resp = client.post(page, data={"csrf_token": auth.csrf_token(page), "valid": valid,
                                   "sentiment": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)


def office_reads(app) -> tuple[str, str]:
    client, _auth = signed_in(app, "office")
    return (client.get("/").get_data(as_text=True),
            client.get("/windows/CD-SW-001").get_data(as_text=True))


def test_an_invalid_rating_leaves_the_pages_counts_as_it_leaves_the_assessment(
        app, db, district):
    ids = seed(db)
    review(app, ids["w1"], "0")
    review(app, ids["h4"], "0")

    home, window = office_reads(app)
    # columns: 有效评分 平均分 差评 — the WeChat 1 and the H5 4 are out.
    assert cells(home, "微信公众号") == ["1", "5.00", "0"]
    assert cells(home, "网页评价") == ["2", "3.50", "1"]
    # columns: 非常满意 满意 基本满意 不满意 非常不满意 合计
    assert cells(window, "微信公众号") == ["1", "0", "0", "0", "0", "1"]
    assert cells(window, "网页评价") == ["1", "0", "0", "1", "0", "2"]
    assert cells(window, "合计") == ["2", "0", "0", "1", "0", "3"]

    with db() as s:
        office = s.scalars(sa.select(User).where(User.username == "office")).one()
        summary = overview.rating_summary(office)
        window_id = s.scalars(sa.select(Window.id).where(Window.code == "CD-SW-001")).one()
        counts = overview.rating_counts(window_id)
        by_channel = overview.rating_counts_by_channel(window_id)
        row = next(r for r in assess(Q3).rows if r.code == "CD-SW-001")
        # The pages and the quarter's assessment count the same ratings.
        assert (summary.total, summary.bad) == (row.ratings, row.distribution[1] + row.distribution[2])
        assert {k: v for k, v in row.distribution.items() if v} == counts == {5: 2, 2: 1}
        assert by_channel == {"wechat": {5: 1}, "h5": {5: 1, 2: 1}}
        assert row.ratings_wechat == 1

    review(app, ids["w1"], "1")  # valid again: it counts again
    home, window = office_reads(app)
    assert cells(home, "微信公众号") == ["2", "3.00", "1"]
    assert cells(window, "合计") == ["2", "0", "0", "1", "1", "4"]
