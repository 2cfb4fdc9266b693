"""The office puts a published quarter's scores on the public page from the assessment table (it
needed the command line): only the office, only a published quarter, and the page says how many
demonstration windows were shown and which had no score."""

from __future__ import annotations

import re

import sqlalchemy as sa

from analytics import snapshots
from analytics.assessment import Period
from feedback_api.models import PublishedSnapshot, Window
from tests.assessment_helpers import add_feedback, user
from tests.conftest import AuthActions

Q3 = Period("quarter", 2026, 3)


def _public_rows(db) -> set[str]:
    with db() as s:
        return set(s.scalars(sa.select(Window.code).join(PublishedSnapshot.window).where(
            PublishedSnapshot.kind == "assessment")))


def test_the_office_shows_a_published_quarter_on_the_public_page(app, db, client, auth, district):
    with db() as s:
        for w in s.scalars(sa.select(Window).where(Window.code.in_(["CD-SW-001", "CD-SW-002"]))):
            w.status, w.status_year = "demonstration", 2025
        add_feedback("CD-SW-001", [5] * 10)  # CD-SW-002 has no score this quarter
    auth.login("office")
    table = client.get("/assessment/?period=2026Q3").get_data(as_text=True)
    assert "在公开页面公布" not in table  # not published yet: nothing to show the public
    token = auth.csrf_token("/assessment/?period=2026Q3")
    refused = client.post("/assessment/publish-public", data={"period": "2026Q3",
                                                              "csrf_token": token},
                          follow_redirects=True)
    assert "尚未发布" in refused.get_data(as_text=True) and _public_rows(db) == set()
    with db():
        snapshots.publish(user("office"), Q3)
    table = client.get("/assessment/?period=2026Q3").get_data(as_text=True)
    assert "在公开页面公布" in table
    for who in ("agency", "authority", "unit"):
        other = AuthActions(app.test_client())
        other.login(who)
        assert "在公开页面公布" not in other.client.get("/assessment/?period=2026Q3").get_data(
            as_text=True)
        assert other.client.post("/assessment/publish-public", data={
            "period": "2026Q3", "csrf_token": other.csrf_token("/assessment/")}).status_code == 403
    done = client.post("/assessment/publish-public", data={"period": "2026Q3", "csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "已在公开页面公布 1 个示范窗口" in done and "本期无综合得分、未公布：CD-SW-002" in done
    assert _public_rows(db) == {"CD-SW-001"}
    public = client.get("/public").get_data(as_text=True)
    assert re.search(r"<b>\d+(\.\d)?</b>", public)
    # A year is not a quarter: refused, said.
    year = client.post("/assessment/publish-public", data={"period": "2026", "csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "只发布季度考核结果" in year
