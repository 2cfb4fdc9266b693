"""The webhook on SQLite: a message's unit holds the write lock from its start, so a write
committed by another process meanwhile (the office, a scheduled job) cannot make it fail.

(A read first would pin a snapshot that SQLite then refuses to turn into a write once another
connection has committed: "database is locked", and the citizen would be told to retry.)
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
import sqlalchemy as sa

from feedback_api.models import Feedback
from wechat_bot.handlers import dispatcher

OPENID = "oCitizen0000000000000000088"


@pytest.fixture(autouse=True)
def _sqlite_only(app):
    if app.extensions["ww_engine"].dialect.name != "sqlite":
        pytest.skip("SQLite's write lock (PostgreSQL's rows lock one by one)")


def test_another_process_cannot_write_between_a_messages_read_and_its_write(
        wechat, district, db, app, monkeypatch):
    wechat.scan(OPENID, "CD-SW-001")
    path = app.extensions["ww_engine"].url.database
    outcome: list[str] = []
    handle = dispatcher.handle

    def meanwhile(ctx: Any) -> str:
        # Another process writes while the message is being handled (after its read).
        other = sqlite3.connect(path, timeout=0.2)
        try:
            other.execute("UPDATE windows SET name = name WHERE code = 'CD-SW-002'")
            other.commit()
            outcome.append("written")
        except sqlite3.OperationalError as exc:
            outcome.append(str(exc))
        finally:
            other.close()
        return handle(ctx)

    monkeypatch.setattr(dispatcher, "handle", meanwhile)
    reply = wechat.say(OPENID, "4")
    assert outcome == ["database is locked"]  # it waited for the message's unit
    assert "受理编号" in reply
    with db() as s:
        assert [f.rating for f in s.scalars(sa.select(Feedback))] == [4]


def test_commits_wait_for_the_disk(app):
    """WAL with synchronous=FULL: a commit (a citizen's receipt number) survives a power cut."""
    with app.extensions["ww_engine"].connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
