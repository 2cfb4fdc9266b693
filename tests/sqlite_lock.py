"""A second SQLite connection that tries to write right after the code under test first reads:
if that code holds the write lock from its start, the other writer waits (and gives up after
50 ms); if not, it commits in between, the race that makes SQLite refuse the later write."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from feedback_api.db import Session


def sqlite_path(app) -> str:
    engine = app.extensions["ww_engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    return engine.url.database


@contextmanager
def writer_after_first_read(app, statement: str) -> Iterator[list[str]]:
    """Yields what happened: ["read", "other waited"] when the lock was already held,
    ["read", "other wrote"] when the other connection slipped its write in."""
    path = sqlite_path(app)
    seen: list[str] = []

    def _other_writer(state) -> None:
        if state.is_select and not seen:
            seen.append("read")
            other = sqlite3.connect(path, isolation_level=None, timeout=0.05)
            try:
                other.execute(statement)
                seen.append("other wrote")
            except sqlite3.OperationalError:
                seen.append("other waited")
            finally:
                other.close()

    sa.event.listen(Session, "do_orm_execute", _other_writer)
    try:
        yield seen
    finally:
        sa.event.remove(Session, "do_orm_execute", _other_writer)
