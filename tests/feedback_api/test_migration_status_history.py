"""Migration 0040: every window's current title status becomes the first entry of its history
(plain SQL, both engines); delisting proposals may be withdrawn; the downgrade keeps every
proposal (a withdrawn one as dismissed, with its note) and drops the history."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api import schema
from feedback_api.db import make_engine
from tests.db_compare import drop_scratch_database, scratch_database
from tests.migration_helpers import proposal, unit_and_titled_windows

HISTORY = ("SELECT w.code, h.from_status, h.to_status, h.status_year, h.effective_on, h.reason, "
           "h.user_id, h.actor, h.via FROM window_status_changes h JOIN windows w "
           "ON w.id = h.window_id ORDER BY w.code")


def _windows_and_a_proposal(engine) -> None:
    with engine.begin() as conn:
        unit_and_titled_windows(conn)
        proposal(conn, "U-2", 1, "open")


def test_0040_backfills_each_windows_status_and_downgrades(database_url, tmp_path):
    url = scratch_database(database_url, "status_history", tmp_path)
    engine = make_engine(url)
    try:
        schema.upgrade(engine, "0039")
        _windows_and_a_proposal(engine)
        schema.upgrade(engine, "0040")
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(sa.text(HISTORY))]
            stamps = conn.execute(sa.text(
                "SELECT count(*) FROM window_status_changes WHERE created_at IS NOT NULL")).scalar()
        assert [(c, f, t, y, str(d) if d else None, r, u, a, v) for c, f, t, y, d, r, u, a, v in rows] == [
            ("U-1", None, "candidate", None, None, "", None, "system", "backfill"),
            ("U-2", None, "demonstration", 2025, "2025-12-20", "2025年度评审命名", None, "system",
             "backfill"),
            ("U-3", None, "delisted", 2026, "2026-04-20", "2026年摘牌：重大安全事故", None, "system",
             "backfill")]
        assert stamps == 3
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE delisting_proposals SET state = 'withdrawn', "
                                 "decision_note = '窗口已因其他规则摘牌，无需处理'"))
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text("UPDATE delisting_proposals SET state = 'gone'"))
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text("UPDATE window_status_changes SET via = 'magic'"))

        schema.downgrade(engine, "0039")
        assert "window_status_changes" not in sa.inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT state, decision_note FROM delisting_proposals")
                                ).one() == ("dismissed", "窗口已因其他规则摘牌，无需处理")
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text("UPDATE delisting_proposals SET state = 'withdrawn'"))
        schema.upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM window_status_changes")).scalar() == 3
    finally:
        engine.dispose()
        drop_scratch_database(url)
