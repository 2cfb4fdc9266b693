"""Migration 0045: standards gain the incident deductions; the standards stored before get 0 for
both (the figures already published do not move), the check refuses a deduction over 100, and
the downgrade drops the columns with the rest of the standard kept."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api import schema
from feedback_api.db import make_engine
from tests.db_compare import drop_scratch_database, scratch_database
from tests.migration_helpers import add

STANDARDS = ("SELECT year, name, pass_score, weight_feedback, weight_inspection, weight_covert, "
             "weight_tickets FROM standards ORDER BY year")


def test_0045_gives_the_standards_stored_before_no_deduction(database_url, tmp_path):
    url = scratch_database(database_url, "incident_deductions", tmp_path)
    engine = make_engine(url)
    try:
        schema.upgrade(engine, "0044")
        with engine.begin() as conn:
            for year in (2025, 2026):
                add(conn, "INSERT INTO standards (year, name, pass_score, weight_feedback, "
                    "weight_inspection, weight_covert, weight_tickets, created_at, updated_at) "
                    "VALUES (:y, '标准', 80, 40, 30, 20, 10, :now, :now)", y=year)
        with engine.connect() as conn:
            before = conn.execute(sa.text(STANDARDS)).all()
        schema.upgrade(engine, "0045")
        with engine.connect() as conn:
            assert conn.execute(sa.text(STANDARDS)).all() == before
            assert conn.execute(sa.text(
                "SELECT year, deduction_general, deduction_major FROM standards ORDER BY year")
            ).all() == [(2025, 0, 0), (2026, 0, 0)]
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text("UPDATE standards SET deduction_major = 101 WHERE year = 2026"))
        schema.downgrade(engine, "0044")
        with engine.connect() as conn:
            assert "deduction_major" not in {
                c["name"] for c in sa.inspect(conn).get_columns("standards")}
            assert conn.execute(sa.text(STANDARDS)).all() == before
        schema.upgrade(engine)
    finally:
        engine.dispose()
        drop_scratch_database(url)
