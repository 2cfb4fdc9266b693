"""Revocation: API tokens listed, revoked and expiring; users disabled and enabled; a password
change or disabling ends every session at its next request (issue 12, item 5)."""

from datetime import timedelta

import sqlalchemy as sa

from feedback_api.db import utcnow
from feedback_api.models import ApiToken, AuditLog, User


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


def _audit(db, action: str, entity_type: str) -> list[AuditLog]:
    with db() as s:
        return list(s.scalars(sa.select(AuditLog).where(AuditLog.action == action,
                                                        AuditLog.entity_type == entity_type)))


def test_a_password_change_ends_the_sessions_signed_in_before(runner, auth, client, district):
    auth.login("agency")
    assert _signed_in(client)
    assert client.get("/api/v1/me").status_code == 200
    r = runner.invoke(args=["users", "passwd", "agency", "--password", "a-new-password"])
    assert r.exit_code == 0, r.output
    assert not _signed_in(client)  # redirected to the sign-in page
    assert client.get("/api/v1/me").status_code == 401
    auth.login("agency", "a-new-password")  # signed in, and asked to choose their own first
    assert client.get("/").headers["Location"].endswith("/password")


def test_disabling_a_user_ends_their_sessions_and_tokens_at_the_next_request(
        runner, auth, client, db, district, token_for):
    headers = token_for("unit")
    auth.login("unit")
    assert _signed_in(client)
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    r = runner.invoke(args=["users", "disable", "unit"])
    assert r.exit_code == 0, r.output
    assert not _signed_in(client)
    resp = client.get("/api/v1/me", headers=headers)
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "unauthorized"
    auth.login("unit")
    assert not _signed_in(client)  # a disabled user cannot sign in again
    with db() as s:
        assert s.scalars(sa.select(ApiToken)).one().revoked_at is not None
    [entry] = _audit(db, "disable", "user")
    assert entry.entity_id == "unit" and entry.actor == "cli"
    assert _audit(db, "revoke", "api_token")  # the tokens went with the user

    assert "disabled" in runner.invoke(args=["users", "list"]).output
    r = runner.invoke(args=["users", "enable", "unit"])
    assert r.exit_code == 0, r.output
    assert len(_audit(db, "enable", "user")) == 1
    auth.login("unit")
    assert _signed_in(client)
    # A token revoked while disabled stays revoked: enabling gives access back by password only.
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_disable_and_enable_refuse_unknown_users_and_do_nothing_twice(runner, db, district):
    r = runner.invoke(args=["users", "disable", "ghost"])
    assert r.exit_code == 1 and "不存在" in r.output
    assert runner.invoke(args=["users", "disable", "agency"]).exit_code == 0
    again = runner.invoke(args=["users", "disable", "agency"])
    assert again.exit_code == 0 and "已停用" in again.output
    assert len(_audit(db, "disable", "user")) == 1


def test_tokens_list_and_revoke(runner, client, db, district, token_for):
    first = token_for("unit")
    second = token_for("agency")
    out = runner.invoke(args=["tokens", "list"])
    assert out.exit_code == 0, out.output
    lines = out.stdout.strip().splitlines()
    assert lines[0].split("\t")[:3] == ["ID", "用户", "名称"]
    assert len(lines) == 3
    with db() as s:
        unit_token = s.scalars(sa.select(ApiToken).join(ApiToken.user)
                               .where(User.username == "unit")).one()
        token_id, prefix = unit_token.id, unit_token.prefix
    assert any(line.startswith(f"{token_id}\tunit\t") and prefix in line for line in lines)
    assert first["Authorization"].removeprefix("Bearer ").startswith(prefix)
    only_unit = runner.invoke(args=["tokens", "list", "--user", "unit"]).stdout.strip().splitlines()
    assert len(only_unit) == 2

    r = runner.invoke(args=["tokens", "revoke", str(token_id)])
    assert r.exit_code == 0, r.output
    assert client.get("/api/v1/me", headers=first).status_code == 401
    assert client.get("/api/v1/me", headers=second).status_code == 200
    [entry] = _audit(db, "revoke", "api_token")
    assert entry.entity_id == str(token_id) and entry.after["user"] == "unit"
    listed = runner.invoke(args=["tokens", "list"]).stdout.splitlines()
    assert any(line.startswith(f"{token_id}\t") and "已撤销" in line for line in listed)
    again = runner.invoke(args=["tokens", "revoke", str(token_id)])
    assert again.exit_code == 0 and len(_audit(db, "revoke", "api_token")) == 1
    missing = runner.invoke(args=["tokens", "revoke", "99999"])
    assert missing.exit_code == 1 and "不存在" in missing.output
    bad = runner.invoke(args=["tokens", "revoke", "abc"])
    assert bad.exit_code != 0


def test_a_token_with_an_expiry_stops_working_after_it(runner, client, db, district):
    r = runner.invoke(args=["tokens", "create", "unit", "--expires-days", "30"])
    assert r.exit_code == 0, r.output
    headers = {"Authorization": f"Bearer {r.stdout.strip()}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with db() as s:
        token = s.scalars(sa.select(ApiToken)).one()
        left = token.expires_at - utcnow()
        assert timedelta(days=29, hours=23) < left <= timedelta(days=30)
        token.expires_at = utcnow() - timedelta(seconds=1)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert "已过期" in runner.invoke(args=["tokens", "list"]).stdout
    for bad in ("0", "-3", "100000"):
        refused = runner.invoke(args=["tokens", "create", "unit", "--expires-days", bad])
        assert refused.exit_code != 0, bad
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1


def test_the_session_loader_refuses_old_versions_and_disabled_users(app, db, district):
    from feedback_api.services import users

    with db():
        user = users.get_user("agency")
        current = user.get_id()
        assert users.load_session_user(current) is user
        for stale in (str(user.id), f"{user.id}:{user.session_version - 1}", "x:1", "", f"{user.id}:x"):
            assert users.load_session_user(stale) is None, stale
        users.disable_user(None, user)
        assert users.load_session_user(current) is None
        assert users.load_session_user(user.get_id()) is None  # the new version, still disabled


def test_the_office_reads_revocations_and_disabling_in_its_audit_log(runner, auth, client, district,
                                                                    token_for):
    token_for("unit")
    assert runner.invoke(args=["users", "disable", "unit"]).exit_code == 0
    assert runner.invoke(args=["users", "enable", "unit"]).exit_code == 0
    auth.login("office")
    page = client.get("/audit").get_data(as_text=True)
    assert "停用账号" in page and "启用账号" in page and "撤销" in page


def test_the_last_active_office_account_cannot_be_disabled(runner, db, district):
    # Nobody could then manage accounts, the standard or delisting from the web.
    r = runner.invoke(args=["users", "disable", "office"])
    assert r.exit_code == 1
    assert "最后一个" in r.output and "联席办" in r.output
    with db() as s:
        assert s.scalars(sa.select(User).where(User.username == "office")).one().active
    assert _audit(db, "disable", "user") == []

    r = runner.invoke(args=["users", "add", "office2", "--role", "office",
                            "--password", "office2-password"])
    assert r.exit_code == 0, r.output
    assert runner.invoke(args=["users", "disable", "office"]).exit_code == 0
    r = runner.invoke(args=["users", "disable", "office2"])
    assert r.exit_code == 1 and "最后一个" in r.output
    assert runner.invoke(args=["users", "enable", "office"]).exit_code == 0
    assert runner.invoke(args=["users", "disable", "office2"]).exit_code == 0


def test_the_office_unlocks_a_locked_account_at_once(runner, db, district):
    from feedback_api.services import signin as users

    for i in range(users.ACCOUNT_LOCK_AFTER // users.LOCK_AFTER):
        for _ in range(users.LOCK_AFTER):
            with db():
                assert users.authenticate("unit", "wrong-password", f"192.0.2.{i}") is None
    with db():
        assert users.authenticate("unit", "unit-password", "198.51.100.7") is None  # locked
    r = runner.invoke(args=["users", "enable", "unit"])
    assert r.exit_code == 0 and "已解除用户 unit 的锁定" in r.output
    with db():
        assert users.authenticate("unit", "unit-password", "198.51.100.7") is not None
    [entry] = _audit(db, "unlock", "user")
    assert entry.entity_id == "unit" and entry.actor == "cli"
    r = runner.invoke(args=["users", "enable", "unit"])  # neither disabled nor locked
    assert r.exit_code == 0 and "本已启用" in r.output
