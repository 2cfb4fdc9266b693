"""A window's printable rating poster (A4 PDF with its QR code) from its page, for whoever may
see the window: staff print it where they work, without the command line."""

from __future__ import annotations

import io

from pypdf import PdfReader


def test_the_window_page_offers_its_poster(client, auth, district):
    auth.login("unit")
    page = client.get("/windows/CD-SW-001").get_data(as_text=True)
    assert 'href="/windows/CD-SW-001/poster.pdf"' in page
    resp = client.get("/windows/CD-SW-001/poster.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "attachment" in resp.headers["Content-Disposition"]
    text = PdfReader(io.BytesIO(resp.data)).pages[0].extract_text()
    assert "CD-SW-001" in text and "综合办税窗口" in text


def test_no_poster_outside_ones_scope(client, auth, district):
    auth.login("unit")
    assert client.get("/windows/CD-RMYY-001/poster.pdf").status_code == 404


def test_a_delisted_window_has_no_poster(client, auth, db, district):
    from feedback_api.services import windows

    with db():
        windows.update_window(None, "CD-SW-002", {"status": "delisted", "status_reason": "连续三次检查不合格"})
    auth.login("office")
    resp = client.get("/windows/CD-SW-002/poster.pdf", follow_redirects=True)
    assert resp.mimetype == "text/html" and "已摘牌" in resp.get_data(as_text=True)
