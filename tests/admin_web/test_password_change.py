"""修改密码: a user changes their own password (the current one, the new one twice, at least 8
characters); their other sessions end, this one goes on. A new account or a reset by the office
must choose its own password first: every page but this one and signing out leads here, and the
API refuses its tokens with a JSON error saying why."""

import re

import pytest
import sqlalchemy as sa

from feedback_api.models import User


def _post(client, auth, current, new, repeated=None):
    return client.post("/password", data={"csrf_token": auth.csrf_token("/password"),
                                          "current": current, "new": new,
                                          "repeated": new if repeated is None else repeated})


@pytest.mark.parametrize("current,new,repeated,message", [
    ("wrong-password", "new-password-1", None, "当前密码不正确"),
    ("agency-password", "new-password-1", "new-password-2", "两次输入的新密码不一致"),
    ("agency-password", "short", None, "密码至少 8 位"),
    ("agency-password", "agency-password", None, "新密码不能与当前密码相同"),
])
def test_a_bad_change_is_refused_in_chinese_and_changes_nothing(client, auth, db, district,
                                                                current, new, repeated, message):
    auth.login("agency")
    resp = _post(client, auth, current, new, repeated)
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    assert auth.login("agency").status_code == 302  # the old password still works


def test_a_change_ends_the_other_sessions_and_keeps_this_one(app, client, auth, db, district):
    other = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      other.get("/login").get_data(as_text=True)).group(1)
    other.post("/login", data={"username": "unit", "password": "unit-password", "csrf_token": token})
    assert other.get("/").status_code == 200
    auth.login("unit")
    resp = _post(client, auth, "unit-password", "a-new-password")
    assert resp.status_code == 302
    assert client.get("/").status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the other one ends
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    assert auth.login("unit", "unit-password").status_code == 200  # refused: the form again
    assert auth.login("unit", "a-new-password").status_code == 302


def _reset_by_office(client, auth, db, name) -> str:
    auth.login("office")
    with db() as s:
        uid = s.scalar(sa.select(User.id).where(User.username == name))
    page = client.post(f"/accounts/{uid}/reset",
                       data={"csrf_token": auth.csrf_token(f"/accounts/{uid}")}).get_data(as_text=True)
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    return re.search(r'class="mono one-time-password">([^<]+)<', page).group(1)


def test_after_a_reset_every_page_leads_to_the_change_until_it_is_made(client, auth, db, district,
                                                                      token_for):
    held = token_for("unit")
    password = _reset_by_office(client, auth, db, "unit")
    assert client.get("/api/v1/me", headers=held).status_code == 401  # the reset revoked it
    # A token made while the office's password is in use is refused, with why.
    headers = token_for("unit")
    resp = client.get("/api/v1/me", headers=headers)
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "password_change_required"
    assert "修改密码" in resp.get_json()["error"]["message"]
    assert auth.login("unit", password).status_code == 302
    for path in ("/", "/windows", "/tickets", "/profile"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/password"), path
    assert "请先设置自己的新密码" in client.get("/password").get_data(as_text=True)
    assert client.get("/api/v1/me").status_code == 403  # the session's API calls too
    assert _post(client, auth, password, "unit-own-password").status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200  # the session's API calls go on
    # The change revoked every token made before it: whoever saw a password got nothing lasting.
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.get("/api/v1/me", headers=held).status_code == 401
    with db() as s:
        assert not s.scalar(sa.select(User.must_change_password).where(User.username == "unit"))


def test_the_refusal_tells_a_token_holder_what_the_change_does_to_the_token(client, auth, db,
                                                                           district, token_for):
    """The change revokes every token of the account, the one refused included: the refusal
    says so, and that a new token must be asked for, rather than that this one will work."""
    password = _reset_by_office(client, auth, db, "unit")
    headers = token_for("unit")
    message = client.get("/api/v1/me", headers=headers).get_json()["error"]["message"]
    assert "修改密码" in message and "撤销" in message and "重新创建" in message
    assert "之后才能使用接口" not in message
    auth.login("unit", password)
    # The session's own calls go on after the change: it is told only to change the password.
    session_message = client.get("/api/v1/me").get_json()["error"]["message"]
    assert "修改密码" in session_message and "撤销" not in session_message
    assert _post(client, auth, password, "unit-own-password").status_code == 302
    # What the message said: the token is revoked by the change.
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.get("/api/v1/me", headers=token_for("unit")).status_code == 200


def test_a_flagged_user_can_still_sign_out(client, auth, db, district):
    password = _reset_by_office(client, auth, db, "agency")
    auth.login("agency", password)
    resp = client.post("/logout", data={"csrf_token": auth.csrf_token("/password")})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    assert client.get("/").headers["Location"].startswith("/login")


def test_an_account_the_office_created_must_choose_its_password_at_first_sign_in(client, auth, db,
                                                                                district):
    auth.login("office")
    page = client.post("/accounts/new", data={
        "csrf_token": auth.csrf_token("/accounts"), "username": "expert1", "role": "expert",
        "display_name": "专家一"}).get_data(as_text=True)
    password = re.search(r'class="mono one-time-password">([^<]+)<', page).group(1)
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("expert1", password)
    assert client.get("/").headers["Location"].endswith("/password")


def test_an_open_session_cannot_guess_the_current_password(client, auth, db, district):
    from feedback_api.services.user_edits import CURRENT_TRIES

    auth.login("agency")
    for i in range(CURRENT_TRIES):
        assert _post(client, auth, f"guess-{i}-password", "new-password-1").status_code == 400
    resp = _post(client, auth, "agency-password", "new-password-1")  # right, but too late
    assert resp.status_code == 400 and "须等待 15 分钟" in resp.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    assert auth.login("agency").status_code == 302  # unchanged
