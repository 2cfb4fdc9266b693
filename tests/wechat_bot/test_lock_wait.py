"""A message waits for a database lock only WW_MESSAGE_WAIT_MS: WeChat gives up after 5 seconds,
so the citizen is told 系统繁忙 in time, nothing is stored, and WeChat's retry succeeds later."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from feedback_api.config import ConfigError, load_config
from feedback_api.db import SQLITE_BUSY_MS
from feedback_api.models import Feedback
from wechat_bot import replies
from wechat_bot.models import WechatInboundMessage

OPENID = "oCitizen0000000000000000077"


@contextmanager
def writer_elsewhere(app) -> Iterator[None]:
    """Another process holds the lock the message's write needs."""
    engine = app.extensions["ww_engine"]
    if engine.dialect.name == "sqlite":
        other = sqlite3.connect(engine.url.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("LOCK TABLE wechat_inbound_messages IN EXCLUSIVE MODE")
            try:
                yield
            finally:
                conn.rollback()


@pytest.fixture
def short_wait(app, monkeypatch) -> int:
    wait_ms = 400
    monkeypatch.setitem(app.config, "WW_MESSAGE_WAIT_MS", wait_ms)
    return wait_ms


def stored(db) -> tuple[int, int]:
    with db() as s:
        return (s.scalar(sa.select(sa.func.count()).select_from(WechatInboundMessage)),
                s.scalar(sa.select(sa.func.count()).select_from(Feedback)))


def test_a_message_blocked_by_another_writer_is_answered_busy_in_time(
        app, wechat, district, db, short_wait, caplog):
    wechat.scan(OPENID, "CD-SW-001")
    xml = wechat.peer.text(OPENID, "4")
    with writer_elsewhere(app):
        started = time.monotonic()
        reply = wechat.send(xml)
        elapsed = time.monotonic() - started
    assert reply == replies.BUSY
    # It did wait, and less than the default wait (2 s) or SQLite's usual 30 s would take: the
    # bound leaves a loaded two-core machine 1.6 s for the request itself.
    assert short_wait / 1000 * 0.4 <= elapsed < 2.0
    assert "database busy" in caplog.text
    assert stored(db) == (1, 0)  # the scan only
    # WeChat's retry of the same message, once the lock is gone, is handled in full.
    reply = wechat.send(xml)
    assert "受理编号" in reply
    assert stored(db) == (2, 1)


def test_sqlite_connections_get_their_usual_wait_back(app, wechat, district, short_wait):
    engine = app.extensions["ww_engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's busy timeout")
    engine.dispose()  # one pooled connection: the message's
    wechat.scan(OPENID, "CD-SW-001")
    # The pool hands back the connection the message used: it keeps the message's short wait
    # (the next message needs it again) until a transaction of another kind begins on it.
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw.execute("PRAGMA busy_timeout").fetchone()[0] < SQLITE_BUSY_MS
        conn.begin()
        assert raw.execute("PRAGMA busy_timeout").fetchone()[0] == SQLITE_BUSY_MS


def test_postgresql_bounds_only_the_messages_transaction(app, wechat, district):
    engine = app.extensions["ww_engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's lock and statement timeouts")
    wechat.scan(OPENID, "CD-SW-001")
    engine.dispose()  # one pooled connection: the next message's
    wechat.scan(OPENID, "CD-SW-002")
    with engine.connect() as conn:  # the same connection: SET LOCAL ended with the message
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "0"
        assert conn.exec_driver_sql("SHOW lock_timeout").scalar_one() == "0"


@pytest.mark.parametrize("raw", ["0", "-5", "5000", "soon"])
def test_the_wait_is_checked_at_start(monkeypatch, raw):
    monkeypatch.setenv("WW_MESSAGE_WAIT_MS", raw)
    with pytest.raises(ConfigError, match="WW_MESSAGE_WAIT_MS"):
        load_config({"WW_ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": "sqlite://"})
