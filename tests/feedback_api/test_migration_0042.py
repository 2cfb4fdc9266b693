"""Migration 0042: a window delisted on a confirmed proposal and titled again before 0040 had no
delisting entry in its title history (0040 wrote each window's current status only). Each such
delisting gets its entry (via 'delisting'): from and to, year, day of effect and reason as the
confirmation wrote them on the window (its audit entry; without one, as the service derives them
from the proposal: the local day of the decision, the rule and the evidence's summary), who, and
recorded at the decision's time, so that the history reads in order. A delisting the history
holds already (0040's entry of a window still delisted, or one recorded since) gets none; run
again, it adds nothing; the downgrade keeps the entries."""

from __future__ import annotations

import json

import sqlalchemy as sa

from feedback_api import schema
from feedback_api.db import make_engine
from tests.db_compare import drop_scratch_database, scratch_database
from tests.migration_helpers import add, unit_and_titled_windows

# In the order window_status.history reads them: by window, then when recorded.
HISTORY = ("SELECT w.code, h.from_status, h.to_status, h.status_year, h.effective_on, h.reason, "
           "u.username, h.actor, h.via FROM window_status_changes h JOIN windows w "
           "ON w.id = h.window_id LEFT JOIN users u ON u.id = h.user_id "
           "ORDER BY w.code, h.created_at, h.id")
#: The reason U-2's confirmation wrote in 2024, under rule 1's label of then (一年内, now 自然年内).
OLD_REASON = "2024年摘牌：一年内三次季度综合检查不合格（第一至三季度综合检查不合格）。经复核属实"


def _confirmed(conn, code: str, year: int, rule: int, summary: str, note: str, at: str,
               by: str | None) -> None:
    add(conn, "INSERT INTO delisting_proposals (window_id, year, rule, evidence, state, decided_by, "
        "decided_at, decision_note, created_at, updated_at) SELECT w.id, :y, :r, :e, 'confirmed', "
        "(SELECT id FROM users WHERE username = :by), :at, :n, :at, :at FROM windows w "
        "WHERE w.code = :c", c=code, y=year, r=rule, e=json.dumps({"summary": summary, "items": []}),
        n=note, at=at, by=by)


def _window_audit(conn, code: str, before: dict, after: dict, at: str) -> None:
    add(conn, "INSERT INTO audit_log (user_id, actor, action, entity_type, entity_id, before, "
        "after, created_at) SELECT id, 'office', 'update', 'window', :c, :b, :a, :at FROM users "
        "WHERE username = 'office'", c=code, b=json.dumps(before), a=json.dumps(after), at=at)


def _world_before_0040(engine) -> None:
    """U-2 (示范 since 2025): delisted in 2024 on rule 1 by the office, confirmed on the page
    (the window's audit entry kept what it wrote). U-3 (摘牌 in 2026 on rule 4): delisted in 2024
    on rule 3 too, then titled again; that confirmation left no window audit entry."""
    with engine.begin() as conn:
        unit_and_titled_windows(conn)
        add(conn, "INSERT INTO users (username, display_name, role, password_hash, active, "
            "created_at, failed_logins, session_version) VALUES ('office', '区联席办', 'office', "
            "'x', true, :now, 0, 1)")
        _window_audit(conn, "U-2", {"status": "demonstration", "status_date": "2023-12-20",
                                    "status_year": 2023, "status_reason": "2023年度评审命名"},
                      {"status": "delisted", "status_date": "2024-12-01", "status_year": 2024,
                       "status_reason": OLD_REASON}, "2024-11-30 16:29:59.500000")
        _confirmed(conn, "U-2", 2024, 1, "第一至三季度综合检查不合格", "经复核属实",
                   "2024-11-30 16:30:00.000000", "office")
        _window_audit(conn, "U-2", {"status": "delisted", "status_date": "2024-12-01",
                                    "status_year": 2024, "status_reason": OLD_REASON},
                      {"status": "demonstration", "status_date": "2025-12-20", "status_year": 2025,
                       "status_reason": "2025年度评审命名"}, "2025-12-20 02:00:00.000000")
        # Decided at 01:00 UTC, 09:00 in the district: the day of effect is the local day.
        _confirmed(conn, "U-3", 2024, 3, "服务态度指标四次暗查不合格", "",
                   "2024-05-31 17:00:00.000000", "office")
        _confirmed(conn, "U-3", 2026, 4, "重大安全事故", "", "2026-04-20 02:00:00.000000", "office")


def _history(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [(c, f, t, y, str(d) if d else None, r, u, a, v)
                for c, f, t, y, d, r, u, a, v in conn.execute(sa.text(HISTORY))]


def test_0042_adds_the_delisting_entries_of_windows_titled_again_before_0040(database_url, tmp_path):
    url = scratch_database(database_url, "delisting_history", tmp_path)
    engine = make_engine(url)
    try:
        schema.upgrade(engine, "0039")
        _world_before_0040(engine)
        schema.upgrade(engine, "0041")
        before = _history(engine)
        assert [(c, f, t, y) for c, f, t, y, *_rest in before] == [
            ("U-1", None, "candidate", None), ("U-2", None, "demonstration", 2025),
            ("U-3", None, "delisted", 2026)]

        schema.upgrade(engine, "0042")
        after = _history(engine)
        assert after == [
            before[0],
            ("U-2", "demonstration", "delisted", 2024, "2024-12-01", OLD_REASON, "office", "office",
             "delisting"),
            before[1],
            ("U-3", "demonstration", "delisted", 2024, "2024-06-01",
             "2024年摘牌：同一测评指标四次及以上暗查不合格（服务态度指标四次暗查不合格）", "office",
             "office", "delisting"),
            before[2]]
        with engine.connect() as conn:
            # Recorded when decided (the history's 记录时间), not when migrated.
            stamps = [str(t)[:19] for t in conn.execute(sa.text(
                "SELECT created_at FROM window_status_changes WHERE via = 'delisting' ORDER BY id"))
                .scalars()]
        assert stamps == ["2024-05-31 17:00:00", "2024-11-30 16:30:00"]

        # Down keeps the entries (true history); up again adds none.
        schema.downgrade(engine, "0041")
        assert _history(engine) == after
        schema.upgrade(engine)
        assert _history(engine) == after
    finally:
        engine.dispose()
        drop_scratch_database(url)
