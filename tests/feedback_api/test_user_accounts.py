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
