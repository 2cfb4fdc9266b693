"""The webhook on PostgreSQL: a message's rows go in one autocommit statement at the end, so
a concurrent write that wins a race makes it run again; a lost connection is replaced.

SQLite needs none of this: its writer lock runs the webhook's messages one at a time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from feedback_api.models import Citizen, CitizenContact, Feedback, WechatInboundMessage
from feedback_api.services import citizens
from wechat_bot import replies
from wechat_bot.handlers import dispatcher

OPENID = "oCitizen0000000000000000077"


@pytest.fixture(autouse=True)
def _postgresql_only(app):
    if app.extensions["ww_engine"].dialect.name != "postgresql":
        pytest.skip("PostgreSQL's webhook path (SQLite's writer lock serialises messages)")


def _while_handling_once(monkeypatch: pytest.MonkeyPatch, action: Any) -> list[int]:
    """Run ``action`` (as another process would) once, while the next message is handled:
    after its read, before its write. Returns a list counting the handler's runs."""
    runs: list[int] = []
    handle = dispatcher.handle

    def racing(ctx: Any) -> str:
        runs.append(1)
        if len(runs) == 1:
            action()
        return handle(ctx)

    monkeypatch.setattr(dispatcher, "handle", racing)
    return runs


def test_a_delivery_that_commits_first_gives_its_reply_to_the_other(wechat, district, db, app,
                                                                    monkeypatch):
    """WeChat retried the message while we handled it, and the retry committed first: ours
    stores nothing and answers with the retry's reply."""
    wechat.scan(OPENID, "CD-SW-001")

    def other_delivery() -> None:
        with app.extensions["ww_engine"].begin() as conn:
            conn.execute(sa.insert(WechatInboundMessage).values(
                dedup_key="msg:990001", msg_type="text", reply="先到的那次答复"))

    runs = _while_handling_once(monkeypatch, other_delivery)
    assert wechat.say(OPENID, "5", msg_id="990001") == "先到的那次答复"
    assert len(runs) == 1  # the second run found the stored reply before handling anything
    with db() as s:
        assert s.scalars(sa.select(Feedback)).all() == []  # our rating went nowhere
        assert s.scalar(sa.select(sa.func.count()).select_from(WechatInboundMessage)
                        .where(WechatInboundMessage.dedup_key == "msg:990001")) == 1


def test_two_first_messages_of_a_new_citizen_make_one_citizen(wechat, district, db, app,
                                                              monkeypatch):
    """The citizen's other first message (in another worker) created the citizen meanwhile:
    ours runs again as a known citizen's."""

    def other_first_message() -> None:
        with app.app_context(), app.extensions["ww_engine"].begin() as conn:
            cid = conn.execute(sa.insert(Citizen).values(
                pseudonym=citizens.pseudonym_for(OPENID)).returning(Citizen.id)).scalar_one()
            conn.execute(sa.insert(CitizenContact).values(citizen_id=cid, openid=OPENID))

    runs = _while_handling_once(monkeypatch, other_first_message)
    assert "综合办税窗口" in wechat.scan(OPENID, "CD-SW-001")
    assert len(runs) == 2
    assert "受理编号" in wechat.say(OPENID, "4")
    with db() as s:
        [citizen] = s.scalars(sa.select(Citizen)).all()
        [item] = s.scalars(sa.select(Feedback)).all()
        assert item.citizen_id == citizen.id and item.rating == 4


def _end_other_connections(app) -> None:
    """End the server side of every other connection of ours (as a server restart would)."""
    with app.extensions["ww_engine"].connect() as conn:
        ended = conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
            "current_database() AND usename = current_user AND pid <> pg_backend_pid()"
        )).scalars().all()
    assert ended and all(ended)


def test_a_lost_connection_is_replaced_without_troubling_the_citizen(wechat, district, db, app):
    """The server ended the webhook's pooled connection (a restart, say); the connection is not
    pinged at checkout, so the next message's first statement finds it gone and runs again on
    a new one."""
    wechat.scan(OPENID, "CD-SW-001")
    _end_other_connections(app)
    reply = wechat.say(OPENID, "4")
    assert reply != replies.BUSY and "受理编号" in reply
    with db() as s:
        assert [f.rating for f in s.scalars(sa.select(Feedback))] == [4]


def test_commits_wait_for_the_disk_unless_the_opt_in_is_set(app, database_url, caplog):
    """A receipt number leaves only once its transaction is on disk; the faster setting is an
    explicit opt-in that warns at start."""
    from admin_web.app import create_app
    from feedback_api.db import dispose_engines

    def setting(engine: sa.Engine) -> str:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SHOW synchronous_commit").scalar_one()

    assert app.config["WW_DB_ASYNC_COMMIT"] is False
    assert all(setting(e) == "on" for k, e in app.extensions.items() if k.endswith("engine"))
    fast = create_app({**{k: app.config[k] for k in ("WW_ENV", "SECRET_KEY", "WW_INSTANCE_PATH")},
                       "DATABASE_URL": database_url, "WW_DB_ASYNC_COMMIT": True})
    try:
        assert setting(fast.extensions["ww_engine"]) == "off"
    finally:
        dispose_engines(fast)
    assert "WW_DB_ASYNC_COMMIT is on" in caplog.text


def test_the_durability_opt_in_is_read_from_the_environment(monkeypatch):
    from feedback_api.config import load_config

    base = {"WW_ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": "sqlite://"}
    assert load_config(base)["WW_DB_ASYNC_COMMIT"] is False
    monkeypatch.setenv("WW_DB_ASYNC_COMMIT", "1")
    assert load_config(base)["WW_DB_ASYNC_COMMIT"] is True


def test_a_write_is_never_run_again_on_a_new_connection(app, db, district):
    """A write may have taken effect before its connection broke: the unit fails (the webhook
    then answers 系统繁忙 and WeChat retries) rather than risk writing twice."""
    import psycopg

    from feedback_api import fastsql

    with db():
        cid = citizens.create_citizen("o-write-once", now=datetime(2026, 11, 28, tzinfo=UTC))
    touch = fastsql.Prepared(sa.update(Citizen).where(Citizen.id == sa.bindparam("cid"))
                             .values(last_seen_at=sa.bindparam("now")))
    with app.app_context(), pytest.raises(psycopg.OperationalError):
        with fastsql.unit_of_work() as uow:
            _end_other_connections(app)  # the unit's own connection among them
            touch.defer({"cid": cid, "now": datetime(2026, 11, 29, tzinfo=UTC)})
            uow.commit()
    with db() as s:
        assert s.get(Citizen, cid).last_seen_at == datetime(2026, 11, 28, tzinfo=UTC)
