"""Every table of a database, row by row, in primary-key order: what a backup, a restore or an
upgrade must keep."""

from __future__ import annotations

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
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_scratch_database(url: str) -> None:
    target = sa.make_url(url)
    if target.get_backend_name() == "sqlite":
        return
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()
