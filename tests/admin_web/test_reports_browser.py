"""In chromium: a unit reads its own window's report (and downloads it) and nobody else's."""

from feedback_api.services.workdays import local_today
from tests.admin_web.test_browser import _sign_in, live_server, page, pytestmark  # noqa: F401
from tests.admin_web.test_reports import rated  # noqa: F401


def test_a_unit_reads_its_own_report_and_nobody_elses(live_server, page, rated):  # noqa: F811
    _sign_in(page, live_server, "unit")
    page.wait_for_selector("text=概况")
    page.click("nav >> text=评价报告")
    page.fill("input[name=period]", "2026Q3")
    page.click("button:has-text('查看')")
    page.wait_for_url("**period=2026Q3**")  # the click only starts the navigation
    assert page.locator("a:has-text('CD-SW-001')").count() == 1
    assert page.locator("text=CD-RMYY").count() == 0
    page.click("a:has-text('CD-SW-001')")
    page.wait_for_selector("h1:has-text('综合办税窗口 2026年第三季度评价报告')")
    assert f"综合得分 {rated['composite']:.1f}" in page.inner_text("body")
    with page.expect_download() as download:
        page.click("a:has-text('下载 PDF')")
    # Chromium saves it under the Chinese name (the header's RFC 5987 filename*).
    # (not published: the name says the figures are live, and the day)
    assert download.value.suggested_filename == (
        f"CD-SW-001 综合办税窗口 2026年第三季度评价报告（实时结果，未发布）-{local_today():%Y%m%d}.pdf")
    with open(download.value.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    response = page.goto(live_server + "/reports/windows/CD-RMYY-001?period=2026Q3")
    assert response.status == 404
    assert "门诊挂号收费处" not in page.inner_text("body")
