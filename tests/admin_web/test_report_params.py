"""Bad query parameters on the report and assessment downloads: a clear Chinese error, never
another period's file nor a 500."""

from __future__ import annotations

import pytest

from tests.assessment_helpers import add_feedback


@pytest.fixture
def rated(db, district):
    with db():
        add_feedback("CD-SW-001", [5, 4, 1])


@pytest.mark.parametrize("suffix", ["report.xlsx", "report.pdf", "report.docx"])
@pytest.mark.parametrize("period", ["2026Q5", "0", "明年", "2026-13"])
def test_a_report_download_with_a_bad_period_is_refused_in_chinese(client, auth, rated, suffix,
                                                                 period):
    auth.login("unit")
    for path in (f"/reports/windows/CD-SW-001/{suffix}", f"/reports/units/CD-SW/{suffix}"):
        resp = client.get(f"{path}?period={period}")
        assert resp.status_code == 400, path
        assert "Content-Disposition" not in resp.headers  # not some other quarter's file
        text = resp.get_data(as_text=True)
        assert "考核期" in text or "季度" in text or "月份" in text, text
    # No period is this quarter's, as the page shows: not published, the unit is told so.
    from analytics.assessment import current_quarter

    resp = client.get(f"/reports/windows/CD-SW-001/{suffix}")
    assert resp.status_code == 404 and "Content-Disposition" not in resp.headers
    assert f"本季度考核结果尚未发布（{current_quarter().label}）" in resp.get_data(as_text=True)


@pytest.mark.parametrize("industry", ['a"b\r\nX-Evil: 1', "space", "中文"])
def test_the_export_refuses_an_unknown_industry(client, auth, rated, industry):
    auth.login("office")
    resp = client.get("/assessment/export.xlsx", query_string={"period": "2026Q3",
                                                              "industry": industry})
    assert resp.status_code == 400
    assert "X-Evil" not in resp.headers and "Content-Disposition" not in resp.headers
    assert "行业" in resp.get_data(as_text=True)
    page = client.get("/assessment/", query_string={"period": "2026Q3", "industry": industry})
    assert page.status_code == 200
    assert "行业" in page.get_data(as_text=True) and "无效" in page.get_data(as_text=True)
    # The table is not silently emptied: the windows are listed as without the filter.
    assert "CD-SW-001" in page.get_data(as_text=True)
    ok = client.get("/assessment/export.xlsx", query_string={"period": "2026Q3",
                                                            "industry": "tax"})
    assert ok.status_code == 200


@pytest.mark.parametrize("action", ["publish", "recompute"])
def test_a_bad_posted_period_is_explained_on_the_table(client, auth, rated, action):
    auth.login("office")
    token = auth.csrf_token("/assessment/")
    resp = client.post(f"/assessment/{action}", data={"csrf_token": token, "period": "2026Q5",
                                                      "reason": "补录"}, follow_redirects=True)
    assert resp.status_code == 200
    assert "季度 5 无效" in resp.get_data(as_text=True)


def test_a_window_delisted_before_the_period_says_so_not_a_bare_404(client, auth, db, rated):
    from feedback_api.services import windows

    with db():
        windows.update_window(None, "CD-SW-002", {"status": "delisted", "status_date": "2026-03-01",
                                                  "status_reason": "测试"})
    from analytics import snapshots
    from analytics.assessment import Period
    from tests.assessment_helpers import user

    with db():  # units read published figures only
        snapshots.publish(user("office"), Period("quarter", 2026, 3))
    auth.login("unit")
    for path in ("/reports/windows/CD-SW-002?period=2026Q3",
                 "/assessment/windows/CD-SW-002?period=2026Q3"):
        resp = client.get(path)
        assert resp.status_code == 404, path
        assert "2026年第三季度已不在创建范围内" in resp.get_data(as_text=True), path
    # Another unit's window is still not found, whatever the period.
    resp = client.get("/reports/windows/CD-RMYY-001?period=2026Q3")
    assert resp.status_code == 404 and "创建范围" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/assessment/standard", "/assessment/inspections",
                                  "/assessment/covert", "/assessment/incidents"])
@pytest.mark.parametrize("year", ["0", "abc", "1999", "2026Q3"])
def test_a_bad_year_is_said_not_silently_replaced(client, auth, district, path, year):
    auth.login("office")
    resp = client.get(f"{path}?year={year}")
    assert resp.status_code == 200
    assert f"年度“{year}”无效" in resp.get_data(as_text=True)


def test_the_standard_is_not_saved_under_another_year_than_asked(client, auth, db, district):
    import sqlalchemy as sa

    from feedback_api.models import Standard
    from tests.assessment_helpers import standard_form

    auth.login("office")
    client.get("/assessment/standard?year=2026")  # the office's page stores the year's standard
    data, _rows = standard_form(auth, db, 2026)
    data["weight_feedback"] = "77"
    resp = client.post("/assessment/standard?year=20277", data=data, follow_redirects=True)
    assert "年度“20277”无效" in resp.get_data(as_text=True)
    with db() as s:
        assert s.scalar(sa.select(Standard.weight_feedback).where(Standard.year == 2026)) != 77


@pytest.mark.parametrize("suffix", ["xlsx", "pdf", "docx"])
def test_a_live_reports_file_name_says_so_and_a_published_ones_does_not(client, auth, db, rated,
                                                                       suffix):
    from analytics import snapshots
    from analytics.assessment import Period
    from feedback_api.services.workdays import local_today
    from tests.admin_web.test_downloads import saved_name
    from tests.assessment_helpers import user

    auth.login("office")  # live figures are the office's and the agency's
    path = f"/reports/windows/CD-SW-001/report.{suffix}?period=2026Q3"
    live = client.get(path)
    stamp = f"{local_today():%Y%m%d}"
    assert saved_name(live) == (f"CD-SW-001 综合办税窗口 2026年第三季度评价报告（实时结果，未发布）"
                                f"-{stamp}.{suffix}")
    assert "live" in live.headers["Content-Disposition"].split("filename*")[0]
    with db():
        snapshots.publish(user("office"), Period("quarter", 2026, 3))
    assert saved_name(client.get(path)) == f"CD-SW-001 综合办税窗口 2026年第三季度评价报告.{suffix}"


@pytest.mark.parametrize("year", ["0", "abc", "20277", "1999"])
def test_a_bad_year_on_the_proposals_page_is_said(client, auth, titled_district, year):
    """It silently listed every year's proposals; now it says so, and why."""
    auth.login("office")
    resp = client.get(f"/assessment/delisting?year={year}")
    assert resp.status_code == 200
    assert f"年度“{year}”无效，应为 2000 至 2100 之间的整数；以下为全部年度" in resp.get_data(as_text=True)


@pytest.mark.parametrize("query", ["", "?year=", "?year=2026"])
def test_no_year_or_a_good_one_on_the_proposals_page_is_no_error(client, auth, titled_district, query):
    auth.login("office")
    assert "无效" not in client.get(f"/assessment/delisting{query}").get_data(as_text=True)
