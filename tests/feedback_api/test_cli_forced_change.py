"""A password chosen with the CLI (`users add`, `users passwd`) was typed by whoever ran it, as
one the office sets on the web is shown to it: its holder must choose their own at the next
sign-in, until then every page leads to 修改密码 and the API refuses their tokens. An account the
operator keeps for themselves or for the API alone opts out with --no-force-change."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import User
from tests.conftest import AuthActions


def _flag(db, name: str) -> bool:
    with db() as s:
        return s.scalars(sa.select(User.must_change_password).where(User.username == name)).one()


def _token(runner, name: str) -> dict[str, str]:
    r = runner.invoke(args=["tokens", "create", name])
    assert r.exit_code == 0, r.output
    return {"Authorization": f"Bearer {r.stdout.strip()}"}


def _lands_on(app, name: str, password: str) -> str:
    """Where ``name`` lands after signing in on a new browser: the path the home page sends
    them to, or /."""
    client = app.test_client()
    AuthActions(client).login(name, password)
    response = client.get("/")
    return response.headers["Location"] if response.status_code == 302 else "/"


def test_users_add_forces_a_new_password_at_first_sign_in(app, runner, client, auth, db, district):
    r = runner.invoke(args=["users", "add", "zhang", "--role", "agency", "--password", "password-1"])
    assert r.exit_code == 0, r.output
    assert "首次登录须修改密码" in r.output
    assert _flag(db, "zhang")
    token = _token(runner, "zhang")
    refused = client.get("/api/v1/me", headers=token)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "password_change_required"
    assert _lands_on(app, "zhang", "password-1").endswith("/password")


def test_users_passwd_forces_a_new_password_at_the_next_sign_in(app, runner, client, auth, db, district):
    r = runner.invoke(args=["users", "passwd", "unit", "--password", "a-new-password"])
    assert r.exit_code == 0, r.output
    assert "下次登录须修改密码" in r.output
    assert _flag(db, "unit")
    assert _lands_on(app, "unit", "a-new-password").endswith("/password")
    auth.login("unit", "a-new-password")
    changed = client.post("/password", data={
        "current": "a-new-password", "new": "unit-own-password", "repeated": "unit-own-password",
        "csrf_token": auth.csrf_token("/password")})
    assert changed.status_code == 302, changed.get_data(as_text=True)
    assert not _flag(db, "unit")
    assert _lands_on(app, "unit", "unit-own-password") == "/"


def test_no_force_change_keeps_the_password_as_typed(app, runner, client, auth, db, district):
    r = runner.invoke(args=["users", "add", "bot", "--role", "agency", "--password", "password-1",
                            "--no-force-change"])
    assert r.exit_code == 0, r.output
    assert not _flag(db, "bot")
    assert client.get("/api/v1/me", headers=_token(runner, "bot")).status_code == 200
    r = runner.invoke(args=["users", "passwd", "office", "--password", "office-new-pw",
                            "--no-force-change"])
    assert r.exit_code == 0, r.output
    assert not _flag(db, "office")
    assert _lands_on(app, "office", "office-new-pw") == "/"


def test_a_token_for_an_account_that_must_change_says_it_waits(runner, db, district):
    runner.invoke(args=["users", "passwd", "agency", "--password", "a-new-password"])
    r = runner.invoke(args=["tokens", "create", "agency"])
    assert r.exit_code == 0 and r.stdout.strip().startswith("ww_")
    assert "\n" not in r.stdout.strip()  # the token alone on standard output
    assert "修改密码" in r.stderr
    # It does not promise the token will work after the change, which revokes it.
    assert "撤销" in r.stderr and "重新创建" in r.stderr


def test_users_passwd_lifts_a_sign_in_lock_as_the_web_reset_does(app, runner, db, district):
    """An account that guesses from many addresses locked is let in by a new password the
    operator sets, as by the office's reset on the web: the lock is lifted at once."""
    from feedback_api.services import signin

    with db() as s:
        for n in range(signin.ACCOUNT_LOCK_AFTER + 1):
            assert signin.authenticate("unit", "a-wrong-guess", f"10.0.{n // 4}.{n}") is None
        s.commit()
        assert s.scalars(sa.select(User.locked_until).where(User.username == "unit")).one()
    r = runner.invoke(args=["users", "passwd", "unit", "--password", "a-new-password"])
    assert r.exit_code == 0, r.output
    assert "已解除登录锁定" in r.output
    with db() as s:
        user = s.scalars(sa.select(User).where(User.username == "unit")).one()
        assert user.locked_until is None and user.failed_logins == 0
    assert _lands_on(app, "unit", "a-new-password").endswith("/password")
    # An account that was not locked is told nothing of a lock.
    r = runner.invoke(args=["users", "passwd", "agency", "--password", "a-new-password"])
    assert r.exit_code == 0 and "锁定" not in r.output
