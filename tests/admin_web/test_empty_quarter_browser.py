"""In chromium: a quarter without any data (nothing rated, inspected or ticketed) draws its
dashboard and report pages without a script error, and says there is nothing to show."""

from tests.admin_web.test_browser import _sign_in, live_server, page, pytestmark  # noqa: F401

EMPTY = "2025Q1"


def test_an_empty_quarter_draws_without_errors(live_server, page, district):  # noqa: F811
    errors = []
    page.on("console", lambda msg: msg.type == "error" and not msg.location.get("url", "").endswith(
        "/favicon.ico") and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server, "office")
    page.wait_for_selector("text=概况")
    page.goto(f"{live_server}/dashboard/?period={EMPTY}")
    page.wait_for_selector("h1:has-text('数据看板')")
    page.wait_for_timeout(1500)  # the charts' scripts run after load
    page.goto(f"{live_server}/reports/windows/CD-SW-001?period={EMPTY}")
    page.wait_for_selector("h1:has-text('评价报告')")
    for name in ("months", "distribution"):
        page.wait_for_selector(f"[data-chart={name}][data-rendered]", timeout=15000)
    body = page.inner_text("body")
    assert "本期无" in body
    assert errors == []
