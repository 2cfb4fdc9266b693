"""Run the WeChat webhook's few statements without SQLAlchemy's per-execution machinery.

Every WeChat message runs about eight small statements and WeChat waits for the answer. Measured
on this machine, SQLAlchemy Core spends about 100 µs on each execution of an already compiled
statement (execution context, parameter construction, result setup); the DBAPI cursor of the same
connection runs it in about 10 µs. A ``Prepared`` statement is written with SQLAlchemy Core as
usual, compiled once per dialect, and then run on the DBAPI connection of the session's current
transaction, with the columns' own bind and result processors (so a ``UTCDateTime`` is stored
and read exactly as through the ORM).

Statements run in one of two transactions:

- inside ``unit_of_work()``: its own unit on a pooled DBAPI connection, outside the ORM
  session. The webhook uses this; the ORM session's bookkeeping (begin, commit, close) cost
  about 150 µs per message, more than its statements. On PostgreSQL the unit runs in
  autocommit mode and its deferred writes go as one statement (see ``UnitOfWork``).
- otherwise: the ORM session's current transaction (so services stay usable from any view,
  job or test), with deferred writes flushed before any ORM statement, flush or commit.

On PostgreSQL, writes whose results nobody reads also merge into one statement each where
that gives the same result as running them in order (``_combine``).

What is given up: SQLAlchemy's cursor events and its exception wrapping (the DBAPI's exceptions
propagate). ``WW_SQL_ECHO`` still logs these statements, through the engine's logger. Use it only
on measured hot paths.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from feedback_api.db import SQLITE_BUSY_MS, Session, get_uow_engine

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
    #: For a write: the table written, and the tables it reads (for ``_combine``).
    target: str | None = None
    reads: frozenset[str] = frozenset()


def _tables(stmt: Any) -> tuple[str | None, frozenset[str]]:
    """The table a DML statement writes and the tables it reads (an INSERT of plain values
    reads none; an UPDATE or DELETE reads its own table)."""
    if not isinstance(stmt, sa.sql.dml.UpdateBase) or not isinstance(stmt.table, sa.Table):
        return None, frozenset()
    found = sa.sql.util.find_tables(stmt, check_columns=True, include_crud=True,
                                    include_selects=True)
    selects = [t for t in found if isinstance(t, sa.Select)]
    if (isinstance(stmt, sa.Insert) and stmt.select is None and not selects
            and getattr(stmt, "_post_values_clause", None) is None):  # ON CONFLICT reads
        return stmt.table.name, frozenset()
    names = {t.name for t in found if isinstance(t, sa.Table)} | {stmt.table.name}
    for sel in selects:  # find_tables does not descend into subqueries
        names |= {t.name for t in sa.sql.util.find_tables(sel, check_columns=True)
                  if isinstance(t, sa.Table)}
    return stmt.table.name, frozenset(names)


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
        target, reads = _tables(stmt)
        return _Compiled(compiled.string, compiled.positional, order, fixed, processors, results,
                         target, reads)

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
        uow = _current.get()
        (uow.deferred if uow is not None else _deferred(Session())).append((self, params))


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
    """Run the deferred statements, then ``statements``, in order, in the current transaction
    (the unit of work's, else the session's).

    The rows of each of ``statements`` (``[]`` for plain DML). On PostgreSQL everything goes in
    one round trip (merged by ``_combine``, else in psycopg's pipeline mode); SQLite runs in
    process and needs none of that."""
    uow = _current.get() if session is None else None
    if uow is not None:
        if uow.deferred and uow.autocommit:
            uow.begin()  # the deferred writes must not commit before the rest
        statements = [*uow.deferred, *statements]
        skip = len(uow.deferred)
        uow.deferred.clear()
        return uow.run(statements)[skip:]
    session = session if session is not None else Session()
    pending = session.info.get(_DEFERRED)
    conn = session.connection()
    dialect, raw = conn.dialect, conn.connection.dbapi_connection
    echo = _echo(conn.engine)
    skip = 0
    if pending:
        skip = len(pending)
        statements = [*pending, *statements]
        pending.clear()
    return _run(statements, dialect, raw, echo=echo)[skip:]


def _echo(engine: sa.Engine) -> Any:
    """The engine's logger if it logs SQL (``echo``, i.e. ``WW_SQL_ECHO``), else None."""
    return engine.logger if engine.logger.isEnabledFor(logging.INFO) else None


def _run(statements: Sequence[tuple[Prepared, Mapping[str, Any] | None]], dialect: sa.Dialect,
         raw: Any, *, commit: bool = False, echo: Any = None,
         atomic: bool = False) -> list[list[tuple[Any, ...]]]:
    """Run ``statements`` on the DBAPI connection ``raw``; then commit, if asked. ``echo``:
    the engine's logger when it logs SQL (``WW_SQL_ECHO``). ``atomic``: ``raw`` is a
    PostgreSQL connection in autocommit mode, and the statements must take effect together:
    one statement (after ``_combine``) is its own transaction, several get one."""
    prepared = []
    for stmt, params in statements:
        c = stmt.compiled(dialect)
        values = {**c.fixed, **params} if c.fixed else dict(params or ())
        for name, proc in c.processed:
            values[name] = proc(values[name])
        args = tuple([values[name] for name in c.order]) if c.positional else values
        prepared.append((c, args))
    if dialect.name == "postgresql":
        prepared = _combine(prepared)
    if atomic and len(prepared) > 1:
        raw.autocommit = False  # psycopg sends BEGIN with the first statement
        commit = True
    if echo is not None:
        for c, args in prepared:
            echo.info("[fastsql] %s\n[parameters] %r", c.sql, args)
        if commit:
            echo.info("[fastsql] COMMIT")
    if dialect.name == "postgresql" and len(prepared) + commit > 1:
        # One cursor per statement: each keeps its own result when the pipeline syncs. The
        # COMMIT, when asked, travels in the same round trip.
        cursors = [raw.cursor() for _ in prepared]
        try:
            with raw.pipeline():
                for (c, args), cursor in zip(prepared, cursors, strict=True):
                    cursor.execute(c.sql, args)
                if commit:
                    raw.commit()
            return _expand(prepared, [_rows(c, cur) for (c, _), cur in zip(prepared, cursors,
                                                                           strict=True)])
        finally:
            for cursor in cursors:
                cursor.close()
    results = []
    cursor = raw.cursor()
    try:
        for c, args in prepared:
            cursor.execute(c.sql, args)
            results.append(_rows(c, cursor))
    finally:
        cursor.close()
    if commit:
        raw.commit()
    return _expand(prepared, results)


@dataclass(frozen=True)
class _Combined(_Compiled):
    #: How many statements this one stands for.
    members: int = 1


_PLACEHOLDER = re.compile(r"(?<!%)%\((\w+)\)s")
_combined_sql: dict[tuple[str, ...], _Combined] = {}


def _combinable(c: _Compiled) -> bool:
    return c.target is not None and not c.results and not c.positional


def _combine(prepared: list[tuple[_Compiled, Any]]) -> list[tuple[_Compiled, Any]]:
    """PostgreSQL: merge runs of writes whose results nobody reads into one statement each,
    ``WITH w1 AS (write 1), w2 AS (write 2) write 3``.

    The server then parses, binds and plans one statement instead of several, and the client
    sends one: measured here, 6 updates cost 300 µs less client CPU and 200 µs less server CPU
    as one statement than as 6 in a pipeline. The writes of one WITH run on one snapshot and do
    not see one another, so a write joins the run only if it reads no table written earlier in
    the run (an INSERT of plain values reads nothing, so it may follow an UPDATE of its table);
    then the result is the same as running them in order."""
    if sum(1 for c, _ in prepared if _combinable(c)) < 2:
        return prepared
    out: list[tuple[_Compiled, Any]] = []
    run: list[tuple[_Compiled, Any]] = []
    written: set[str] = set()

    def close_run() -> None:
        if len(run) == 1:
            out.append(run[0])
        elif run:
            out.append(_merge(run))
        run.clear()
        written.clear()

    for item in prepared:
        c = item[0]
        if not _combinable(c):
            close_run()
            out.append(item)
            continue
        if c.reads & written:
            close_run()
        run.append(item)
        written.add(c.target)  # type: ignore[arg-type]
    close_run()
    return out


def _merge(run: list[tuple[_Compiled, Any]]) -> tuple[_Compiled, Any]:
    key = tuple(c.sql for c, _ in run)
    merged = _combined_sql.get(key)
    if merged is None:
        parts = [_PLACEHOLDER.sub(lambda m, n=n: f"%(s{n}_{m.group(1)})s", c.sql)
                 for n, (c, _) in enumerate(run)]
        sql = "WITH " + ", ".join(f"w{n} AS ({part})" for n, part in enumerate(parts[:-1]))
        merged = _Combined(f"{sql} {parts[-1]}", False, (), {}, (), (), None, frozenset(),
                           members=len(run))
        _combined_sql[key] = merged
    args = {f"s{n}_{name}": value for n, (_, a) in enumerate(run) for name, value in a.items()}
    return merged, args


def _expand(prepared: list[tuple[_Compiled, Any]],
            results: list[list[tuple[Any, ...]]]) -> list[list[tuple[Any, ...]]]:
    """One result per original statement: a combined statement stands for several writes."""
    if not any(isinstance(c, _Combined) for c, _ in prepared):
        return results
    out: list[list[tuple[Any, ...]]] = []
    for (c, _), rows in zip(prepared, results, strict=True):
        out.extend([rows] if not isinstance(c, _Combined) else [[] for _ in range(c.members)])
    return out


_DEFERRED = "ww_fastsql_deferred"

_current: ContextVar[UnitOfWork | None] = ContextVar("ww_fastsql_unit_of_work", default=None)


class UnitOfWork:
    """A transaction on a pooled DBAPI connection, for statements run with ``Prepared``.

    On PostgreSQL it runs in autocommit mode: reads run alone, and the deferred writes go at
    commit as one statement, which is a transaction by itself (``_combine``). A message then
    costs two round trips and no BEGIN or COMMIT; measured here, the explicit transaction
    (BEGIN, a pipeline of writes, COMMIT) cost about 500 µs more client CPU and 300 µs more
    server CPU per message. A read after deferred writes, or writes that do not merge, open a
    real transaction (``begin``), so the unit stays all or nothing either way.

    The connection is not pinged when checked out (see ``db.make_uow_engine``): if the first
    statement finds it gone (the server restarted, say), the unit takes a new connection and
    runs that statement again. Nothing was written before it, so nothing is lost or doubled."""

    def __init__(self, engine: sa.Engine, *, immediate: bool = False,
                 busy_ms: int | None = None) -> None:
        self.engine = engine
        self.immediate = immediate
        self.busy_ms = busy_ms
        self.dialect = engine.dialect
        self.echo = _echo(engine)
        self.deferred: list[tuple[Prepared, Mapping[str, Any] | None]] = []
        self.done = False
        #: No statement has run yet: a lost connection can be replaced.
        self.fresh = True
        self._checkout()

    def _checkout(self) -> None:
        # Checked out of the pool: the main engine's pings, the units' own does not.
        self._pooled = self.engine.raw_connection()
        self.dbapi: Any = self._pooled.dbapi_connection
        self.autocommit = self.dialect.name == "postgresql"
        if self.autocommit:
            self._was_autocommit = bool(self.dbapi.autocommit)
            if not self._was_autocommit:  # psycopg's setter costs a call even when equal
                self.dbapi.autocommit = True
        elif self.dialect.name == "sqlite":
            if self.busy_ms is not None:
                self.dbapi.execute(f"PRAGMA busy_timeout={max(0, int(self.busy_ms))}")
            # The engine's connections run in autocommit mode and emit BEGIN themselves.
            self.dbapi.execute("BEGIN IMMEDIATE" if self.immediate else "BEGIN")

    def run(self, statements: Sequence[tuple[Prepared, Mapping[str, Any] | None]], *,
            commit: bool = False, atomic: bool = False) -> list[list[tuple[Any, ...]]]:
        fresh, self.fresh = self.fresh, False
        try:
            return _run(statements, self.dialect, self.dbapi, commit=commit, echo=self.echo,
                        atomic=atomic)
        except self.dialect.loaded_dbapi.OperationalError:
            # Only a first read is run again: a write may have taken effect before the
            # connection broke (in autocommit mode, reads run alone; see ``batch``).
            reading = self.autocommit and not (commit or atomic)
            if not (fresh and reading and getattr(self.dbapi, "broken", False)):
                raise
        # The connection was gone before anything of ours ran: take a new one, once.
        self._pooled.invalidate()
        self._checkout()
        return _run(statements, self.dialect, self.dbapi, commit=commit, echo=self.echo,
                    atomic=atomic)

    def begin(self) -> None:
        """PostgreSQL: leave autocommit mode; psycopg sends BEGIN with the next statement."""
        if self.autocommit:
            self.dbapi.autocommit = False
            self.autocommit = False

    def commit(self) -> None:
        """Run the deferred statements and commit (one round trip on PostgreSQL)."""
        pending, self.deferred = self.deferred, []
        self.run(pending, commit=not self.autocommit, atomic=self.autocommit)
        self.done = True

    def rollback(self) -> None:
        self.deferred.clear()
        self.dbapi.rollback()
        self.done = True

    def close(self) -> None:
        """Back to the pool idle, in the autocommit mode and with the lock wait it came in."""
        try:
            if self.dialect.name == "postgresql" and not self.dbapi.closed:
                if self.dbapi.info.transaction_status != 0:  # not idle: a failed commit
                    self.dbapi.rollback()
                if self.dbapi.autocommit != self._was_autocommit:
                    self.dbapi.autocommit = self._was_autocommit
            elif self.busy_ms is not None and self.dialect.name == "sqlite":
                self.dbapi.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        finally:
            self._pooled.close()


@contextmanager
def unit_of_work(engine: sa.Engine | None = None, *, immediate: bool = False,
                 busy_ms: int | None = None) -> Iterator[UnitOfWork]:
    """Run the ``Prepared`` statements of the block in one transaction of their own.

    The caller commits (``uow.commit()``); a block left without a commit rolls back. ORM
    statements inside the block do not take part: use it where every statement is prepared.
    ``immediate``: on SQLite, take the write lock at the start (``BEGIN IMMEDIATE``), for a unit
    that reads and then writes. ``busy_ms``: on SQLite, how long to wait for another
    connection's write lock (instead of ``db.SQLITE_BUSY_MS``)."""
    uow = UnitOfWork(engine if engine is not None else get_uow_engine(), immediate=immediate,
                     busy_ms=busy_ms)
    token = _current.set(uow)
    try:
        yield uow
    finally:
        _current.reset(token)
        try:
            if not uow.done:
                uow.rollback()
        finally:
            uow.close()


def current_dialect() -> str:
    """The dialect name the statements run in (the unit of work's, else the session's)."""
    uow = _current.get()
    return uow.dialect.name if uow is not None else Session().get_bind().dialect.name


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
