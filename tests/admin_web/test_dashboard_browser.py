"""In chromium, at a desktop and a phone viewport: the dashboard's ECharts charts render (canvas,
not blank) under the site's Content-Security-Policy, with no console error, tooltips included, and
a click on a window's bar opens its report."""

import pytest

from tests.admin_web.test_browser import _sign_in, live_server, page, pytestmark  # noqa: F401
from tests.admin_web.test_dashboard import Q3, published, scored  # noqa: F401

CHARTS = ("ranking", "trend", "bands", "components")
REPORT_CHARTS = ("months", "distribution")

#: Coloured pixels of a chart's canvas (not transparent, not white), sampled on a grid.
INKED = """el => {
  const canvas = el.querySelector('canvas');
  if (!canvas) return -1;
  const ctx = canvas.getContext('2d');
  const {width, height} = canvas;
  const pixels = ctx.getImageData(0, 0, width, height).data;
  let inked = 0;
  for (let i = 0; i < pixels.length; i += 4 * 7) {
    const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
    if (a > 0 && (r < 240 || g < 240 || b < 240)) inked++;
  }
  return inked;
}"""


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_the_dashboard_draws_its_charts(live_server, page, scored, viewport, tmp_path):  # noqa: F811
    errors = []
    # (chromium asks for /favicon.ico on its own; the site has none)
    page.on("console", lambda msg: msg.type == "error" and not msg.location.get("url", "").endswith(
        "/favicon.ico") and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size(viewport)
    _sign_in(page, live_server, "office")
    page.wait_for_selector("text=概况")
    page.click("nav >> text=数据看板")
    page.wait_for_selector("h1:has-text('数据看板')")
    page.goto(f"{live_server}/dashboard/?period={Q3}")
    for name in CHARTS:
        chart = page.locator(f"[data-chart={name}]")
        chart.scroll_into_view_if_needed()
        page.wait_for_selector(f"[data-chart={name}][data-rendered]", timeout=15000)
        assert chart.evaluate(INKED) > 200, name
        box = chart.bounding_box()
        assert box["width"] > 200 and box["height"] > 150, (name, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1, (name, box)
        # Each chart has its table beside or below it.
        assert chart.locator("xpath=following-sibling::div[1]//table").count() == 1
    # No page-wide horizontal scrolling on the phone either (wide tables scroll in their card).
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    if viewport["width"] < 500:
        for name in CHARTS:
            width = page.locator(f"[data-chart={name}] canvas").evaluate("c => c.clientWidth")
            assert width <= viewport["width"], name
    # A tooltip (drawn in the canvas) on the first window's bar, then a click opens its report.
    ranking = page.locator("[data-chart=ranking]")
    ranking.scroll_into_view_if_needed()
    first = page.locator("#t-ranking tbody tr").first.get_attribute("data-code")
    x, y = ranking.evaluate("""el => {
      const chart = echarts.getInstanceByDom(el);
      return chart.convertToPixel({xAxisIndex: 0, yAxisIndex: 0}, [3, 0]);
    }""")
    box = ranking.bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_timeout(400)
    page.screenshot(path=str(tmp_path / f"dashboard-{viewport['width']}.png"), full_page=True)
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(f"**/reports/windows/{first}?period={Q3}")
    page.wait_for_selector("h1:has-text('评价报告')")
    # The report draws its monthly trend and five-level distribution too.
    for name in REPORT_CHARTS:
        chart = page.locator(f"[data-chart={name}]")
        chart.scroll_into_view_if_needed()
        page.wait_for_selector(f"[data-chart={name}][data-rendered]", timeout=15000)
        assert chart.evaluate(INKED) > 200, name
        chart.hover()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert errors == []


def test_an_authoritys_dashboard_names_only_its_industry(live_server, page, published):  # noqa: F811
    _sign_in(page, live_server, "authority")
    page.wait_for_selector("text=概况")
    page.goto(f"{live_server}/dashboard/?period={Q3}")
    page.wait_for_selector("[data-chart=ranking][data-rendered]", timeout=15000)
    text = page.inner_text("body")
    assert "门诊挂号收费处" in text and "综合办税窗口" not in text and "CD-SW" not in text
    labels = page.locator("#t-ranking tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")
    assert sorted(labels) == ["CD-RMYY-001", "CD-RMYY-002"]


def test_a_units_report_draws_its_charts_on_a_phone(live_server, page, published, tmp_path):  # noqa: F811
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, live_server, "unit")
    page.wait_for_selector("text=概况")
    assert page.locator("nav >> text=数据看板").count() == 0
    page.goto(f"{live_server}/reports/windows/CD-SW-001?period={Q3}")
    for name in REPORT_CHARTS:
        page.wait_for_selector(f"[data-chart={name}][data-rendered]", timeout=15000)
        assert page.locator(f"[data-chart={name}]").evaluate(INKED) > 200, name
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "report-390.png"), full_page=True)
    assert errors == []


def test_a_large_district_scrolls_inside_the_ranking_chart(live_server, page, db, district):  # noqa: F811
    """Over 30 windows the ranking shows 30 at a time with a slider; the table lists them all."""
    from feedback_api.services import windows
    from tests.assessment_helpers import add_feedback, registered_long_ago

    with db():
        for n in range(1, 34):
            windows.create_window(None, {"code": f"CD-SW-1{n:02d}", "name": f"办税窗口{n}", "unit": "CD-SW"})
        registered_long_ago()
    with db():
        for n in range(1, 34):
            add_feedback(f"CD-SW-1{n:02d}", [5] * (n % 5 + 1) + [2])
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server, "office")
    page.wait_for_selector("text=概况")
    page.goto(f"{live_server}/dashboard/?period={Q3}")
    page.wait_for_selector("[data-chart=ranking][data-rendered]", timeout=15000)
    zoom = page.locator("[data-chart=ranking]").evaluate(
        "el => echarts.getInstanceByDom(el).getOption().dataZoom.map(z => [z.type, z.endValue])")
    assert zoom == [["slider", 29], ["inside", 29]]
    assert page.locator("#t-ranking tbody tr").count() == 37
    assert page.locator("[data-chart=ranking]").evaluate(INKED) > 200
    assert errors == []


def test_without_scripts_the_tables_carry_the_dashboard(live_server, page, scored):  # noqa: F811
    context = page.context.browser.new_context(locale="zh-CN", java_script_enabled=False,
                                               viewport={"width": 390, "height": 844})
    try:
        plain = context.new_page()
        _sign_in(plain, live_server, "office")
        plain.wait_for_selector("text=概况")
        plain.goto(f"{live_server}/dashboard/?period={Q3}")
        for name in CHARTS:  # no empty boxes where the charts would be
            assert not plain.locator(f"[data-chart={name}]").is_visible(), name
        for table in ("t-alerts", "t-ranking", "t-trend", "t-bands", "t-components"):
            assert plain.locator(f"#{table}").is_visible(), table
        assert plain.locator("#t-ranking tbody tr").count() == 4
        assert "CD-SW-002" in plain.locator("#t-alerts").inner_text()
    finally:
        context.close()
