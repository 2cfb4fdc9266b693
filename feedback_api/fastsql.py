"""Run the WeChat webhook's few statements without SQLAlchemy's per-execution machinery.

Every WeChat message runs about eight small statements and WeChat waits for the answer. Measured
on this machine, SQLAlchemy Core spends about 100 µs on each execution of an already compiled
statement (execution context, parameter construction, result setup); the DBAPI cursor of the same
connection runs it in about 10 µs. A ``Prepared`` statement is written with SQLAlchemy Core as
usual, compiled once per dialect, and then run on the DBAPI connection of the session's current
transaction, with the columns' own bind and result processors (so a ``UTCDateTime`` is stored
and read exactly as through the ORM).

What is given up: SQLAlchemy's cursor events (``WW_SQL_ECHO`` does not log these statements) and
its exception wrapping (the DBAPI's exceptions propagate). Use it only on measured hot paths.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: bool
    #: Bind names in placeholder order (positional paramstyles).
    order: tuple[str, ...]
    #: Values baked into the statement (literals such as ``values(flag=False)``).
    fixed: Mapping[str, Any]
    #: (bind name, processor) for the binds whose type converts the value.
    processed: tuple[tuple[str, Callable[[Any], Any]], ...]
    results: tuple[Processor, ...]


class Prepared:
    """A Core statement (or a factory taking the dialect name) compiled once per dialect."""

    def __init__(self, stmt: sa.Executable | Callable[[str], sa.Executable]) -> None:
        self._stmt = stmt
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, dialect: sa.Dialect) -> _Compiled:
        stmt = self._stmt(dialect.name) if callable(self._stmt) else self._stmt
        compiled = stmt.compile(dialect=dialect)
        if getattr(compiled, "escaped_bind_names", None):
            raise ValueError("bind names must be plain identifiers")
        binds = compiled.binds  # type: ignore[attr-defined]
        fixed = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
        processors = tuple((name, proc) for name, bind in binds.items()
                           if (proc := bind.type.dialect_impl(dialect).bind_processor(dialect)))
        columns: Sequence[Any] = getattr(stmt, "exported_columns", ())
        results = tuple(col.type.dialect_impl(dialect).result_processor(dialect, None)
                        for col in columns)
        order = tuple(compiled.positiontup or ()) if compiled.positional else ()
        return _Compiled(compiled.string, compiled.positional, order, fixed, processors, results)

    def compiled(self, dialect: sa.Dialect) -> _Compiled:
        c = self._compiled.get(dialect.name)
        if c is None:
            c = self._compiled.setdefault(dialect.name, self._compile(dialect))
        return c

    def execute(self, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run now (after any deferred statements); the rows, or [] for plain DML."""
        return batch([(self, params)])[0]

    def first(self, params: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        rows = self.execute(params)
        return rows[0] if rows else None

    def scalar(self, params: Mapping[str, Any] | None = None) -> Any:
        row = self.first(params)
        return row[0] if row is not None else None

    def defer(self, params: Mapping[str, Any] | None = None) -> None:
        """Run later, with the next statement that needs rows, ORM statement or commit.

        For writes whose result nobody reads: on PostgreSQL they then travel to the server
        together, in one round trip, instead of one each."""
        _deferred(Session()).append((self, params))


def _rows(c: _Compiled, cursor: Any) -> list[tuple[Any, ...]]:
    if not c.results:
        return []
    rows = cursor.fetchall()
    procs = c.results
    if not any(procs):
        return [tuple(row) for row in rows]
    return [tuple(p(v) if p is not None else v for p, v in zip(procs, row, strict=True))
            for row in rows]


def batch(statements: Sequence[tuple[Prepared, Mapping[str, Any] | None]], *,
          session: Any = None) -> list[list[tuple[Any, ...]]]:
    """Run the deferred statements, then ``statements``, in order, in the session's transaction.

    The rows of each of ``statements`` (``[]`` for plain DML). On PostgreSQL everything goes in
    one round trip (psycopg's pipeline mode); SQLite runs in process and needs none of that."""
    session = session if session is not None else Session()
    pending = session.info.get(_DEFERRED)
    skip = 0
    if pending:
        skip = len(pending)
        statements = [*pending, *statements]
        pending.clear()
    conn = session.connection()
    dialect = conn.dialect
    raw = conn.connection.dbapi_connection
    prepared = []
    for stmt, params in statements:
        c = stmt.compiled(dialect)
        values = {**c.fixed, **params} if c.fixed else dict(params or ())
        for name, proc in c.processed:
            values[name] = proc(values[name])
        args = tuple([values[name] for name in c.order]) if c.positional else values
        prepared.append((c, args))
    if len(prepared) > 1 and dialect.name == "postgresql":
        # One cursor per statement: each keeps its own result when the pipeline syncs.
        cursors = [raw.cursor() for _ in prepared]  # type: ignore[union-attr]
        try:
            with raw.pipeline():  # type: ignore[union-attr]
                for (c, args), cursor in zip(prepared, cursors, strict=True):
                    cursor.execute(c.sql, args)
            results = [_rows(c, cur) for (c, _), cur in zip(prepared, cursors, strict=True)]
        finally:
            for cursor in cursors:
                cursor.close()
        return results[skip:]
    results = []
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        for c, args in prepared:
            cursor.execute(c.sql, args)
            results.append(_rows(c, cursor))
    finally:
        cursor.close()
    return results[skip:]


_DEFERRED = "ww_fastsql_deferred"


def _deferred(session: Any) -> list[tuple[Prepared, Mapping[str, Any] | None]]:
    return session.info.setdefault(_DEFERRED, [])


def flush_deferred(session: Any = None) -> None:
    """Run the deferred statements now (the session hooks below call this)."""
    session = session if session is not None else Session()
    if session.info.get(_DEFERRED):
        batch([], session=session)


# Deferred statements run before anything that could read what they write: an ORM statement,
# an ORM flush, a commit. The end of the transaction (a rollback) forgets what is left.
@sa.event.listens_for(Session, "do_orm_execute")
def _before_orm_execute(state: Any) -> None:
    flush_deferred(state.session)


@sa.event.listens_for(Session, "before_flush")
def _before_flush(session: Any, _context: Any, _instances: Any) -> None:
    flush_deferred(session)


@sa.event.listens_for(Session, "before_commit")
def _before_commit(session: Any) -> None:
    flush_deferred(session)


@sa.event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Any, transaction: Any) -> None:
    if transaction.parent is None and session.info.get(_DEFERRED):
        session.info[_DEFERRED].clear()


def with_defaults(table: sa.Table, keys: Sequence[str]) -> dict[str, sa.BindParameter[Any]]:
    """Bind parameters for an INSERT of ``keys`` and of every column with a Python-side default.

    Columns with neither stay out of the INSERT, so the database stores NULL (not JSON
    ``null``), as the ORM does. Fill the defaults at run time with ``fill_defaults``."""
    names = [*keys, *(c.key for c in table.columns if c.default is not None and c.key not in keys)]
    return {name: sa.bindparam(name, type_=table.c[name].type) for name in names}


_DEFAULTS: dict[str, tuple[tuple[str, bool, Any], ...]] = {}


def fill_defaults(table: sa.Table, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` plus the Python-side defaults of ``table``'s other columns (as the ORM adds)."""
    defaults = _DEFAULTS.get(table.name)
    if defaults is None:
        defaults = _DEFAULTS[table.name] = tuple(
            (col.key, col.default.is_callable, col.default.arg)  # type: ignore[attr-defined]
            for col in table.columns
            if col.default is not None and (col.default.is_scalar or col.default.is_callable))  # type: ignore[attr-defined]
    for key, is_callable, arg in defaults:
        if key not in values:
            values[key] = arg(None) if is_callable else arg
    return values
