"""The window's edit and new pages give the title status (状态, its date, year and reason) only to
the office: an authority sees it read-only with the line that says who changes it, and a status
posted anyway (an old tab, a hand-made request) changes nothing."""

from __future__ import annotations

import re

import sqlalchemy as sa

from feedback_api.models import AuditLog, Window
from feedback_api.services import users
from feedback_api.services import windows as window_service

NOTE = "称号状态由区联席办通过授牌、摘牌办理"
TITLE_INPUTS = ("status", "status_date", "status_year", "status_reason")


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _inputs(page: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea)[^>]* name="([a-z_]+)"', page))


def _window(s, code):
    return s.scalars(sa.select(Window).where(Window.code == code)).one()


def test_an_authoritys_edit_page_shows_the_title_read_only(client, auth, db, district):
    with db():
        window_service.update_window(users.get_user("office"), "CD-RMYY-002", {
            "status": "delisted", "status_year": 2026, "status_reason": "一年内三次综合检查不合格"})
    auth.login("authority")
    page = client.get("/windows/CD-RMYY-002/edit").get_data(as_text=True)
    assert not _inputs(page) & set(TITLE_INPUTS), _inputs(page)
    assert "name" in _inputs(page)
    assert NOTE in page and "摘牌" in page and "2026" in page and "一年内三次综合检查不合格" in page
    new = client.get("/windows/new").get_data(as_text=True)
    assert not _inputs(new) & set(TITLE_INPUTS) and NOTE in new
    assert NOTE in client.get("/windows/import").get_data(as_text=True)


def test_a_status_posted_by_an_authority_changes_nothing_but_the_rest_is_saved(client, auth, db,
                                                                               district):
    with db():
        window_service.update_window(users.get_user("office"), "CD-RMYY-002", {
            "status": "delisted", "status_year": 2026, "status_reason": "一年内三次综合检查不合格"})
    auth.login("authority")
    token = _token(client.get("/windows/CD-RMYY-002/edit").get_data(as_text=True))
    resp = client.post("/windows/CD-RMYY-002/edit", data={
        "csrf_token": token, "code": "CD-RMYY-002", "name": "住院结算窗口（二楼）", "unit": "CD-RMYY",
        "staff_count": "2", "status": "candidate", "status_year": "", "status_reason": "",
        "status_date": ""})
    assert resp.status_code == 302
    resp = client.post("/windows/new", data={
        "csrf_token": token, "code": "CD-RMYY-009", "name": "新窗口", "unit": "CD-RMYY",
        "staff_count": "1", "status": "demonstration", "status_year": "2026"})
    assert resp.status_code == 302
    with db() as s:
        w = _window(s, "CD-RMYY-002")
        assert (w.name, w.status, w.status_year, w.status_reason) == (
            "住院结算窗口（二楼）", "delisted", 2026, "一年内三次综合检查不合格")
        created = _window(s, "CD-RMYY-009")
        assert (created.status, created.status_year) == ("candidate", None)
        entry = s.scalars(sa.select(AuditLog).where(AuditLog.entity_id == "CD-RMYY-002",
                                                    AuditLog.actor == "authority")).one()
        assert set(entry.after) == {"name", "staff_count"}


def test_the_office_still_edits_the_title_on_the_page(client, auth, db, district):
    auth.login("office")
    page = client.get("/windows/CD-RMYY-001/edit").get_data(as_text=True)
    assert set(TITLE_INPUTS) <= _inputs(page) and NOTE not in page
    assert NOTE not in client.get("/windows/import").get_data(as_text=True)
    resp = client.post("/windows/CD-RMYY-001/edit", data={
        "csrf_token": _token(page), "code": "CD-RMYY-001", "name": "门诊挂号收费处", "unit": "CD-RMYY",
        "staff_count": "0", "status": "demonstration", "status_year": "2026",
        "status_date": "2026-12-01", "status_reason": ""})
    assert resp.status_code == 302
    with db() as s:
        assert (_window(s, "CD-RMYY-001").status, _window(s, "CD-RMYY-001").status_year) == (
            "demonstration", 2026)
        entry = s.scalars(sa.select(AuditLog).where(AuditLog.entity_id == "CD-RMYY-001",
                                                    AuditLog.action == "update")).one()
        assert entry.actor == "office"
        assert entry.after == {"status": "demonstration", "status_date": "2026-12-01",
                               "status_year": 2026}


def test_units_and_the_agency_get_no_edit_page(app, district):
    from tests.conftest import AuthActions

    for role in ("unit", "agency"):
        client = app.test_client()
        AuthActions(client).login(role)
        assert client.get("/windows/CD-SW-001/edit").status_code == 403, role
        assert client.get("/windows/new").status_code == 403, role
