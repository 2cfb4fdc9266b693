"""The webhook on PostgreSQL: a concurrent write that wins a race makes a message run again;
a lost connection is replaced; commits wait for the disk.

SQLite needs none of the first: its message transactions hold the write lock from their start.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from feedback_api.models import Citizen, Feedback
from wechat_bot import replies
from wechat_bot.handlers import dispatcher
from wechat_bot.models import CitizenContact, WechatInboundMessage

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
    """Two first messages of a new citizen in two workers: the second waits at the citizen's
    unique pseudonym, fails once the first commits, and runs again as a known citizen's."""
    import threading
    import time

    from tests.wechat_bot.conftest import WechatTester

    runs: list[int] = []
    handle = dispatcher.handle
    first_inside = threading.Event()

    def slow_first(ctx: Any) -> str:
        runs.append(1)
        if len(runs) == 1:
            first_inside.set()
            time.sleep(0.3)  # the other first message arrives meanwhile
        return handle(ctx)

    monkeypatch.setattr(dispatcher, "handle", slow_first)
    other = WechatTester(app.test_client(), wechat.peer, wechat.mode)
    scan_xml = wechat.peer.scan(OPENID, "CD-SW-001")
    out: dict[str, str | None] = {}
    worker = threading.Thread(target=lambda: out.setdefault("scan", other.send(scan_xml)))
    worker.start()
    assert first_inside.wait(5)
    rating = wechat.say(OPENID, "4")
    worker.join(5)
    assert "综合办税窗口" in (out["scan"] or "") and "受理编号" in rating
    assert len(runs) == 2  # the rating ran once, after the scan committed (a known citizen)
    with db() as s:
        [citizen] = s.scalars(sa.select(Citizen)).all()
        [item] = s.scalars(sa.select(Feedback)).all()
        assert item.citizen_id == citizen.id and item.rating == 4
        assert s.scalar(sa.select(sa.func.count()).select_from(CitizenContact)) == 1


def _end_other_connections(app, database_url) -> None:
    """End the server side of every other connection of ours (as a server restart would)."""
    from feedback_api.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:
        ended = conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
            "current_database() AND usename = current_user AND pid <> pg_backend_pid()"
        )).scalars().all()
    engine.dispose()
    assert ended and all(ended)


def test_a_lost_connection_is_replaced_without_troubling_the_citizen(wechat, district, db, app,
                                                                     database_url):
    """The server ended the webhook's pooled connection (a restart, say): the pool's ping at
    checkout finds it gone and the message runs on a new one."""
    wechat.scan(OPENID, "CD-SW-001")
    _end_other_connections(app, database_url)
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
