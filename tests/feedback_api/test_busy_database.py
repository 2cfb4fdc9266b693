"""A busy database answers 503 with Retry-After, never a 500; a read does not fail over its own
bookkeeping; and on SQLite a request that may write takes the write lock before it reads."""

import sqlite3

import sqlalchemy as sa

from feedback_api import db as db_module
from feedback_api.db import Session
from feedback_api.models import ApiToken
from tests.sqlite_lock import sqlite_path, writer_after_first_read


def test_a_write_waiting_too_long_for_the_lock_gets_503_json(app, client, district, token_for,
                                                             monkeypatch, caplog):
    path = sqlite_path(app)
    headers = token_for("office")
    monkeypatch.setattr(db_module, "SQLITE_BUSY_MS", 200)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        resp = client.post("/api/v1/tickets", json={"window": "CD-SW-001"}, headers=headers)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "5"
    assert resp.get_json() == {"error": {"code": "busy", "message": "系统繁忙，请稍后再试"}}
    # The log says why (the driver's message), for whoever runs the service.
    assert "OperationalError: database is locked" in caplog.text


def test_a_page_write_waiting_too_long_gets_the_chinese_page(app, client, district, auth,
                                                             monkeypatch):
    path = sqlite_path(app)
    monkeypatch.setattr(db_module, "SQLITE_BUSY_MS", 200)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        resp = auth.login("office")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert resp.status_code == 503
    assert "系统繁忙" in resp.get_data(as_text=True) and "Traceback" not in resp.get_data(as_text=True)
    # Once the lock is free the same sign-in works.
    assert auth.login("office").status_code == 302


def test_a_write_request_waits_for_the_lock_instead_of_failing_on_a_stale_read(app, client,
                                                                               district, auth):
    """Sign-in reads (throttle counts, the user) and then writes. Another connection committing
    in between used to make SQLite refuse the write at once (a 500 under load); the request now
    holds the write lock from its start, so the other writer waits for it instead."""
    with writer_after_first_read(app, "UPDATE users SET display_name = display_name") as seen:
        resp = auth.login("office")
    assert resp.status_code == 302
    assert seen == ["read", "other waited"]


def test_a_token_read_records_its_last_use(client, district, token_for, db):
    headers = token_for("office")
    assert client.get("/api/v1/windows", headers=headers).status_code == 200
    with db() as s:
        assert s.scalar(sa.select(ApiToken.last_used_at)) is not None


def test_a_token_read_survives_a_busy_touch(app, client, district, token_for, db):
    """A read with a token touches its last use once a minute; when the database refuses that
    write (SQLite after a commit elsewhere since the read began, or a lock timeout), the read
    still answers."""
    headers = token_for("office")

    @sa.event.listens_for(Session, "before_flush", once=True)
    def _refuse(*_args) -> None:
        raise sa.exc.OperationalError("UPDATE api_tokens", {}, sqlite3.OperationalError("database is locked"))

    try:
        resp = client.get("/api/v1/windows", headers=headers)
    finally:
        if sa.event.contains(Session, "before_flush", _refuse):
            sa.event.remove(Session, "before_flush", _refuse)
    assert resp.status_code == 200 and resp.get_json()["total"] == 4
    with db() as s:
        assert s.scalar(sa.select(ApiToken.last_used_at)) is None  # the next read will record it
