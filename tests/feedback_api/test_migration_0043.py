"""Migration 0043: users gain ``must_change_password``; the users there before are not flagged
(they keep signing in as they did), and the downgrade drops the column with their data kept."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api import schema
from feedback_api.db import make_engine
from tests.db_compare import drop_scratch_database, scratch_database
from tests.migration_helpers import add

USERS = "SELECT username, role, password_hash, active, session_version FROM users ORDER BY username"


def test_0043_adds_the_flag_and_leaves_existing_users_unflagged(database_url, tmp_path):
    url = scratch_database(database_url, "must_change_password", tmp_path)
    engine = make_engine(url)
    try:
        schema.upgrade(engine, "0042")
        with engine.begin() as conn:
            for name, role in (("office", "office"), ("unit", "unit")):
                add(conn, "INSERT INTO users (username, display_name, role, password_hash, active, "
                    "created_at, failed_logins, session_version) VALUES (:u, :u, :r, 'x', true, "
                    ":now, 0, 3)", u=name, r=role)
        with engine.connect() as conn:
            before = conn.execute(sa.text(USERS)).all()
        schema.upgrade(engine, "0043")
        with engine.connect() as conn:
            assert conn.execute(sa.text(USERS)).all() == before
            assert conn.execute(sa.text(
                "SELECT username, must_change_password FROM users ORDER BY username")).all() == [
                ("office", False), ("unit", False)]
        with engine.begin() as conn:  # a user added after it, without the column: not flagged
            add(conn, "INSERT INTO users (username, display_name, role, password_hash, active, "
                "created_at, failed_logins, session_version) VALUES ('agency', 'agency', "
                "'agency', 'x', true, :now, 0, 1)")
            flag = conn.execute(sa.text("SELECT must_change_password FROM users WHERE "
                                        "username = 'agency'")).scalar()
            assert flag is not None and not flag  # SQLite answers 0
        schema.downgrade(engine, "0042")
        with engine.connect() as conn:
            assert "must_change_password" not in {
                c["name"] for c in sa.inspect(conn).get_columns("users")}
            assert conn.execute(sa.text(USERS)).all()[1:] == before
        schema.upgrade(engine)
    finally:
        engine.dispose()
        drop_scratch_database(url)
