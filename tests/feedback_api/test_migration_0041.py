"""Migration 0041: delisting proposals left open (待确认) on windows that no longer hold the title
(before the rule that a window leaving the title withdraws them) are withdrawn (无需处理) with
the note the service writes, audited; a confirmed proposal no longer takes the window, year and
rule for good (a new title may be judged again); a new-ticket alert may be withdrawn. The
downgrade leaves the proposals withdrawn (0040 allows it), turns a withdrawn alert into a failed
one (never sent) and refuses while a window, year and rule has two proposals."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api import schema
from feedback_api.db import make_engine
from tests.db_compare import drop_scratch_database, scratch_database
from tests.migration_helpers import add, proposal, unit_and_titled_windows

PROPOSALS = ("SELECT w.code, p.rule, p.state, p.decision_note, p.decided_at IS NOT NULL "
             "FROM delisting_proposals p JOIN windows w ON w.id = p.window_id ORDER BY w.code, p.rule")


def _world(engine) -> None:
    with engine.begin() as conn:
        unit_and_titled_windows(conn)
        proposal(conn, "U-1", 1, "open")
        proposal(conn, "U-2", 1, "open")
        proposal(conn, "U-3", 2, "open")
        proposal(conn, "U-3", 3, "dismissed")
        proposal(conn, "U-3", 4, "confirmed")
        add(conn, "INSERT INTO staff_alerts (unit_id, kind, dedup_key, subject, body, status, "
            "attempts, next_attempt_at, last_error, created_at) SELECT id, 'new_ticket', "
            "'ticket:1', '督办单', '正文', 'pending', 0, :now, '', :now FROM units")


def test_0041_withdraws_open_proposals_of_untitled_windows(database_url, tmp_path):
    url = scratch_database(database_url, "withdraw_open", tmp_path)
    engine = make_engine(url)
    try:
        schema.upgrade(engine, "0040")
        _world(engine)
        schema.upgrade(engine, "0041")
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(sa.text(PROPOSALS))]
            audit = [tuple(r) for r in conn.execute(sa.text(
                "SELECT actor, action, entity_type FROM audit_log ORDER BY id"))]
        assert rows == [
            ("U-1", 1, "withdrawn", "窗口已改为创建中，不再持有称号，本建议无需处理", True),
            ("U-2", 1, "open", "", False),
            ("U-3", 2, "withdrawn",
             "窗口已于 2026-04-20 改为摘牌（2026年摘牌：重大安全事故），不再持有称号，本建议无需处理", True),
            ("U-3", 3, "dismissed", "", False),
            ("U-3", 4, "confirmed", "", False)]
        assert audit == [("system", "withdraw", "delisting_proposal")] * 2

        # A confirmed proposal leaves room for the window's next one of that year and rule; two
        # undecided ones still cannot exist.
        with engine.begin() as conn:
            proposal(conn, "U-3", 4, "open")
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            proposal(conn, "U-3", 4, "open")
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            proposal(conn, "U-2", 1, "dismissed")
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE staff_alerts SET status = 'withdrawn'"))

        # Down: refused while a window, year and rule has two proposals (nothing is dropped).
        with pytest.raises(RuntimeError, match="U-3"):
            schema.downgrade(engine, "0040")
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM delisting_proposals WHERE state = 'open' AND rule = 4"))
        schema.downgrade(engine, "0040")
        with engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(sa.text(PROPOSALS))] == rows
            assert conn.execute(sa.text("SELECT status FROM staff_alerts")).scalar() == "failed"
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            proposal(conn, "U-3", 4, "open")
        schema.upgrade(engine)
    finally:
        engine.dispose()
        drop_scratch_database(url)
