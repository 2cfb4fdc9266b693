"""Every table of a database, row by row, in primary-key order: what a backup, a restore or an
upgrade must keep."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa


def table_rows(engine: sa.Engine, tables: list[str] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """``{table: [row, ...]}`` for every table (or the named ones), rows ordered by primary key
    (by every column when there is none)."""
    meta = sa.MetaData()
    meta.reflect(engine)
    names = tables if tables is not None else sorted(meta.tables)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name in names:
            table = meta.tables[name]
            order = list(table.primary_key.columns) or list(table.columns)
            out[name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
    return out


def scratch_database(url: str, suffix: str, tmp_path: Any) -> str:
    """An empty database beside ``url``'s: a new SQLite file, or a PostgreSQL database named
    ``<db>_<suffix>`` (dropped and created again)."""
    base = sa.make_url(url)
    if base.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / (suffix + '.db')}"
    name = f"{base.database}_{suffix}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            _drop_database(conn, name)
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_scratch_database(url: str) -> None:
    target = sa.make_url(url)
    if target.get_backend_name() == "sqlite":
        return
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            _drop_database(conn, target.database)
    finally:
        admin.dispose()


def _drop_database(conn: sa.Connection, name: str) -> None:
    """Drop ``name``: our own role's sessions still in it are ended first; then a plain ``DROP
    DATABASE``, which itself stops an autovacuum worker busy there. Not ``WITH (FORCE)``: that
    refuses (InsufficientPrivilege) when the busy backend is an autovacuum worker, since the test
    role is not a superuser nor in pg_signal_backend."""
    conn.execute(sa.text(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = :name AND usename = current_user AND pid <> pg_backend_pid()"),
        {"name": name})
    for attempt in range(50):
        try:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            return
        except sa.exc.OperationalError as exc:
            # 55006 object_in_use: a terminated session not gone yet.
            if getattr(exc.orig, "sqlstate", None) != "55006" or attempt == 49:
                raise
            time.sleep(0.1)
