"""Dashboards (数据看板): the office sees the district, an authority its industry only (in the page
and in the JSON), the tables hold the assessment's numbers, and every page loads its scripts and
styles from this site only."""

from __future__ import annotations

import hashlib
import html as htmllib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest

from analytics import assessment, delisting
from tests.assessment_helpers import add_feedback, inspection, publish_quarter
from tests.conftest import AuthActions

Q2, Q3 = "2026Q2", "2026Q3"
MAY = datetime(2026, 5, 12, 3, tzinfo=UTC)
TAX_NAMES = ("CD-SW", "综合办税窗口", "发票领用窗口", "城东区税务局")


@pytest.fixture()
def scored(db, titled_district):
    """Two quarters of ratings in both industries; a tax window with three failed inspections
    (a delisting proposal), a health window with two (an early warning)."""
    with db():
        add_feedback("CD-SW-001", [5] * 10 + [4] * 4 + [1] * 2)
        add_feedback("CD-SW-001", [3] * 4 + [5] * 2, at=MAY)
        add_feedback("CD-SW-002", [4] * 6 + [2])
        add_feedback("CD-RMYY-001", [5] * 4 + [1])
        add_feedback("CD-RMYY-001", [2] * 3 + [4], at=MAY)
        add_feedback("CD-RMYY-002", [3] * 5)
        inspection("CD-SW-001", 2026, 3)
        for quarter in (1, 2, 3):
            inspection("CD-SW-002", 2026, quarter, passed=False)
        for quarter in (2, 3):
            inspection("CD-RMYY-002", 2026, quarter, passed=False)
    with db():
        delisting.evaluate(2026)


@pytest.fixture()
def published(db, scored):
    """Q2 and Q3 published: authorities and units read published figures only."""
    with db():
        publish_quarter(Q2)
        publish_quarter(Q3)


def _ranking(html: str) -> dict[str, list[str]]:
    """The ranking table's cells by window code."""
    table = re.search(r'<table class="grid compact" id="t-ranking">(.*?)</table>', html, re.S)
    assert table
    rows = {}
    for tr in re.findall(r'<tr data-code="([^"]+)">(.*?)</tr>', table.group(1), re.S):
        cells = [re.sub(r"<[^>]+>", " ", c) for c in re.findall(r"<td>(.*?)</td>", tr[1], re.S)]
        rows[tr[0]] = [" ".join(c.split()) for c in cells]
    return rows


def _data(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)
    assert block
    return json.loads(block.group(1))


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def test_the_office_sees_every_window_with_the_assessments_numbers(app, client, auth, scored):
    auth.login("office")
    html = client.get(f"/dashboard/?period={Q3}").get_data(as_text=True)
    rows, data = _ranking(html), _data(html)
    with app.app_context():
        q3 = {r.code: r for r in assessment.assess(assessment.parse_period(Q3)).rows}
        q2 = {r.code: r for r in assessment.assess(assessment.parse_period(Q2)).rows}
    assert set(rows) == set(q3) == {"CD-SW-001", "CD-SW-002", "CD-RMYY-001", "CD-RMYY-002"}
    assert [w["code"] for w in data["windows"]] == list(rows)  # same order as the table
    for w in data["windows"]:
        r = q3[w["code"]]
        cells = rows[w["code"]]
        assert cells[0] == str(r.rank_district or "—")
        assert cells[1] == (f"{r.rank_industry}/{r.industry_ranked}" if r.rank_industry else "—")
        assert cells[4:8] == [_fmt(c.value) for c in r.components]
        assert cells[8] == ("—" if r.deduction is None else f"−{r.deduction:g}" if r.deduction else "0")
        assert cells[9] == _fmt(r.composite)
        assert w["composite"] == (None if r.composite is None else round(r.composite, 1))
        assert w["rank_district"] == r.rank_district
        assert w["components"] == {c.key: None if c.value is None else round(c.value, 1)
                                   for c in r.components}
        if r.composite is not None:  # the stacked bar adds up to the composite
            assert sum(v for v in w["contributions"].values() if v) == pytest.approx(r.composite, abs=0.03)
        assert w["url"] == f"/reports/windows/{w['code']}?period={Q3}"
        # The trend's last two quarters are the assessment's, and the change between them.
        old = q2[w["code"]].composite
        assert w["history"][-2:] == [None if old is None else round(old, 1),
                                     None if r.composite is None else round(r.composite, 1)]
        if old is not None and r.composite is not None:
            assert w["change"] == round(r.composite - old, 1)
    assert data["periods"] == ["2025年第四季度", "2026年第一季度", "2026年第二季度", "2026年第三季度"]
    scored_q3 = [r.composite for r in q3.values() if r.composite is not None]
    assert data["trend"][0]["name"] == "全部窗口"
    assert data["trend"][0]["values"][-1] == round(sum(scored_q3) / len(scored_q3), 1)
    assert {s["name"] for s in data["trend"]} == {"全部窗口", "税务", "卫生健康"}
    assert sum(b["count"] for b in data["bands"]) + data["unscored"] == 4
    assert sum(b["count"] for b in data["bands"]) == len(scored_q3)
    # The page's tables hold the same numbers.
    for band in data["bands"]:
        assert f"<td>{band['label']}</td><td>{band['count']}</td>" in html
    # Alerts: the tax window's proposal and the health window's early warning.
    kinds = {(a["code"], a["kind"]) for a in data["alerts"]}
    assert ("CD-SW-002", "proposal") in kinds and ("CD-RMYY-002", "warning") in kinds
    assert ("CD-SW-002", "inspection") in kinds
    assert "摘牌建议待确认" in html and "摘牌预警" in html
    # The JSON endpoint serves the same data.
    assert client.get(f"/dashboard/data.json?period={Q3}").get_json() == data


def test_the_office_narrows_the_district_to_one_industry(client, auth, scored):
    auth.login("office")
    html = client.get(f"/dashboard/?period={Q3}&industry=health").get_data(as_text=True)
    assert set(_ranking(html)) == {"CD-RMYY-001", "CD-RMYY-002"}
    assert not any(name in html for name in ("综合办税窗口", "CD-SW-00"))
    assert "数据看板 <small>卫生健康 ·" in html


@pytest.mark.parametrize("industry", ["", "tax", "health"])
def test_an_authority_never_sees_another_industrys_windows(client, auth, scored, published, industry):
    auth.login("authority")  # health
    html = client.get(f"/dashboard/?period={Q3}&industry={industry}").get_data(as_text=True)
    body = client.get(f"/dashboard/data.json?period={Q3}&industry={industry}").get_data(as_text=True)
    for text in (html, body):
        assert not any(name in text for name in TAX_NAMES), industry
    if industry != "tax":
        assert set(_ranking(html)) == {"CD-RMYY-001", "CD-RMYY-002"}
        data = json.loads(body)
        assert {a["code"] for a in data["alerts"]} <= {"CD-RMYY-001", "CD-RMYY-002"}
        assert ("CD-RMYY-002", "warning") in {(a["code"], a["kind"]) for a in data["alerts"]}
        assert [s["name"] for s in data["trend"]] == ["卫生健康"]
        # Its windows keep their district ranks (no other window is named).
        assert all(w["rank_district"] is not None for w in data["windows"])
    else:  # the industry filter stays inside the scope
        assert _ranking(html) == {} and json.loads(body)["windows"] == []
    assert 'name="industry"' not in html  # an authority has no industry to choose


def test_an_authority_of_two_industries_narrows_to_one(app, db, scored, published):
    from feedback_api.services import users
    with db():
        users.create_user(None, "two", role="authority", password="two-password",
                          scopes=["health", "tax"])
    client = app.test_client()
    AuthActions(client).login("two")
    html = client.get(f"/dashboard/?period={Q3}").get_data(as_text=True)
    assert len(_ranking(html)) == 4 and "卫生健康、税务" in html
    assert '<option value="tax" >税务</option>' in html and 'value="banking"' not in html
    html = client.get(f"/dashboard/?period={Q3}&industry=tax").get_data(as_text=True)
    assert set(_ranking(html)) == {"CD-SW-001", "CD-SW-002"} and "门诊挂号收费处" not in html


def test_a_unit_keeps_its_reports_and_an_expert_has_no_dashboard(app, client, auth, db, scored):
    auth.login("unit")
    resp = client.get("/dashboard/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/reports/")
    resp = client.get("/dashboard/data.json")
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    assert "数据看板" not in client.get("/reports/").get_data(as_text=True)
    from feedback_api.services import users
    with db():
        users.create_user(None, "expert", role="expert", password="expert-password")
    expert = app.test_client()
    AuthActions(expert).login("expert")
    assert expert.get("/dashboard/").status_code == 403
    assert expert.get("/dashboard/data.json").status_code == 403


def test_a_bad_period_is_explained(client, auth, district):
    auth.login("office")
    resp = client.get("/dashboard/data.json?period=2026Q7")
    assert resp.status_code == 400 and "季度 7 无效" in resp.get_json()["error"]["message"]
    page = client.get("/dashboard/?period=2026Q7")
    assert page.status_code == 200 and "季度 7 无效" in page.get_data(as_text=True)


def test_an_empty_district_shows_empty_tables(client, auth, district):
    auth.login("office")
    html = client.get("/dashboard/?period=2026-07").get_data(as_text=True)
    data = _data(html)
    assert [w["composite"] for w in data["windows"]] == [None] * 4
    assert data["unscored"] == 4 and data["alerts"] == [] and "没有告警" in html
    assert len(data["periods"]) == 6 and data["periods"][-1] == "2026年7月"


def test_the_report_pages_charts_hold_its_tables_numbers(client, auth, scored, published):
    auth.login("unit")
    html = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    block = re.search(r'<script type="application/json" id="report-charts">(.*?)</script>', html, re.S)
    assert block
    charts = json.loads(block.group(1))
    assert [(d["label"], d["count"]) for d in charts["distribution"]] == [
        ("非常满意", 10), ("满意", 4), ("基本满意", 0), ("不满意", 0), ("非常不满意", 2)]
    assert "<td>10</td><td>4</td><td>0</td><td>0</td><td>2</td><td>16</td>" in html
    for m in charts["months"]:
        mean = "—" if m["mean"] is None else f"{m['mean']:.2f}"
        assert (f"<td>{m['label']}</td><td>{m['ratings']}</td><td>{m['wechat']}</td>"
                f"<td>{m['h5']}</td><td>{mean}</td><td>{m['bad']}</td>") in html
    assert [m["ratings"] for m in charts["months"]] == [0, 16, 0]


SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
LINK_TAG = re.compile(r"<link\b([^>]*)>", re.I)
ATTR = re.compile(r'([\w-]+)="([^"]*)"')


def _same_origin(ref: str) -> bool:
    parts = urlsplit(htmllib.unescape(ref))
    return not parts.scheme and not parts.netloc and ref.startswith("/static/")


@pytest.mark.parametrize("user", ["office", "authority", "unit"])
def test_every_page_loads_scripts_and_styles_from_this_site_only(client, auth, scored, user):
    """Crawl the pages each user can reach: every script and stylesheet is one of our static
    files (no CDN); the only script without a source is a JSON data block, never run."""
    auth.login(user)
    seen, queue, pages = set(), ["/", f"/dashboard/?period={Q3}"], 0
    while queue and len(seen) < 80:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        resp = client.get(url)
        if resp.mimetype != "text/html" or resp.status_code != 200:
            continue
        pages += 1
        html = resp.get_data(as_text=True)
        for attrs in map(dict, (ATTR.findall(a) for a in SCRIPT.findall(html))):
            if "src" in attrs:
                assert _same_origin(attrs["src"]), (url, attrs)
            else:
                assert attrs.get("type") == "application/json", (url, attrs)
        for attrs in map(dict, (ATTR.findall(a) for a in LINK_TAG.findall(html))):
            if "stylesheet" in attrs.get("rel", "") or attrs.get("rel") in ("icon", "preload"):
                assert _same_origin(attrs["href"]), (url, attrs)
        assert "<style" not in html and ' style="' not in html, url
        for href in re.findall(r'href="([^"]+)"', html):
            href = urldefrag(htmllib.unescape(href))[0]
            if href.startswith("/") and not href.startswith(("/static/", "//")) and href not in seen:
                queue.append(href)
    assert pages > 5


def test_the_vendored_echarts_is_the_recorded_one(repo_root: Path):
    folder = repo_root / "admin_web" / "static" / "vendor" / "echarts"
    readme = (folder / "README.md").read_text(encoding="utf-8")
    recorded = re.search(r"`echarts.min.js` \| `([0-9a-f]{64})`", readme)
    assert recorded and "echarts 6.1.0" in readme
    assert hashlib.sha256((folder / "echarts.min.js").read_bytes()).hexdigest() == recorded.group(1)
    assert "Apache License" in (folder / "LICENSE").read_text(encoding="utf-8")
    assert (folder / "NOTICE").exists()
