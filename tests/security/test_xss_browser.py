"""Stored XSS: a citizen's markup in feedback text, a window's name, a unit's ticket response and
an uploaded file's name never runs in a reviewer's browser (Debian's chromium, headless): no
dialog, no Content-Security-Policy refusal (which would mean markup got into the page), no
injected element; and the text is shown, as text."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.security.conftest import PNG, USERS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (apt-get install chromium)")

PAYLOADS = ['<script>alert("xss-script")</script>', '<img src=x onerror=alert("xss-img")>',
            '"><svg onload=alert("xss-svg")>', "'><iframe src=javascript:alert('xss-js')>"]
TEXT = "差评 " + " ".join(PAYLOADS)
INJECTED = ("script:not([src])", "img[onerror]", "svg[onload]", "iframe[src^='javascript']")


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def stored(db, world) -> dict[str, Any]:
    """The hostile text stored through the services a citizen's and a unit's input goes through."""
    from feedback_api.models import Window
    from feedback_api.services import evidence_files, ticket_loop, ticket_open, users, windows
    from feedback_api.services import feedback as fb
    from wechat_bot.contacts import get_or_create_citizen

    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-SW-002")).one()
        citizen = get_or_create_citizen("oXssCitizen000000000000001")
        fid = fb.record_feedback(w, citizen=citizen, channel="h5", rating=1, text=TEXT).feedback.id
        windows.create_window(None, {"code": "CD-SW-066", "unit": "CD-SW",
                                     "name": '窗口<img src=x onerror=alert("xss-name")>'})
        from feedback_api.models import Feedback

        item = s.get(Feedback, fid)
        item.review_state = "valid"
        s.flush()
        ticket = ticket_open.open_from_feedback(users.get_user("agency"), fid)
        ticket_loop.respond(users.get_user("unit-sw"), ticket.id, "已整改 " + TEXT,
                            [evidence_files.Upload('<img src=x onerror=alert("xss-file")>.png', PNG)])
        return {"feedback": fid, "ticket": ticket.id}


def _pages(ids: dict[str, Any]) -> list[str]:
    return ["/", "/feedback", f"/feedback/{ids['feedback']}", "/feedback?q=%3Cscript%3E",
            "/windows", "/windows/CD-SW-066", "/windows/CD-SW-002", "/assessment/windows/CD-SW-066",
            f"/tickets/{ids['ticket']}", "/tickets/inbox"]


def test_stored_markup_never_runs_in_a_reviewers_browser(live_server, stored, capsys):
    from playwright.sync_api import sync_playwright

    fired: list[str] = []
    visited = shown = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            for role in ("office", "agency", "unit"):
                context = browser.new_context(locale="zh-CN")
                page = context.new_page()
                page.on("dialog", lambda d: (fired.append(f"dialog {d.message}"), d.dismiss()))
                page.on("console", lambda m: ("Content Security Policy" in m.text or "xss" in m.text)
                        and fired.append(f"console {m.text}"))
                page.on("pageerror", lambda e: fired.append(f"pageerror {e}"))
                username, password = USERS[role]
                page.goto(live_server + "/login")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", password)
                page.click("button[type=submit]")
                page.wait_for_load_state()
                for path in _pages(stored):
                    resp = page.goto(live_server + path)
                    visited += 1
                    assert resp is not None and resp.status < 500, (role, path, resp and resp.status)
                    page.wait_for_timeout(50)
                    for selector in INJECTED:
                        n = page.locator(selector).count()
                        if n:
                            fired.append(f"{role} {path}: {n} x {selector}")
                    if resp.status == 200 and "onerror=alert" in page.inner_text("body"):
                        shown += 1  # the markup is there, as text
                context.close()
        finally:
            browser.close()
    with capsys.disabled():
        print(f"\nXSS: {len(PAYLOADS) + 2} stored payloads, {visited} page views in chromium, "
              f"{shown} showing the markup as text, {len(fired)} fired")
    assert fired == []
    assert shown >= 6
