"""What ends an account's sessions and API tokens: a password change (its own: the other
sessions end, this one goes on; a reset by the office: every session ends) revokes the tokens;
disabling, a role change and a scope change end the open sessions; disabling and a role change
revoke the tokens, a scope change keeps them (a token's scope is the user's, read at each
request). A change of the shown name alone ends nothing. Every revocation is audited."""

import re

import sqlalchemy as sa

from feedback_api.models import ApiToken, AuditLog, User


def _signed_in(app, name):
    """Another browser signed in as ``name``."""
    other = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      other.get("/login").get_data(as_text=True)).group(1)
    resp = other.post("/login", data={"username": name, "password": f"{name}-password",
                                      "csrf_token": token})
    assert resp.status_code == 302
    assert other.get("/").status_code == 200
    return other


def _uid(db, name):
    with db() as s:
        return s.scalar(sa.select(User.id).where(User.username == name))


def _live_tokens(db, name):
    with db() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(ApiToken).join(ApiToken.user).where(
            User.username == name, ApiToken.revoked_at.is_(None)))


def _revocations(db):
    with db() as s:
        return [e.after["user"] for e in s.scalars(sa.select(AuditLog).where(
            AuditLog.entity_type == "api_token", AuditLog.action == "revoke"))]


def _edit(client, auth, uid, **data):
    return client.post(f"/accounts/{uid}", data={"csrf_token": auth.csrf_token(f"/accounts/{uid}"),
                                                 **data})


def test_an_own_password_change_revokes_the_tokens(app, client, auth, db, district, token_for):
    headers = token_for("unit")
    assert client.get("/api/v1/windows", headers=headers).status_code == 200
    other = _signed_in(app, "unit")
    auth.login("unit")
    resp = client.post("/password", data={"csrf_token": auth.csrf_token("/password"),
                                          "current": "unit-password", "new": "a-new-password",
                                          "repeated": "a-new-password"})
    assert resp.status_code == 302
    assert "访问令牌已撤销" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert client.get("/").status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the other one ends
    assert client.get("/api/v1/windows", headers=headers).status_code == 401
    assert _live_tokens(db, "unit") == 0 and _revocations(db) == ["unit"]


def test_a_reset_by_the_office_ends_every_session_and_revokes_the_tokens(app, client, auth, db,
                                                                        district, token_for):
    headers = token_for("agency")
    other = _signed_in(app, "agency")
    auth.login("office")
    uid = _uid(db, "agency")
    resp = client.post(f"/accounts/{uid}/reset",
                       data={"csrf_token": auth.csrf_token(f"/accounts/{uid}")})
    assert resp.status_code == 200 and "访问令牌已撤销" in resp.get_data(as_text=True)
    assert other.get("/").status_code == 302
    assert client.get("/api/v1/windows", headers=headers).status_code == 401
    assert _live_tokens(db, "agency") == 0 and _revocations(db) == ["agency"]


def test_a_role_change_ends_the_sessions_and_revokes_the_tokens(app, client, auth, db, district,
                                                                token_for):
    headers = token_for("unit")
    other = _signed_in(app, "unit")
    auth.login("office")
    uid = _uid(db, "unit")
    resp = _edit(client, auth, uid, role="authority", scopes="tax", display_name="unit")
    assert resp.status_code == 302
    assert "登录已失效" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert other.get("/").status_code == 302
    assert client.get("/api/v1/windows", headers=headers).status_code == 401
    assert _revocations(db) == ["unit"]
    with db() as s:
        entry = s.scalars(sa.select(AuditLog).where(AuditLog.action == "update",
                                                    AuditLog.entity_type == "user")).one()
        assert entry.before == {"role": "unit", "scopes": ["CD-SW"]}


def test_a_scope_change_ends_the_sessions_and_keeps_the_tokens_on_the_new_scope(
        app, client, auth, db, district, token_for):
    headers = token_for("unit")
    other = _signed_in(app, "unit")
    auth.login("office")
    uid = _uid(db, "unit")
    assert _edit(client, auth, uid, role="unit", scopes="CD-RMYY-001",
                 display_name="unit").status_code == 302
    assert other.get("/").status_code == 302
    # The token goes on, seeing the new scope only.
    assert client.get("/api/v1/windows/CD-RMYY-001", headers=headers).status_code == 200
    assert client.get("/api/v1/windows/CD-SW-001", headers=headers).status_code in (403, 404)
    assert _live_tokens(db, "unit") == 1 and _revocations(db) == []


def test_a_new_shown_name_alone_ends_nothing(app, client, auth, db, district, token_for):
    headers = token_for("unit")
    other = _signed_in(app, "unit")
    auth.login("office")
    uid = _uid(db, "unit")
    assert _edit(client, auth, uid, role="unit", scopes="CD-SW",
                 display_name="税务窗口").status_code == 302
    assert other.get("/").status_code == 200
    assert client.get("/api/v1/windows", headers=headers).status_code == 200


def test_disabling_ends_the_sessions_and_revokes_the_tokens(app, client, auth, db, district,
                                                            token_for):
    headers = token_for("authority")
    other = _signed_in(app, "authority")
    auth.login("office")
    uid = _uid(db, "authority")
    client.post(f"/accounts/{uid}/disable", data={"csrf_token": auth.csrf_token(f"/accounts/{uid}")})
    assert other.get("/").status_code == 302
    assert client.get("/api/v1/windows", headers=headers).status_code == 401
    assert _revocations(db) == ["authority"]


def test_the_cli_password_change_revokes_the_tokens_too(runner, client, db, district, token_for):
    headers = token_for("agency")
    r = runner.invoke(args=["users", "passwd", "agency"], input="another-password\nanother-password\n")
    assert r.exit_code == 0, r.output
    assert client.get("/api/v1/windows", headers=headers).status_code == 401
    assert _revocations(db) == ["agency"]
