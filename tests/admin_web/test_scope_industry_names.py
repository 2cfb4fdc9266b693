"""An authority's scope typed with its industry's Chinese name (税务, as reference.INDUSTRIES lists
it) as well as its code (tax): on the account form, in the accounts import and by ``users add
--scope``; a name that is none is refused in Chinese, listing the names there are."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import User
from feedback_api.models.reference import INDUSTRIES
from tests.admin_web.test_account_import import _confirm, _upload, _xlsx

NAMES = "、".join(INDUSTRIES.values())


def _industries(db, username: str) -> list[str | None]:
    with db() as s:
        return [sc.industry for sc in s.scalars(sa.select(User).where(User.username == username)).one().scopes]


def test_the_account_form_takes_an_industrys_name(client, auth, db, district):
    auth.login("office")
    resp = client.post("/accounts/new", data={
        "csrf_token": auth.csrf_token("/accounts"), "username": "sw-authority", "role": "authority",
        "scopes": "税务、卫生健康", "display_name": "税务局"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert _industries(db, "sw-authority") == ["tax", "health"]
    page = client.post("/accounts/new", data={
        "csrf_token": auth.csrf_token("/accounts"), "username": "x-authority", "role": "authority",
        "scopes": "税物", "display_name": "某局"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and "范围“税物”无法识别" in text and NAMES in text
    assert "税物" in text  # the form keeps what was typed, to correct it


def test_the_accounts_import_takes_an_industrys_name(client, auth, db, district):
    auth.login("office")
    page = _upload(client, auth, _xlsx([["jt-authority", "交通局", "行业主管部门", "交通运输", ""],
                                        ["mz-authority", "民政局", "行业主管部门", "民政部门", ""]]))
    text = page.get_data(as_text=True)
    assert "范围“民政部门”无法识别" in text and NAMES in text
    page = _upload(client, auth, _xlsx([["jt-authority", "交通局", "行业主管部门", "交通运输", ""]]))
    assert _confirm(client, page.get_data(as_text=True)).status_code == 200
    assert _industries(db, "jt-authority") == ["transport"]


def test_users_add_takes_an_industrys_name(runner, db, district):
    r = runner.invoke(args=["users", "add", "gs-authority", "--role", "authority", "--scope", "市场监管",
                            "--password", "a-good-password"])
    assert r.exit_code == 0, r.output
    assert _industries(db, "gs-authority") == ["market"]
    r = runner.invoke(args=["users", "add", "x-authority", "--role", "authority", "--scope", "工商",
                            "--password", "a-good-password"])
    assert r.exit_code == 1 and "范围“工商”无法识别" in r.output and NAMES in r.output
