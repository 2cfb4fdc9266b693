"""A clerk whose Chinese input method is left in full-width mode types ｏｆｆｉｃｅ at sign-in:
usernames are stored NFKC-normalised (users.check_username), so the typed name is read the same
way wherever a username is looked up from typed input (the sign-in form, the CLI's users and
tokens commands); the failures of either width count against the one account."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import User
from feedback_api.services import signin
from feedback_api.services import users as user_service

FULL = "ｏｆｆｉｃｅ"  # "office" as a Chinese input method types it in 全角


def test_a_username_typed_in_full_width_signs_in(client, auth, district):
    resp = auth.login(FULL, "office-password")
    assert resp.status_code == 302 and not resp.headers["Location"].endswith("/login")
    assert client.get("/accounts").status_code == 200  # the office's own page


def test_full_and_half_width_failures_count_against_one_account(app, db, district):
    address = "192.0.2.40"
    for i in range(signin.LOCK_AFTER):  # alternately typed in either width
        with db():
            assert signin.authenticate(FULL if i % 2 else "office", "wrong-password", address) is None
    with db():  # this address now waits for the account, in either width
        assert signin.authenticate(FULL, "office-password", address) is None
        assert signin.authenticate("office", "office-password", address) is None
    with db() as s:
        user = s.scalars(sa.select(User).where(User.username == "office")).one()
        assert user.failed_logins == signin.LOCK_AFTER
    with db():  # another address is not made to wait
        assert signin.authenticate(FULL, "office-password", "192.0.2.41").username == "office"


def test_a_stored_full_width_name_still_signs_in_as_stored(app, db, district):
    """Accounts added before names were normalised keep their full-width name: typed as stored,
    it is that account's (nothing stored lost)."""
    with db() as s:
        user = s.scalars(sa.select(User).where(User.username == "agency")).one()
        user.username = "ａｇｅｎｃｙ"
    with db():
        assert signin.authenticate("ａｇｅｎｃｙ", "agency-password", "192.0.2.42").username == "ａｇｅｎｃｙ"
        assert user_service.get_user("ａｇｅｎｃｙ").username == "ａｇｅｎｃｙ"


def test_cli_commands_find_a_user_typed_in_full_width(runner, db, district):
    result = runner.invoke(args=["users", "passwd", "ｕｎｉｔ", "--password", "new-password-1",
                                 "--no-force-change"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["tokens", "create", "ｕｎｉｔ", "--label", "脚本"])
    assert result.exit_code == 0 and result.output.strip().startswith("ww_"), result.output
    result = runner.invoke(args=["users", "disable", "ａｕｔｈｏｒｉｔｙ"])
    assert result.exit_code == 0, result.output
    with db() as s:
        assert not s.scalars(sa.select(User).where(User.username == "authority")).one().active


def test_the_office_finds_an_account_typed_in_full_width_to_reset_it(client, auth, district):
    auth.login("office")
    page = client.get("/accounts", query_string={"q": "ＡＵＴＨ"}).get_data(as_text=True)
    assert ">authority</a>" in page and ">unit</a>" not in page
