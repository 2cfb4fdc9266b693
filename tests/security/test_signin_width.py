"""A username typed in full width (signin.find_user: as typed, else NFKC) names one account: its
refused sign-ins are in the audit log under that account's name, where the office looks for them;
no new account may be named so that it reads as an account kept with a full-width name; the CLI
says which account it changed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api.models import User
from feedback_api.services import audit, signin
from feedback_api.services import users as user_service
from feedback_api.services.errors import ValidationError


def _failures(db, entity: str) -> list[dict]:
    with db():
        entries, _total = audit.list_entries(entity=entity, action="sign_in_failed")
        return [e.after for e in entries]


def test_a_failure_typed_in_full_width_is_logged_under_the_account(client, auth, db, district):
    auth.login("ｏｆｆｉｃｅ", "a-wrong-guess-123")
    auth.login("office", "a-wrong-guess-456")
    # The office filters the log by the account's name: both refusals are there, the typed
    # form kept beside the one that differs.
    assert _failures(db, "office") == [
        {"address": "127.0.0.1", "result": "密码错误"},
        {"address": "127.0.0.1", "result": "密码错误", "typed": "ｏｆｆｉｃｅ"},
    ]
    assert _failures(db, "ｏｆｆｉｃｅ") == []
    auth.login("office")
    page = client.get("/audit", query_string={"entity": "office", "action": "sign_in_failed"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "输入的用户名" in text and "ｏｆｆｉｃｅ" in text


def test_an_unknown_name_is_still_logged_as_typed(client, auth, db, district):
    auth.login("ｇｈｏｓｔ", "a-wrong-guess-123")
    assert _failures(db, "ｇｈｏｓｔ") == [{"address": "127.0.0.1", "result": "用户名不存在"}]


def test_a_lock_and_its_failures_name_the_same_account(db, district):
    for i in range(signin.ACCOUNT_LOCK_AFTER + 1):
        with db():
            signin.authenticate("ａｇｅｎｃｙ", "wrong-password", f"192.0.2.{i}")
    with db():
        locks, _ = audit.list_entries(entity="agency", action="lock")
    assert len(locks) == 1
    assert len(_failures(db, "agency")) == signin.ACCOUNT_LOCK_AFTER + 1


@pytest.mark.parametrize("name", ["agency", "AGENCY", "ａｇｅｎｃｙ", "Ａｇｅｎｃｙ"])
def test_no_new_account_reads_as_one_kept_in_full_width(db, district, name):
    """An account added before names were normalised keeps ａｇｅｎｃｙ: a new "agency" beside it
    would take the sign-ins of a person typing in full width (and lock them out by its failures)."""
    with db() as s:
        s.scalars(sa.select(User).where(User.username == "agency")).one().username = "ａｇｅｎｃｙ"
    with db():
        with pytest.raises(ValidationError) as exc:
            user_service.create_user(None, name, role="agency", password="a-good-password")
        assert exc.value.code == "duplicate" and "已存在" in exc.value.message
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(User).where(
            sa.func.lower(User.username) == "agency")) == 0


def test_the_cli_names_the_account_it_changed(runner, db, district):
    result = runner.invoke(args=["users", "passwd", "ｕｎｉｔ", "--password", "new-password-1",
                                 "--no-force-change"])
    assert result.exit_code == 0 and "已修改 unit 的密码" in result.output, result.output
    result = runner.invoke(args=["users", "disable", "ａｕｔｈｏｒｉｔｙ"])
    assert result.exit_code == 0 and "已停用用户 authority" in result.output, result.output
    result = runner.invoke(args=["users", "edit", "ａｇｅｎｃｙ", "--display-name", "第三方"])
    assert result.exit_code == 0 and "已修改用户 agency" in result.output, result.output


def test_hostile_names_at_sign_in_are_refused_alike(client, auth, db, district):
    """Whatever is typed as the name (NFKC may lengthen it eighteen-fold: ﷺ): refused (the one
    message, or a request refused whole), never a server error, never another account's sign-in."""
    from tests.security.test_injection import HOSTILE

    assert auth.login("\u3000ｏｆｆｉｃｅ\u3000", "office-password").status_code == 302  # ends trimmed
    client.post("/logout", data={"csrf_token": auth.csrf_token("/password")})
    for name in [*HOSTILE, "\ufdfa" * 64, "ｏｆｆｉｃｅ\x00", "\x00ｏｆｆｉｃｅ", "ｏｆｆｉｃｅ%",
                 "ＯＦＦＩＣＥ", "ｏｆｆｉｃｅ\u200b", "ｏｆｆ_ｃｅ"]:
        resp = auth.login(name, "office-password")
        assert resp.status_code in (200, 400), (name, resp.status_code)
