"""Opening a ticket on a window (not from a feedback): the form offers the windows the user may
see to choose from, and a code that names none is refused in Chinese, naming the code typed."""

from __future__ import annotations

import re

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Ticket
from tests.admin_web.test_tickets_pages import signed_in


def _choices(html: str) -> dict[str, str]:
    field = re.search(r'<input[^>]*name="window"[^>]*>', html)
    assert field and 'list="window-choices"' in field.group(0)
    box = re.search(r'<datalist id="window-choices">(.*?)</datalist>', html, re.S)
    assert box
    return dict(re.findall(r'<option value="([^"]+)">([^<]*)</option>', box.group(1)))


def test_the_form_offers_the_windows_by_code_and_name(app, district):
    office, _ = signed_in(app, "office")
    choices = _choices(office.get("/tickets/new").get_data(as_text=True))
    assert list(choices) == ["CD-RMYY-001", "CD-RMYY-002", "CD-SW-001", "CD-SW-002"]
    assert choices["CD-SW-001"] == "综合办税窗口（城东区税务局办税服务厅）"


def test_a_code_that_names_no_window_is_refused_naming_it(app, district, db):
    agency, auth = signed_in(app, "agency")
    resp = agency.post("/tickets/new", data={
        "csrf_token": auth.csrf_token("/tickets/new"), "window": " CD-SW-999 ",
        "source": "office", "topic": "attitude", "problem": "态度生硬"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "窗口编号 CD-SW-999 不存在" in html and "没有编号为 CD-SW-999 的窗口" in html
    assert 'value="CD-SW-999"' in html or 'value=" CD-SW-999 "' in html  # kept as typed
    assert "CD-SW-001" in _choices(html)  # the list is offered again
    with db():
        assert Session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
