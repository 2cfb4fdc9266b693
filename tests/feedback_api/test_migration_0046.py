"""Migration 0046: experts gain a work unit and assignments a recusal; the rows there before have
none (an assignment stays live and counts), and the downgrade drops both, withdrawn assignments
with them (they would count again otherwise), the rest kept."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api import schema
from feedback_api.db import make_engine
from tests.db_compare import drop_scratch_database, scratch_database
from tests.migration_helpers import add

ASSIGNMENTS = "SELECT submission_id, expert_id, total FROM cycle_expert_assignments ORDER BY id"


def test_0046_adds_work_units_and_recusals_and_keeps_the_assignments(database_url, tmp_path):
    url = scratch_database(database_url, "expert_recusal", tmp_path)
    engine = make_engine(url)
    try:
        schema.upgrade(engine, "0045")
        with engine.begin() as conn:
            add(conn, "INSERT INTO units (code, name, industry, authority, contact_person, "
                "contact_phone, address, created_at) VALUES ('U', '单位', 'tax', '', '', '', '', :now)")
            for name in ("e1", "e2"):
                add(conn, "INSERT INTO users (username, display_name, role, password_hash, active, "
                    "created_at, failed_logins, session_version, must_change_password) "
                    "VALUES (:u, :u, 'expert', 'x', true, :now, 0, 1, false)", u=name)
            add(conn, "INSERT INTO cycles (year, title, created_at) VALUES (2026, '', :now)")
            add(conn, "INSERT INTO cycle_submissions (cycle_id, kind, industry, title, data, state, "
                "late, return_reason, created_at, updated_at) SELECT id, 'recommendation', 'tax', "
                "'t', '{}', 'accepted', false, '', :now, :now FROM cycles")
            add(conn, "INSERT INTO cycle_expert_assignments (submission_id, expert_id, total, "
                "comment, created_at) SELECT s.id, u.id, 80, '', :now FROM cycle_submissions s, "
                "users u ORDER BY u.username")
        with engine.connect() as conn:
            before = conn.execute(sa.text(ASSIGNMENTS)).all()
        schema.upgrade(engine, "0046")
        with engine.begin() as conn:
            assert conn.execute(sa.text(ASSIGNMENTS)).all() == before
            assert conn.execute(sa.text(
                "SELECT recused_at, recusal_reason, recused_by FROM cycle_expert_assignments"
            )).all() == [(None, "", None)] * 2
            assert conn.execute(sa.text(
                "SELECT work_unit_id, work_unit_other FROM users")).all() == [(None, "")] * 2
            conn.execute(sa.text("UPDATE users SET work_unit_id = (SELECT id FROM units), "
                                 "work_unit_other = '大学' WHERE username = 'e1'"))
            conn.execute(sa.text("UPDATE cycle_expert_assignments SET recused_at = :t, "
                                 "recusal_reason = '本单位' WHERE expert_id = "
                                 "(SELECT id FROM users WHERE username = 'e1')"),
                         {"t": "2026-10-02 08:00:00"})
            # A unit deleted leaves its experts without one.
            conn.execute(sa.text("DELETE FROM units"))
            assert conn.execute(sa.text(
                "SELECT work_unit_id FROM users WHERE username = 'e1'")).scalar() is None
        schema.downgrade(engine, "0045")
        with engine.connect() as conn:
            assert "work_unit_id" not in {c["name"] for c in sa.inspect(conn).get_columns("users")}
            assert conn.execute(sa.text(ASSIGNMENTS)).all() == before[1:]
        schema.upgrade(engine)
    finally:
        engine.dispose()
        drop_scratch_database(url)
