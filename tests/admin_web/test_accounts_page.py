"""账号管理: the office creates, edits, disables, enables, unlocks accounts and resets passwords in
the browser, through the services the CLI uses (same checks, same Chinese messages, audited); the
one-time password is shown once and stored only hashed; no other role reaches the page."""

import re

import pytest
import sqlalchemy as sa

from feedback_api.models import AuditLog, User


def _user(db, name):
    with db() as s:
        user = s.scalars(sa.select(User).where(User.username == name)).one()
        return user.id, user.role, user.display_name, user.active, user.must_change_password


def _once(page: str) -> str:
    return re.search(r'class="mono one-time-password">([^<]+)<', page).group(1)


def _actions(db):
    with db() as s:
        return [(e.actor, e.action, e.entity_id) for e in s.scalars(
            sa.select(AuditLog).where(AuditLog.entity_type == "user", AuditLog.actor != "cli",
                                      AuditLog.action.not_in(["sign_in", "sign_in_failed"]))
            .order_by(AuditLog.id))]


def test_the_office_lists_and_filters_accounts(client, auth, db, district):
    auth.login("unit")  # a last sign-in to show
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("office")
    page = client.get("/accounts").get_data(as_text=True)
    assert "账号管理" in client.get("/").get_data(as_text=True)  # in the office's navigation
    for name in ("office", "agency", "authority", "unit"):
        assert f">{name}</a>" in page
    assert "CD-SW" in page and "卫生健康" in page  # an industry scope by its name
    page = client.get("/accounts?role=unit").get_data(as_text=True)
    assert ">unit</a>" in page and ">agency</a>" not in page
    page = client.get("/accounts?q=AUTH").get_data(as_text=True)
    assert ">authority</a>" in page and ">unit</a>" not in page
    assert "没有符合条件的账号" in client.get("/accounts?q=%25").get_data(as_text=True)


def test_a_new_account_gets_a_one_time_password_shown_once_and_stored_hashed(client, auth, db,
                                                                             district):
    auth.login("office")
    resp = client.post("/accounts/new", data={
        "csrf_token": auth.csrf_token("/accounts"), "username": "unit2", "role": "unit",
        "scopes": "CD-SW", "display_name": "二号单位"})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    password = _once(resp.get_data(as_text=True))
    assert len(password) == 12
    with db() as s:
        user = s.scalars(sa.select(User).where(User.username == "unit2")).one()
        assert password not in user.password_hash and user.must_change_password
        assert [sc.unit.code for sc in user.scopes] == ["CD-SW"]
    assert password not in client.get(f"/accounts/{user.id}").get_data(as_text=True)
    assert ("office", "create", "unit2") in _actions(db)
    # The CLI's checks and Chinese messages: a duplicate, a scoped role without a scope.
    page = client.post("/accounts/new", data={
        "csrf_token": auth.csrf_token("/accounts"), "username": "UNIT2", "role": "agency"})
    assert page.status_code == 400 and "用户 UNIT2 已存在" in page.get_data(as_text=True)
    page = client.post("/accounts/new", data={
        "csrf_token": auth.csrf_token("/accounts"), "username": "unit3", "role": "unit"})
    assert "行业主管部门和窗口单位用户须指定范围" in page.get_data(as_text=True)


def test_the_office_edits_disables_enables_and_resets(client, auth, db, district):
    auth.login("office")
    uid = _user(db, "unit")[0]
    resp = client.post(f"/accounts/{uid}", data={
        "csrf_token": auth.csrf_token(f"/accounts/{uid}"), "role": "authority",
        "scopes": "health", "display_name": "卫健主管"})
    assert resp.status_code == 302
    assert _user(db, "unit")[1:3] == ("authority", "卫健主管")
    page = client.post(f"/accounts/{uid}", data={
        "csrf_token": auth.csrf_token(f"/accounts/{uid}"), "role": "unit", "scopes": "NOPE",
        "display_name": "x"}).get_data(as_text=True)
    assert "范围“NOPE”无法识别：应为窗口编号、单位编号、行业代码或行业名称" in page
    token = auth.csrf_token(f"/accounts/{uid}")
    client.post(f"/accounts/{uid}/disable", data={"csrf_token": token})
    assert _user(db, "unit")[3] is False
    client.post(f"/accounts/{uid}/enable", data={"csrf_token": token})
    assert _user(db, "unit")[3] is True
    page = client.post(f"/accounts/{uid}/reset", data={"csrf_token": token}).get_data(as_text=True)
    assert len(_once(page)) == 12 and _user(db, "unit")[4] is True
    assert [a for _, a, _ in _actions(db)] == ["update", "disable", "enable", "set_password",
                                               "reset_password"]


def test_the_last_active_office_account_stays_protected(client, auth, db, district):
    auth.login("office")
    uid = _user(db, "office")[0]
    token = auth.csrf_token(f"/accounts/{uid}")
    resp = client.post(f"/accounts/{uid}/disable", data={"csrf_token": token}, follow_redirects=True)
    assert "office 是最后一个启用的联席办账号，不能停用" in resp.get_data(as_text=True)
    page = client.post(f"/accounts/{uid}", data={"csrf_token": token, "role": "agency",
                                                 "scopes": "", "display_name": "x"})
    assert "是最后一个启用的联席办账号，不能改为其他角色" in page.get_data(as_text=True)
    assert _user(db, "office")[1:4] == ("office", "office", True)


def test_the_office_unlocks_a_locked_account(client, auth, db, district):
    from datetime import timedelta

    from feedback_api.db import utcnow

    with db() as s:
        user = s.scalars(sa.select(User).where(User.username == "agency")).one()
        user.locked_until, uid = utcnow() + timedelta(minutes=10), user.id
    auth.login("office")
    assert "解除锁定" in client.get(f"/accounts/{uid}").get_data(as_text=True)
    assert "已锁定" in client.get("/accounts?state=locked").get_data(as_text=True)
    client.post(f"/accounts/{uid}/unlock", data={"csrf_token": auth.csrf_token(f"/accounts/{uid}")})
    assert ("office", "unlock", "agency") in _actions(db)
    with db() as s:
        assert s.get(User, uid).locked_until is None


@pytest.mark.parametrize("role", ["agency", "authority", "unit"])
def test_no_other_role_reaches_the_accounts_page_by_url_or_form(client, auth, db, district, role):
    uid = _user(db, "office")[0]
    auth.login(role)
    token = auth.csrf_token("/")
    assert "账号管理" not in client.get("/").get_data(as_text=True)
    assert client.get("/accounts").status_code == 403
    assert client.get(f"/accounts/{uid}").status_code == 403
    for path in ("/accounts/new", f"/accounts/{uid}", f"/accounts/{uid}/disable",
                 f"/accounts/{uid}/reset", f"/accounts/{uid}/enable", f"/accounts/{uid}/unlock"):
        resp = client.post(path, data={"csrf_token": token, "username": "x", "role": "office"})
        assert resp.status_code == 403, path
    assert _actions(db) == []


def test_the_office_keeps_an_accounts_mailbox(client, auth, db, district):
    auth.login("office")
    resp = client.post("/accounts/new", data={
        "csrf_token": auth.csrf_token("/accounts"), "username": "mailed", "role": "agency",
        "email": "bad@"})
    assert resp.status_code == 400 and "电子邮箱格式不正确" in resp.get_data(as_text=True)
    resp = client.post("/accounts/new", data={
        "csrf_token": auth.csrf_token("/accounts"), "username": "mailed", "role": "agency",
        "email": " a.b@example.cn "})
    assert resp.status_code == 200
    uid = _user(db, "mailed")[0]
    assert "a.b@example.cn" in client.get(f"/accounts/{uid}").get_data(as_text=True)
    token = auth.csrf_token(f"/accounts/{uid}")
    page = client.post(f"/accounts/{uid}", data={"csrf_token": token, "role": "agency",
                                                 "display_name": "mailed", "email": "x y@z.cn"})
    assert page.status_code == 400 and "电子邮箱格式不正确" in page.get_data(as_text=True)
    client.post(f"/accounts/{uid}", data={"csrf_token": token, "role": "agency",
                                          "display_name": "mailed", "email": ""})
    with db() as s:
        assert s.get(User, uid).email is None
        entry = s.scalars(sa.select(AuditLog).where(AuditLog.action == "update",
                                                    AuditLog.entity_id == "mailed")).one()
        assert (entry.before, entry.after) == ({"email": "a.b@example.cn"}, {"email": None})
