"""Upgrading a populated database of the previous release keeps every row: a database at
revision 0009 (the release before tickets, retention, assessment and the programme cycle) is
filled, every table, every column, then upgraded to head; every pre-existing row and value is
still there."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from feedback_api import schema
from feedback_api.db import make_engine
from tests.db_compare import drop_scratch_database, scratch_database

PREVIOUS_RELEASE = "0009"
ROWS = 3
#: A scope names exactly one of industry, unit and window (a CHECK): the filler gives industry.
LEAVE_EMPTY = {("user_scopes", "unit_id"), ("user_scopes", "window_id")}


def _choices(table: sa.Table, inspector: Any) -> dict[str, str]:
    """Columns a CHECK limits to a list (``x in ('a', 'b')``): their first allowed value."""
    out = {}
    for ck in inspector.get_check_constraints(table.name):
        # SQLite keeps the text as written; PostgreSQL rewrites it as "(x)::text = ANY (ARRAY[…])".
        found = re.findall(r"(\w+) in \(([^)]*)\)", ck["sqltext"]) + re.findall(
            r"\(?(\w+)\)?(?:::\w+)? = ANY \(+ARRAY\[([^\]]*)\]", ck["sqltext"])
        for col, items in found:
            out.setdefault(col, items.split(",")[0].split("::")[0].strip(" ('"))
    return out


def _value(table: sa.Table, col: sa.Column, i: int, choices: dict[str, str],
           parents: dict[tuple[str, str], list[Any]]) -> Any:
    if col.foreign_keys:
        (fk,) = col.foreign_keys
        pool = parents[(fk.column.table.name, fk.column.name)]
        return pool[i % len(pool)]
    if col.name in choices:
        allowed = choices[col.name]
        return int(allowed) if isinstance(col.type, sa.Integer) else allowed
    t = col.type
    if isinstance(t, sa.Boolean):
        return i % 2 == 0
    if isinstance(t, sa.Integer | sa.Numeric | sa.Float):
        return 1 + i % 5 if col.name == "rating" else i + 1
    if isinstance(t, sa.DateTime):
        return datetime(2026, 3, 1 + i, 8, 30, i, tzinfo=UTC)
    if isinstance(t, sa.Date):
        return date(2026, 3, 1 + i)
    if isinstance(t, sa.JSON):
        # The shape the analysis writes (a list of topic objects): migrations backfill from it.
        return [{"topic": "attitude", "score": 0.5, "row": i, "文字": "值'\"%_"}]
    if isinstance(t, sa.LargeBinary):
        return bytes([i]) * 8
    length = getattr(t, "length", None) or 200
    text = f"{table.name[:12]}.{col.name[:12]}#{i} 示范窗口'%_"
    return text[:length]


def fill_every_table(engine: sa.Engine) -> dict[str, int]:
    meta = sa.MetaData()
    meta.reflect(engine)
    inspector = sa.inspect(engine)
    parents: dict[tuple[str, str], list[Any]] = {}
    counts = {}
    with engine.begin() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            choices = _choices(table, inspector)
            for i in range(ROWS):
                row = {}
                for col in table.columns:
                    if (table.name, col.name) in LEAVE_EMPTY:
                        continue
                    if col.primary_key and len(table.primary_key.columns) == 1 and isinstance(
                            col.type, sa.Integer) and not col.foreign_keys:
                        continue  # the database numbers it
                    row[col.name] = _value(table, col, i, choices, parents)
                conn.execute(table.insert().values(row))
            order = list(table.primary_key.columns) or list(table.columns)
            stored = conn.execute(sa.select(table).order_by(*order)).mappings().all()
            for col in table.columns:  # what later rows may point at (any referenced column)
                parents[(table.name, col.name)] = [r[col.name] for r in stored]
            counts[table.name] = ROWS
    return counts


def snapshot(engine: sa.Engine, columns: dict[str, list[str]] | None = None,
             ) -> tuple[dict[str, list[str]], dict[str, list[tuple[Any, ...]]]]:
    meta = sa.MetaData()
    meta.reflect(engine)
    names = columns or {t.name: [c.name for c in t.columns] for t in meta.sorted_tables
                        if t.name != "alembic_version"}
    rows = {}
    with engine.connect() as conn:
        for name, cols in names.items():
            table = meta.tables[name]
            order = [table.c[c.name] for c in table.primary_key.columns] or [table.c[c] for c in cols]
            rows[name] = [tuple(r) for r in conn.execute(
                sa.select(*[table.c[c] for c in cols]).order_by(*order))]
    return names, rows


def test_upgrading_a_populated_previous_release_keeps_every_row(database_url, tmp_path, capsys):
    url = scratch_database(database_url, "migrate", tmp_path)
    engine = make_engine(url)
    try:
        schema.upgrade(engine, PREVIOUS_RELEASE)
        counts = fill_every_table(engine)
        columns, before = snapshot(engine)
        assert len(before) >= 15 and all(len(rows) == ROWS for rows in before.values())
        schema.upgrade(engine)
        with engine.connect() as conn:
            assert schema.current_revision(conn) == schema.head_revision()
        _, after = snapshot(engine, columns)
        differ = [name for name in before if before[name] != after[name]]
        with capsys.disabled():
            print(f"\nmigrations {PREVIOUS_RELEASE} -> {schema.head_revision()}: {len(counts)} "
                  f"tables, {sum(len(r) for r in before.values())} rows, "
                  f"{sum(len(c) for c in columns.values())} columns compared; differ: {differ}")
        assert differ == []
    finally:
        engine.dispose()
        drop_scratch_database(url)
