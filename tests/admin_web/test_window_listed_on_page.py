"""The listing date (挂牌日期) on the window's page, its edit form (the office's only, audited) and
the registry list."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from feedback_api.models import AuditLog, Window
from feedback_api.services import windows as window_service


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _inputs(page: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea)[^>]* name="([a-z_]+)"', page))


def test_the_page_and_the_list_show_the_listing_date(client, auth, db, district):
    with db():
        window_service.update_window(None, "CD-SW-001", {"listed_on": "2025-06-30"})
    auth.login("unit")
    page = client.get("/windows/CD-SW-001").get_data(as_text=True)
    assert "挂牌日期" in page and "2025-06-30" in page
    listing = client.get("/windows").get_data(as_text=True)
    assert "<th>挂牌日期</th>" in listing and "2025-06-30" in listing


def test_the_office_edits_the_listing_date_and_it_is_audited(client, auth, db, district):
    auth.login("office")
    page = client.get("/windows/CD-SW-002/edit").get_data(as_text=True)
    assert "listed_on" in _inputs(page)
    resp = client.post("/windows/CD-SW-002/edit", data={
        "csrf_token": _token(page), "code": "CD-SW-002", "name": "发票领用窗口", "unit": "CD-SW",
        "staff_count": "0", "status": "candidate", "listed_on": "2026-03-01"})
    assert resp.status_code == 302
    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-SW-002")).one()
        assert w.listed_on == date(2026, 3, 1)
        entry = s.scalars(sa.select(AuditLog).where(AuditLog.entity_id == "CD-SW-002",
                                                    AuditLog.action == "update")).one()
        assert entry.actor == "office" and entry.after == {"listed_on": "2026-03-01"}
    page = client.get("/windows/CD-SW-002/edit").get_data(as_text=True)
    resp = client.post("/windows/CD-SW-002/edit", data={
        "csrf_token": _token(page), "code": "CD-SW-002", "name": "发票领用窗口", "unit": "CD-SW",
        "staff_count": "0", "status": "candidate", "listed_on": "2099-03-01"})
    assert resp.status_code == 200 and "晚于今天" in resp.get_data(as_text=True)


def test_an_authority_sees_the_listing_date_but_cannot_edit_it(client, auth, db, district):
    auth.login("authority")
    page = client.get("/windows/CD-RMYY-001/edit").get_data(as_text=True)
    assert "listed_on" not in _inputs(page) and "挂牌日期" in page
    new = client.get("/windows/new").get_data(as_text=True)
    assert "listed_on" not in _inputs(new)


def test_the_import_page_says_how_to_write_the_listing_date(app, district):
    from tests.conftest import AuthActions

    pages = {}
    for name in ("office", "authority"):
        client = app.test_client()
        AuthActions(client).login(name)
        pages[name] = client.get("/windows/import").get_data(as_text=True)
    assert "挂牌日期" in pages["office"] and "2026年3月1日" in pages["office"]
    assert "由区联席办登记" not in pages["office"] and "由区联席办登记" in pages["authority"]
