"""The five-level distribution (非常满意 … 非常不满意) shown with its WeChat and H5 rows wherever it
appears (issue 12, item 6): the rating report (page, Excel, PDF), the assessment's window page,
the API and the agency's quarterly report. A version published (or a report generated) before the
split was kept shows "—" in those rows, never an error. The sums path gives the rows path's split
(tests/analytics/test_assessment_sums.py)."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from analytics import snapshots
from analytics.assessment import parse_period
from feedback_api.models import AgencyReport, AssessmentSnapshotRow
from tests.admin_web.test_channel_split import Q3, _pdf_text, agency_report, rate_on_both_channels
from tests.assessment_helpers import publish_quarter, user


@pytest.fixture()
def rated(db, district):  # type: ignore[no-untyped-def]
    rate_on_both_channels(db)


# CD-SW-001 (see ``rate_on_both_channels``): WeChat 5, 5, 4, 1; H5 5, 3, 2.
WECHAT = {5: 2, 4: 1, 3: 0, 2: 0, 1: 1}
H5 = {5: 1, 4: 0, 3: 1, 2: 1, 1: 0}


def _rows(html: str) -> dict[str, list[str]]:
    """The rows of the page's five-level table by their heading cell."""
    table = re.search(r'<table class="grid compact" id="t-distribution">.*?<tbody>(.*?)</tbody>',
                      html, re.S)
    assert table is not None
    return {m[0]: re.findall(r"<td>(.*?)</td>", m[1])
            for m in re.findall(r"<tr><th>([^<]*)</th>(.*?)</tr>", table.group(1), re.S)}


def test_the_report_page_excel_and_pdf_split_the_levels(client, auth, db, rated):
    with db():
        publish_quarter()  # a unit reads published figures only
    auth.login("unit")
    html = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    assert _rows(html) == {"微信公众号": ["2", "1", "0", "0", "1", "4"],
                           "网页评价": ["1", "0", "1", "1", "0", "3"],
                           "合计": ["3", "1", "1", "1", "1", "7"]}
    unit = client.get(f"/reports/units/CD-SW?period={Q3}").get_data(as_text=True)
    assert _rows(unit)["网页评价"] == ["1", "1", "1", "1", "0", "4"]  # CD-SW-002's 4 on H5

    wb = load_workbook(io.BytesIO(client.get(
        f"/reports/windows/CD-SW-001/report.xlsx?period={Q3}").data))
    header, *levels = wb["评分分布"].iter_rows(values_only=True)
    assert header == ("评分", "等级", "条数", "微信公众号", "网页评价")
    assert {r[0]: r[2:] for r in levels} == {k: (WECHAT[k] + H5[k], WECHAT[k], H5[k])
                                             for k in (5, 4, 3, 2, 1)}

    text = _pdf_text(client.get(f"/reports/windows/CD-SW-001/report.pdf?period={Q3}").data)
    assert "条数31111微信公众号21001网页评价10110" in text


def test_the_assessment_window_page_and_the_api_split_the_levels(client, auth, rated, token_for):
    auth.login("office")
    page = client.get(f"/assessment/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    wechat = re.search(r"<dt>其中微信公众号</dt><dd>(.*?)</dd>", page, re.S)
    assert wechat is not None
    assert re.sub(r"<[^>]+>", " ", wechat.group(1)).split() == [
        "非常满意", "2", "满意", "1", "基本满意", "0", "不满意", "0", "非常不满意", "1"]
    body = client.get(f"/api/v1/assessments?period={Q3}&window=CD-SW-001",
                      headers=token_for("office")).get_json()
    (item,) = body["items"]
    assert item["distribution_wechat"] == {str(k): v for k, v in WECHAT.items()}
    assert item["distribution_h5"] == {str(k): v for k, v in H5.items()}
    spec = client.get("/api/v1/openapi.json").get_json()
    props = spec["components"]["schemas"]["WindowAssessment"]["properties"]
    assert "distribution_wechat" in props and "distribution_h5" in props


def test_a_published_version_keeps_the_split_and_one_stored_before_shows_a_dash(
        db, client, auth, rated):
    with db():
        snapshots.publish(user("office"), parse_period(Q3))
        sw1 = next(r for r in snapshots.stored(parse_period(Q3)).result.rows
                   if r.code == "CD-SW-001")
        assert (sw1.distribution_wechat, sw1.distribution_h5) == (WECHAT, H5)
    auth.login("office")
    html = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    assert "已发布 v1" in html and _rows(html)["微信公众号"] == ["2", "1", "0", "0", "1", "4"]
    with db() as s:  # as stored before the split was kept
        for row in s.scalars(sa.select(AssessmentSnapshotRow)):
            data = dict(row.data)
            data["assessment"] = {k: v for k, v in data["assessment"].items()
                                  if k not in ("distribution_wechat", "distribution_h5")}
            row.data = data
    html = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    assert _rows(html) == {"微信公众号": ["—"] * 6, "网页评价": ["—"] * 6,
                           "合计": ["3", "1", "1", "1", "1", "7"]}
    wb = load_workbook(io.BytesIO(client.get(
        f"/reports/windows/CD-SW-001/report.xlsx?period={Q3}").data))
    assert [r[2:] for r in wb["评分分布"].iter_rows(min_row=2, values_only=True)][0] == (3, "—", "—")
    text = _pdf_text(client.get(f"/reports/windows/CD-SW-001/report.pdf?period={Q3}").data)
    assert "条数31111微信公众号—————网页评价—————" in text
    page = client.get(f"/assessment/windows/CD-SW-001?period={Q3}")
    assert page.status_code == 200
    assert "<dt>其中微信公众号</dt><dd>—</dd>" in page.get_data(as_text=True)


def test_the_agency_report_splits_the_levels(db, client, auth, rated):
    url, html = agency_report(client, auth)
    # the district: CD-SW-001, CD-SW-002 (H5 4) and CD-RMYY-001 (WeChat 5)
    assert "表1（续） 五级评分（分渠道）" in html
    assert "<td>微信公众号</td><td>3</td><td>1</td><td>0</td><td>0</td><td>1</td><td>5</td>" in html
    assert "<td>网页评价</td><td>1</td><td>1</td><td>1</td><td>1</td><td>0</td><td>4</td>" in html
    with db() as s:  # a report generated before the split was kept
        report = s.scalars(sa.select(AgencyReport)).one()
        figures = dict(report.figures)
        figures["overview"] = {k: v for k, v in figures["overview"].items()
                               if k not in ("distribution_wechat", "distribution_h5")}
        report.figures = figures
    old = client.get(url)
    assert old.status_code == 200
    assert "<td>微信公众号</td>" + "<td>—</td>" * 6 in old.get_data(as_text=True)
