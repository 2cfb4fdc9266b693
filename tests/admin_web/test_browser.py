"""End to end in a real browser (Debian's chromium driven by Playwright): sign in, browse, edit."""

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        # The Content-Security-Policy must block nothing the pages use (the browser says so here).
        refused = []
        page.on("console", lambda msg: "Content Security Policy" in msg.text and refused.append(msg.text))
        yield page
        context.close()
        browser.close()
    assert refused == []


def _sign_in(page, base, user):
    page.goto(base + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", f"{user}-password")
    page.click("button[type=submit]")


def answer_dialogs(page) -> tuple[list[str], dict[str, bool]]:
    """The confirm() dialogs a page raises: their messages, and whether to say yes (``answer["yes"]``,
    no at first)."""
    asked: list[str] = []
    answer = {"yes": False}

    def on_dialog(dialog):  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.accept() if answer["yes"] else dialog.dismiss()

    page.on("dialog", on_dialog)
    return asked, answer


def test_office_signs_in_filters_and_edits_a_window(live_server, page, district, tmp_path):
    _sign_in(page, live_server, "office")
    page.wait_for_selector("text=概况")
    page.click("nav >> text=窗口台账")
    page.select_option("select[name=industry]", "health")
    page.click("button:has-text('筛选')")
    page.wait_for_url("**industry=health**")  # the click only starts the navigation
    rows = page.locator("table.grid tbody tr")
    assert rows.count() == 2 and "CD-RMYY-001" in rows.first.inner_text()
    page.click("text=CD-RMYY-001")
    page.click("text=编辑")
    page.fill("input[name=staff_count]", "7")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已保存")
    assert "7" in page.locator("dl.facts").inner_text()
    page.screenshot(path=str(tmp_path / "window.png"), full_page=True)


def test_unit_user_sees_only_its_windows(live_server, page, district):
    _sign_in(page, live_server, "unit")
    page.wait_for_selector("text=概况")
    page.goto(live_server + "/windows")
    text = page.locator("table.grid").inner_text()
    assert "CD-SW-001" in text and "CD-RMYY" not in text
    assert page.locator("text=新建窗口").count() == 0


def test_wrong_password_stays_on_the_sign_in_page(live_server, page, district):
    page.goto(live_server + "/login")
    page.fill("input[name=username]", "office")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    page.wait_for_selector("text=用户名或密码错误")
    assert page.url.endswith("/login")


def test_citizen_rates_on_the_h5_page_and_the_agency_reviews_it(live_server, page, db, district):
    import sqlalchemy as sa

    from feedback_api.models import Feedback

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/f/CD-SW-001")
    page.check("input[name=rating][value='2']")
    page.fill("textarea[name=opinion]", "排队等了两个小时，窗口只开了一个")
    page.click("button:has-text('提交评价')")
    receipt = page.locator("p.receipt").inner_text().strip()
    assert receipt.startswith("PJ")
    with db() as s:
        item = s.scalars(sa.select(Feedback).where(Feedback.receipt_no == receipt)).one()
        assert (item.rating, item.channel, item.text) == (2, "h5", "排队等了两个小时，窗口只开了一个")
        fid = item.id
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, live_server, "agency")
    page.wait_for_selector("text=概况")
    page.goto(f"{live_server}/feedback/{fid}")
    page.select_option("select[name=valid]", "1")
    page.select_option("select[name=sentiment]", "0")
    page.check("input[name=topics][value=efficiency]")
    page.click("button:has-text('保存审核')")
    page.wait_for_selector("text=审核已保存")
    with db() as s:
        item = s.get(Feedback, fid)
        assert (item.review_state, item.reviewed_sentiment, item.reviewed_topics) == (
            "valid", 0, ["efficiency"])
    # The agency answers; an H5 citizen cannot be written to, and the page says so.
    page.fill("textarea[name=text]", "已协调增开窗口，高峰期两个窗口同时办理")
    page.click("button:has-text('提交答复')")
    page.wait_for_selector("text=无法推送给群众")
    assert page.locator("ol.answers li").count() == 1
    assert "已协调增开窗口" in page.locator("ol.answers").inner_text()
