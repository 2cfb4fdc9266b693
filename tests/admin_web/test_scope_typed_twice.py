"""A scope typed twice in different forms (an industry's name and its code, full width and plain,
a unit's code and its name) is one scope of the account, on the form, in an edit and by import:
the accounts list showed 税务 typed with ｔａｘ as "tax、tax"."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import User
from tests.admin_web.test_account_import import _confirm, _upload, _xlsx


def _scopes(db, username: str) -> list[tuple]:
    with db() as s:
        user = s.scalars(sa.select(User).where(User.username == username)).one()
        return [(sc.window_id, sc.unit_id, sc.industry) for sc in user.scopes]


def test_the_account_form_keeps_one_of_each_scope(client, auth, db, district):
    auth.login("office")
    resp = client.post("/accounts/new", data={
        "csrf_token": auth.csrf_token("/accounts"), "username": "sw-authority", "role": "authority",
        "scopes": "ｔａｘ　税务 tax CD-SW 城东区税务局办税服务厅", "display_name": "城东区税务局"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    (unit_scope, industry_scope) = sorted(_scopes(db, "sw-authority"), key=str)
    assert industry_scope[2] == "tax" and unit_scope[1] is not None
    assert "tax、tax" not in client.get("/accounts").get_data(as_text=True)
    with db() as s:
        user_id = s.scalars(sa.select(User.id).where(User.username == "sw-authority")).one()
    resp = client.post(f"/accounts/{user_id}", data={
        "csrf_token": auth.csrf_token(f"/accounts/{user_id}"), "role": "authority",
        "scopes": "卫生健康 health ｈｅａｌｔｈ", "display_name": "城东区税务局", "email": ""})
    assert resp.status_code in (200, 302), resp.get_data(as_text=True)
    assert _scopes(db, "sw-authority") == [(None, None, "health")]


def test_the_accounts_import_keeps_one_of_each_scope(client, auth, db, district):
    auth.login("office")
    page = _upload(client, auth, _xlsx([["jt-authority", "交通局", "行业主管部门",
                                         "交通运输、transport", ""]]))
    assert _confirm(client, page.get_data(as_text=True)).status_code == 200
    assert _scopes(db, "jt-authority") == [(None, None, "transport")]


def test_the_accounts_pages_name_an_industry_scope_as_the_office_types_it(client, auth, db, district):
    """Typed 税务 (or ｔａｘ), the accounts list and the account's page showed "tax"; they show
    税务, and the edit form's 税务 saves back as the same scope."""
    auth.login("office")
    client.post("/accounts/new", data={
        "csrf_token": auth.csrf_token("/accounts"), "username": "sw-authority", "role": "authority",
        "scopes": "ｔａｘ CD-SW-001", "display_name": "城东区税务局"})
    row = next(r for r in client.get("/accounts").get_data(as_text=True).split("<tr>")
               if "sw-authority" in r)
    assert "税务、CD-SW-001" in row and ">tax" not in row
    with db() as s:
        user_id = s.scalars(sa.select(User.id).where(User.username == "sw-authority")).one()
    page = client.get(f"/accounts/{user_id}").get_data(as_text=True)
    assert "<td class=\"mono\">税务、CD-SW-001</td>" in page
    assert ">税务 CD-SW-001</textarea>" in page.replace("\r\n", "").replace("\n", "")
    before = _scopes(db, "sw-authority")
    resp = client.post(f"/accounts/{user_id}", data={
        "csrf_token": auth.csrf_token(f"/accounts/{user_id}"), "role": "authority",
        "scopes": "税务 CD-SW-001", "display_name": "城东区税务局", "email": ""})
    assert resp.status_code in (200, 302) and _scopes(db, "sw-authority") == before
