"""Migration 0044: users gain an optional ``email``; the users there before keep everything and
have none, and the downgrade drops the column with the rest of their data kept."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api import schema
from feedback_api.db import make_engine
from tests.db_compare import drop_scratch_database, scratch_database
from tests.migration_helpers import add

USERS = ("SELECT username, role, password_hash, active, session_version, must_change_password "
         "FROM users ORDER BY username")


def test_0044_adds_an_empty_email_and_keeps_the_users(database_url, tmp_path):
    url = scratch_database(database_url, "users_email", tmp_path)
    engine = make_engine(url)
    try:
        schema.upgrade(engine, "0043")
        with engine.begin() as conn:
            for name, role in (("office", "office"), ("unit", "unit")):
                add(conn, "INSERT INTO users (username, display_name, role, password_hash, active, "
                    "created_at, failed_logins, session_version, must_change_password) "
                    "VALUES (:u, :u, :r, 'x', true, :now, 0, 2, true)", u=name, r=role)
        with engine.connect() as conn:
            before = conn.execute(sa.text(USERS)).all()
        schema.upgrade(engine, "0044")
        with engine.begin() as conn:
            assert conn.execute(sa.text(USERS)).all() == before
            assert conn.execute(sa.text("SELECT email FROM users")).scalars().all() == [None, None]
            conn.execute(sa.text("UPDATE users SET email = 'a@example.cn' WHERE username = 'unit'"))
        schema.downgrade(engine, "0043")
        with engine.connect() as conn:
            assert "email" not in {c["name"] for c in sa.inspect(conn).get_columns("users")}
            assert conn.execute(sa.text(USERS)).all() == before
        schema.upgrade(engine)
    finally:
        engine.dispose()
        drop_scratch_database(url)
