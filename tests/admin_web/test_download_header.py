"""common.download: whatever a caller puts in a file name (a window's name, a report's title),
the Content-Disposition header stays one well-formed header: no control character or newline,
an ASCII fallback with nothing that ends its quotes, and the full name in RFC 5987 filename*."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from admin_web.common import download

HEADER = re.compile(r'attachment; filename="([\x20-\x21\x23-\x5b\x5d-\x7e]+)"; '
                    r"filename\*=UTF-8''([A-Za-z0-9%._~-]+)$")


def _disposition(app, filename: str, fallback: str) -> tuple[str, str]:
    with app.test_request_context():
        value = download(b"x", "text/csv", filename, fallback=fallback).headers["Content-Disposition"]
    return _parse(value)


def _parse(value: str) -> tuple[str, str]:
    match = HEADER.match(value)
    assert match, value
    return match.group(1), unquote(match.group(2))


@pytest.mark.parametrize("filename,fallback,ascii_name,saved", [
    ('台账"\r\nX-Injected: 1.csv', 'ledger"\r\nSet-Cookie: a=b.csv', "ledger_Set-Cookie_a_b.csv",
     "台账\" X-Injected: 1.csv"),
    ("报告\x00\t\u2028-2026.pdf", 'report-"q"\\.pdf', "report-_q_.pdf", "报告 -2026.pdf"),
    ("CD-SW-001 综合办税窗口.xlsx", "report-CD-SW-001-2026Q3.xlsx", "report-CD-SW-001-2026Q3.xlsx",
     "CD-SW-001 综合办税窗口.xlsx"),
    ("\n\n", "\r\n", "download", "download"),
])
def test_a_name_cannot_break_the_header(app, filename, fallback, ascii_name, saved):
    assert _disposition(app, filename, fallback) == (ascii_name, saved)


def test_a_quote_in_a_window_name_keeps_the_name(client, auth, district, db):
    """A caller's name with quotes (a window's name as stored) is saved under that name."""
    from feedback_api.services import windows

    with db() as s:
        windows.update_window(None, "CD-SW-001", {"name": '综合办税"A"窗口'})
        s.commit()
    auth.login("office")
    resp = client.get("/windows/CD-SW-001/poster.pdf")
    assert resp.status_code == 200, resp.status_code
    assert _parse(resp.headers["Content-Disposition"]) == (
        "poster-CD-SW-001.pdf", 'CD-SW-001 综合办税"A"窗口 评价二维码.pdf')
