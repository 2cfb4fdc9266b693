"""Accounts as the office adds them: usernames checked with Chinese messages, duplicates refused
(also when they differ only in case, which sign-in would tell apart but people would not)."""

import pytest
import sqlalchemy as sa

from feedback_api.models import User


@pytest.mark.parametrize("name", ["zhang san", "zhang\tsan", "zhang\u200bsan", "zhang\x00san", "a" * 65])
def test_a_username_with_spaces_or_control_characters_is_refused_in_chinese(runner, db, name):
    r = runner.invoke(args=["users", "add", name, "--role", "agency", "--password", "password-1"])
    assert r.exit_code == 1
    assert "用户名" in r.output
    with db() as s:
        assert s.scalars(sa.select(User)).all() == []


def test_a_chinese_username_is_accepted(runner, db):
    r = runner.invoke(args=["users", "add", " 张三 ", "--role", "agency", "--password", "password-1"])
    assert r.exit_code == 0, r.output
    with db() as s:
        assert s.scalars(sa.select(User.username)).all() == ["张三"]


def test_a_username_differing_only_in_case_is_a_duplicate(runner, db, district):
    r = runner.invoke(args=["users", "add", "Agency", "--role", "agency", "--password", "password-1"])
    assert r.exit_code == 1 and "已存在" in r.output
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(User)
                        .where(sa.func.lower(User.username) == "agency")) == 1


def test_a_scope_change_takes_effect_at_the_next_request(runner, auth, client, db, district, token_for):
    headers = token_for("unit")
    auth.login("unit")
    assert client.get("/windows/CD-SW-001").status_code == 200
    assert client.get("/windows/CD-RMYY-001").status_code in (403, 404)
    r = runner.invoke(args=["users", "edit", "unit", "--scope", "CD-RMYY-001"])
    assert r.exit_code == 0, r.output
    assert "CD-RMYY-001" in r.output
    assert client.get("/windows/CD-SW-001").status_code == 302  # the session ended: sign in
    auth.login("unit")
    assert client.get("/windows/CD-SW-001").status_code in (403, 404)
    assert client.get("/windows/CD-RMYY-001").status_code == 200
    assert client.get("/api/v1/windows/CD-SW-001", headers=headers).status_code in (403, 404)
    assert client.get("/api/v1/windows/CD-RMYY-001", headers=headers).status_code == 200
    with db() as s:
        from feedback_api.models import AuditLog

        entry = s.scalars(sa.select(AuditLog).where(AuditLog.action == "update",
                                                    AuditLog.entity_type == "user")).one()
        assert (entry.before, entry.after) == ({"scopes": ["CD-SW"]}, {"scopes": ["CD-RMYY-001"]})


def test_an_edit_is_checked_as_an_addition_is(runner, db, district):
    r = runner.invoke(args=["users", "edit", "unit", "--scope", "NOPE"])
    assert r.exit_code == 1 and "范围" in r.output
    r = runner.invoke(args=["users", "edit", "agency", "--role", "authority"])
    assert r.exit_code == 1 and "须指定范围" in r.output
    r = runner.invoke(args=["users", "edit", "nobody", "--display-name", "某人"])
    assert r.exit_code == 1 and "不存在" in r.output
    r = runner.invoke(args=["users", "edit", "agency", "--role", "authority", "--scope", "tax",
                            "--display-name", "区税务局"])
    assert r.exit_code == 0, r.output
    with db() as s:
        user = s.scalars(sa.select(User).where(User.username == "agency")).one()
        assert (user.role, user.display_name, [x.industry for x in user.scopes]) == (
            "authority", "区税务局", ["tax"])


def test_the_last_active_office_account_cannot_be_demoted(runner, db, district):
    r = runner.invoke(args=["users", "edit", "office", "--role", "agency"])
    assert r.exit_code == 1 and "最后一个" in r.output
    with db() as s:
        assert s.scalars(sa.select(User.role).where(User.username == "office")).one() == "office"
    runner.invoke(args=["users", "add", "office2", "--role", "office", "--password", "password-2"])
    assert runner.invoke(args=["users", "edit", "office", "--role", "agency"]).exit_code == 0


def test_a_shown_name_too_long_is_refused_in_chinese(runner, db):
    r = runner.invoke(args=["users", "add", "zhang", "--role", "agency", "--password", "password-1",
                            "--display-name", "张" * 101])
    assert r.exit_code == 1 and "显示名称" in r.output
    r = runner.invoke(args=["users", "add", "zhang", "--role", "agency", "--password", "password-1",
                            "--display-name", "  "])
    assert r.exit_code == 0, r.output
    with db() as s:
        assert s.scalars(sa.select(User.display_name)).one() == "zhang"
