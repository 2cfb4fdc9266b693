"""Rows written with plain SQL into a scratch database at an old migration (the models describe
only the head), shared by the migration-with-data tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

NOW = "2026-10-01 08:00:00"


def add(conn: sa.Connection, sql: str, **values: Any) -> None:
    """Run one statement; ``:now`` is ``NOW``."""
    conn.execute(sa.text(sql), {"now": NOW, **values})


def unit_and_titled_windows(conn: sa.Connection) -> None:
    """Unit ``U`` with a window of each title status: U-1 candidate (创建中), U-2 demonstration
    named in 2025, U-3 delisted in 2026 (each with its status date, year and reason)."""
    add(conn, "INSERT INTO units (code, name, industry, authority, contact_person, contact_phone, "
        "address, created_at) VALUES ('U', '单位', 'tax', '', '', '', '', :now)")
    for code, status, year, on, reason in (
            ("U-1", "candidate", None, None, ""),
            ("U-2", "demonstration", 2025, "2025-12-20", "2025年度评审命名"),
            ("U-3", "delisted", 2026, "2026-04-20", "2026年摘牌：重大安全事故")):
        add(conn, "INSERT INTO windows (code, name, unit_id, address, service_items, staff_count, "
            "contact_person, contact_phone, service_hours, status, status_date, status_year, "
            "status_reason, remarks, created_at, updated_at) SELECT :c, '窗口', id, '', '', 1, "
            "'', '', '', :s, :d, :y, :r, '', :now, :now FROM units",
            c=code, s=status, d=on, y=year, r=reason)


def proposal(conn: sa.Connection, code: str, rule: int, state: str, year: int = 2026) -> None:
    """A delisting proposal of window ``code`` (no evidence, no decision note)."""
    add(conn, "INSERT INTO delisting_proposals (window_id, year, rule, evidence, state, "
        "decision_note, created_at, updated_at) SELECT id, :y, :r, '{}', :s, '', :now, :now "
        "FROM windows WHERE code = :c", c=code, r=rule, s=state, y=year)
