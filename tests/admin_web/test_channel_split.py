"""The counts staff read show the ratings from WeChat and from H5 apart (issue 12, item 6): the
assessment table and window page, the rating report (page, Excel, PDF), the dashboard, the
agency's quarterly report and the API; the two add up to the count. A version published before
the channels were kept shows "—" for them, never an error."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from analytics import snapshots
from analytics.assessment import parse_period
from feedback_api.models import AssessmentSnapshotRow
from tests.assessment_helpers import add_feedback, publish_quarter, user

Q3 = "2026Q3"


def rate_on_both_channels(db) -> None:  # type: ignore[no-untyped-def]
    with db():
        add_feedback("CD-SW-001", [5, 5, 4, 1], channel="wechat")
        add_feedback("CD-SW-001", [5, 3, 2], channel="h5")
        add_feedback("CD-SW-002", [4], channel="h5")
        add_feedback("CD-RMYY-001", [5], channel="wechat")


@pytest.fixture()
def rated(db, district):
    rate_on_both_channels(db)


def td_cells(html: str, code: str) -> list[str]:
    """The text of the cells of the table row that links window ``code``."""
    for tr in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        if f">{code}</a>" in tr:
            return [" ".join(re.sub(r"<[^>]+>", " ", c).split())
                    for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
    raise AssertionError(f"no row for {code}")


def _published_before_the_split(db) -> None:
    """Publish Q3, then make its stored rows as a version stored before the channels were kept."""
    with db():
        snapshots.publish(user("office"), parse_period(Q3))
    with db() as s:
        for row in s.scalars(sa.select(AssessmentSnapshotRow)):
            data = dict(row.data)
            data["assessment"] = {k: v for k, v in data["assessment"].items()
                                  if k not in ("ratings_wechat", "ratings_h5")}
            data["trend"] = [month[:4] for month in data["trend"]]
            row.data = data


def _pdf_text(data: bytes) -> str:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))


def test_the_assessment_table_and_window_page_split_the_count(client, auth, rated):
    auth.login("office")
    html = client.get(f"/assessment/?period={Q3}").get_data(as_text=True)
    # columns: 区内排名 行业排名 窗口 行业 计分评价 微信公众号 网页评价 ...
    assert "<th>计分评价</th><th>微信公众号</th><th>网页评价</th>" in html
    assert td_cells(html, "CD-SW-001")[4:7] == ["7", "4", "3"]
    assert td_cells(html, "CD-SW-002")[4:7] == ["1", "0", "1"]
    page = client.get(f"/assessment/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    assert "7 条（微信公众号 4 条、网页评价 3 条）" in page


def test_the_rating_report_splits_the_count_on_the_page_and_in_excel_and_pdf(client, auth, db,
                                                                             rated):
    with db():
        publish_quarter()  # a unit reads published figures only
    auth.login("unit")
    html = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    assert "<dt>计分评价数</dt><dd>7</dd><dt>其中微信公众号</dt><dd>4</dd><dt>其中网页评价</dt><dd>3</dd>" in html
    assert "<td>8月</td><td>7</td><td>4</td><td>3</td>" in html  # the monthly trend
    unit = client.get(f"/reports/units/CD-SW?period={Q3}").get_data(as_text=True)
    assert "<dd>8</dd><dt>其中微信公众号</dt><dd>4</dd><dt>其中网页评价</dt><dd>4</dd>" in unit

    wb = load_workbook(io.BytesIO(client.get(
        f"/reports/windows/CD-SW-001/report.xlsx?period={Q3}").data))
    facts = {r[0]: r[1] for r in wb["概况"].iter_rows(min_row=2, values_only=True) if r and r[0]}
    assert (facts["计分评价数"], facts["其中微信公众号"], facts["其中网页评价"]) == (7, 4, 3)
    header, *months = wb["月度趋势"].iter_rows(values_only=True)
    assert header[:4] == ("月份", "计分评价", "微信公众号", "网页评价")
    assert [m[:4] for m in months] == [("7月", 0, 0, 0), ("8月", 7, 4, 3), ("9月", 0, 0, 0)]

    text = _pdf_text(client.get(f"/reports/windows/CD-SW-001/report.pdf?period={Q3}").data)
    assert "计分评价数7" in text and "其中微信公众号4" in text and "其中网页评价3" in text
    assert "月份计分评价微信公众号网页评价平均分差评" in text and "8月743" in text


def test_a_published_report_keeps_the_split(app, db, client, auth, rated):
    with db():
        snapshots.publish(user("office"), parse_period(Q3))
        rows = snapshots.stored(parse_period(Q3)).result.rows
        sw1 = next(r for r in rows if r.code == "CD-SW-001")
        assert (sw1.ratings, sw1.ratings_wechat, sw1.ratings_h5) == (7, 4, 3)
    auth.login("unit")
    html = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    assert "已发布 v1" in html
    assert "<dt>其中微信公众号</dt><dd>4</dd><dt>其中网页评价</dt><dd>3</dd>" in html
    assert "<td>8月</td><td>7</td><td>4</td><td>3</td>" in html


def test_the_dashboard_and_the_api_split_the_count(client, auth, rated, token_for):
    auth.login("office")
    html = client.get(f"/dashboard/?period={Q3}").get_data(as_text=True)
    assert "<b>9</b><span>计分评价（微信公众号 5 · 网页评价 4）</span>" in html
    body = client.get(f"/api/v1/assessments?period={Q3}&window=CD-SW-001",
                      headers=token_for("office")).get_json()
    (item,) = body["items"]
    assert (item["ratings"], item["ratings_wechat"], item["ratings_h5"]) == (7, 4, 3)


def agency_report(client, auth) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The agency generates its Q3 report: the report page's address and HTML."""
    auth.login("agency")
    resp = client.post("/agency-reports/", data={"period": Q3,
                                                 "csrf_token": auth.csrf_token("/agency-reports/")})
    assert resp.status_code == 302
    return resp.headers["Location"], client.get(resp.headers["Location"]).get_data(as_text=True)


def test_the_agency_report_splits_the_count(app, client, auth, rated):
    _, html = agency_report(client, auth)
    assert "<td>计分评价（条）</td><td>9</td>" in html
    assert "<td>其中微信公众号（条）</td><td>5</td>" in html
    assert "<td>其中网页评价（条）</td><td>4</td>" in html
    assert "收到计分评价 9 条（微信公众号 5 条、网页评价 4 条）" in html
    assert "7（4/3）" in html  # the best windows' table: the count (WeChat/H5)


def test_a_version_published_before_the_split_shows_a_dash(app, db, client, auth, rated):
    _published_before_the_split(db)
    auth.login("office")
    html = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    assert "<dt>计分评价数</dt><dd>7</dd><dt>其中微信公众号</dt><dd>—</dd><dt>其中网页评价</dt><dd>—</dd>" in html
    assert "<td>8月</td><td>7</td><td>—</td><td>—</td>" in html
    wb = load_workbook(io.BytesIO(client.get(
        f"/reports/windows/CD-SW-001/report.xlsx?period={Q3}").data))
    facts = {r[0]: r[1] for r in wb["概况"].iter_rows(min_row=2, values_only=True) if r and r[0]}
    assert (facts["计分评价数"], facts["其中微信公众号"], facts["其中网页评价"]) == (7, "—", "—")
    text = _pdf_text(client.get(f"/reports/windows/CD-SW-001/report.pdf?period={Q3}").data)
    assert "其中微信公众号—" in text and "8月7——" in text
    table = client.get(f"/assessment/?period={Q3}").get_data(as_text=True)
    assert td_cells(table, "CD-SW-001")[4:7] == ["7", "—", "—"]
    page = client.get(f"/assessment/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    assert "7 条（微信公众号 — 条、网页评价 — 条）" in page
    dash = client.get(f"/dashboard/?period={Q3}").get_data(as_text=True)
    assert "<b>9</b><span>计分评价（微信公众号 — · 网页评价 —）</span>" in dash
    # The API reads the published version too: null where it kept no split.
    with db():
        from feedback_api.services import users
        raw = users.create_token(None, users.get_user("office"), "test")
    body = client.get(f"/api/v1/assessments?period={Q3}&window=CD-SW-001",
                      headers={"Authorization": f"Bearer {raw}"}).get_json()
    item = body["items"][0]
    assert (item["ratings"], item["ratings_wechat"], item["ratings_h5"]) == (7, None, None)
