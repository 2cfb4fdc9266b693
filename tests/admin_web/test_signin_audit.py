"""Sign-ins in the audit log: who signed in from where, and every refused attempt with the name
tried and why; never the password."""

import sqlalchemy as sa

from feedback_api.models import AuditLog


def _entries(db, action):
    with db() as s:
        return [(e.actor, e.entity_id, e.after) for e in s.scalars(
            sa.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))]


def test_sign_ins_and_failures_are_audited_without_the_password(client, auth, db, district):
    auth.login("agency", "a-wrong-guess-123")
    auth.login("ghost", "another-guess-456")
    auth.login("agency")
    assert _entries(db, "sign_in_failed") == [
        ("anonymous", "agency", {"address": "127.0.0.1", "result": "密码错误"}),
        ("anonymous", "ghost", {"address": "127.0.0.1", "result": "用户名不存在"}),
    ]
    assert _entries(db, "sign_in") == [("agency", "agency", {"address": "127.0.0.1", "result": "成功"})]
    with db() as s:
        stored = " ".join(str((e.before, e.after, e.entity_id)) for e in s.scalars(sa.select(AuditLog)))
    assert "a-wrong-guess-123" not in stored and "another-guess-456" not in stored


def test_the_audit_page_names_sign_ins_in_chinese(client, auth, db, district):
    auth.login("unit", "wrong-password")
    auth.login("office")
    page = client.get("/audit").get_data(as_text=True)
    assert "登录失败" in page and "登录成功" in page and "登录地址" in page and "密码错误" in page


def test_an_address_made_to_wait_is_logged_once_not_at_every_further_guess(client, auth, db, district):
    # A flood of guesses from one address: its refusals are logged until the address is made to
    # wait (ADDRESS_LIMIT), then once for the waiting period, however many guesses follow.
    from feedback_api.services.signin import ADDRESS_LIMIT
    for i in range(ADDRESS_LIMIT + 15):
        auth.login(f"guess{i}", "wrong-password-000")
    results = [after["result"] for _actor, _name, after in _entries(db, "sign_in_failed")]
    assert results.count("用户名不存在") == ADDRESS_LIMIT
    assert results.count("该地址失败次数过多，须等待") == 1
    assert len(results) == ADDRESS_LIMIT + 1
