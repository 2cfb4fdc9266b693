"""In chromium: a unit reads its own window's report (and downloads it) and nobody else's."""

from tests.admin_web.test_browser import _sign_in, live_server, page, pytestmark  # noqa: F401
from tests.admin_web.test_reports import published, rated  # noqa: F401


def test_a_unit_reads_its_own_report_and_nobody_elses(live_server, page, published):  # noqa: F811
    figures = published  # a unit reads published figures only
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
    assert f"综合得分 {figures['composite']:.1f}" in page.inner_text("body")
    with page.expect_download() as download:
        page.click("a:has-text('下载 PDF')")
    # Chromium saves it under the Chinese name (the header's RFC 5987 filename*).
    # (published: the plain name; a live one's says so, and the day: test_report_params)
    assert download.value.suggested_filename == "CD-SW-001 综合办税窗口 2026年第三季度评价报告.pdf"
    with open(download.value.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    response = page.goto(live_server + "/reports/windows/CD-RMYY-001?period=2026Q3")
    assert response.status == 404
    assert "门诊挂号收费处" not in page.inner_text("body")
