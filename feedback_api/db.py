"""Declarative base, engine and the request-scoped SQLAlchemy session."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.orm import Session as _OrmSession

if TYPE_CHECKING:
    from flask import Flask

#: Constraint names are fixed so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class _AppBoundSession(_OrmSession):
    """A session that uses the engine of the current Flask app."""

    def get_bind(self, mapper: Any = None, clause: Any = None, **kw: Any) -> Any:
        return get_engine()


#: The one session object: services use it, units of work commit it, teardown removes it.
Session = scoped_session(sessionmaker(class_=_AppBoundSession, expire_on_commit=False))


#: How long a SQLite connection waits for another's write lock (``begin_write`` sets its own).
SQLITE_BUSY_MS = 30000
_WRITE_WAIT = "ww_write_wait_ms"
_BUSY_MS = "ww_sqlite_busy_ms"
#: ``begin_write``'s wait, in these steps (rounded down), so consecutive messages wait the same.
WAIT_STEP_MS = 100


def make_engine(url: str, echo: bool = False, *, async_commit: bool = False) -> sa.Engine:
    """Create an engine; SQLite gets WAL, foreign keys and real SAVEPOINT support.

    Commits wait for the disk (a receipt number given to a citizen must survive a crash) unless
    ``async_commit`` (``WW_DB_ASYNC_COMMIT``), an explicit opt-in."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_MS / 1000})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling breaks SAVEPOINT).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            record.info[_BUSY_MS] = SQLITE_BUSY_MS
            # In WAL mode FULL syncs the log at every commit; NORMAL may lose the last ones.
            cur.execute(f"PRAGMA synchronous={'NORMAL' if async_commit else 'FULL'}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: sa.Connection) -> None:
            wait_ms = conn.get_execution_options().get(_WRITE_WAIT)
            # The connection keeps the busy timeout its last transaction began with: set only
            # when this one needs another (the webhook's messages, one after another, do not).
            busy_ms = SQLITE_BUSY_MS if wait_ms is None else int(wait_ms)
            info = conn.connection.info
            if info.get(_BUSY_MS) != busy_ms:
                info.pop(_BUSY_MS, None)  # unknown, should the PRAGMA fail
                conn.exec_driver_sql(f"PRAGMA busy_timeout={busy_ms}")
                info[_BUSY_MS] = busy_ms
            # A write transaction takes the write lock first: a read first would pin a snapshot
            # that SQLite refuses to turn into a write once another connection has committed.
            conn.exec_driver_sql("BEGIN" if wait_ms is None else "BEGIN IMMEDIATE")

        return engine
    connect_args = {"options": "-c synchronous_commit=off"} if async_commit else {}
    return sa.create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20,
                            connect_args=connect_args)


def begin_write(wait_ms: int) -> None:
    """Begin the session's transaction as a write that waits for locks at most ``wait_ms``.

    SQLite takes its write lock at once (``BEGIN IMMEDIATE``), waiting at most that long;
    PostgreSQL bounds each lock wait and statement of this transaction (``SET LOCAL``). Past the
    wait, the statement fails with ``OperationalError`` and nothing of the transaction stays."""
    wait_ms = max(1, int(wait_ms) // WAIT_STEP_MS * WAIT_STEP_MS or int(wait_ms))
    conn = Session.connection(execution_options={_WRITE_WAIT: wait_ms})
    if conn.dialect.name == "postgresql":
        Session.execute(_PG_TIMEOUTS, {"wait": f"{wait_ms}ms"})


#: Built once (every WeChat message runs it on PostgreSQL).
_PG_TIMEOUTS = sa.select(
    sa.func.set_config("lock_timeout", sa.bindparam("wait", type_=sa.String), True),
    sa.func.set_config("statement_timeout", sa.bindparam("wait", type_=sa.String), True))


def own_transaction(view: Any) -> Any:
    """Mark a view that begins its own transaction (``begin_write``): the request hook that
    takes SQLite's write lock first for state-changing requests leaves it alone."""
    view.ww_own_transaction = True
    return view


def begin_request_write() -> None:
    """A request that may write, on SQLite, takes the write lock first (``BEGIN IMMEDIATE``),
    waiting for it up to the busy timeout: a transaction that reads first and writes later is
    refused at once, without waiting, when another connection commits in between. PostgreSQL
    needs nothing of the kind."""
    if get_engine().dialect.name == "sqlite":
        Session.connection(execution_options={_WRITE_WAIT: SQLITE_BUSY_MS})


def upsert_insert(dialect: str, table: sa.Table) -> Any:
    """``INSERT`` with ``on_conflict_do_nothing``/``on_conflict_do_update`` for the engine's
    dialect (PostgreSQL's, else SQLite's: the two engines we run on)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def get_engine() -> sa.Engine:
    return current_app.extensions["ww_engine"]


def dispose_engines(app: Flask) -> None:
    """Close the pooled connections of the app's engine."""
    if "ww_engine" in app.extensions:
        app.extensions["ww_engine"].dispose()


def init_app(app: Flask) -> None:
    """Attach the engine to the app and remove the session at the end of every app context."""
    url, echo = app.config["DATABASE_URL"], app.config["WW_SQL_ECHO"]
    async_commit = app.config["WW_DB_ASYNC_COMMIT"]
    if async_commit:
        app.logger.warning("WW_DB_ASYNC_COMMIT is on: commits do not wait for the disk, so a "
                           "crash may lose answered messages whose receipt numbers citizens hold")
    app.extensions["ww_engine"] = make_engine(url, echo, async_commit=async_commit)

    @app.teardown_appcontext
    def _remove_session(exc: BaseException | None) -> None:
        end_session(rollback=exc is not None)


def end_session(*, rollback: bool = False) -> None:
    """End the session's transaction and remove it. When its connection died under it (the
    database server restarted, the backend was killed) ending the transaction fails too: the
    server has already rolled it back, so the connection is discarded instead, quietly, and the
    pool opens a new one for the next request (rather than the request failing as it ends)."""
    try:
        if rollback:
            Session.rollback()
        Session.remove()
    except sa.exc.DBAPIError as exc:
        logging.getLogger(__name__).warning(
            "database connection lost; discarded: %s", str(exc.orig).splitlines()[0]
            if exc.orig else type(exc).__name__)
        Session.registry().invalidate()
        Session.remove()


class ProcessLock:
    """A lock one process holds for its lifetime, across the hosts that share the database:
    PostgreSQL's session advisory lock on a connection of its own, or, on SQLite, ``flock`` on
    a file beside the database (SQLite is shared by the processes of one host only).

    ``acquire`` does not wait: False when another process holds the lock. The lock goes when
    ``release`` is called or the process ends (its connection or file closes)."""

    def __init__(self, engine: sa.Engine, name: str) -> None:
        self.engine, self.name = engine, name
        self._conn: sa.Connection | None = None
        self._fd: int | None = None

    def _key(self) -> int:
        digest = hashlib.sha256(f"window-watch:{self.name}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)  # PostgreSQL's bigint

    def acquire(self) -> bool:
        if self.engine.dialect.name == "postgresql":
            conn = self.engine.connect()
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"),
                               {"key": self._key()}).scalar_one()
            conn.commit()  # the session lock outlives the transaction
            if not got:
                conn.close()
                return False
            self._conn = conn
            return True
        database = self.engine.url.database
        if database in (None, "", ":memory:"):
            return True  # a private database: no other process shares it
        fd = os.open(f"{database}.ww-{self.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def ensure(self) -> bool:
        """Whether the lock is still ours. On PostgreSQL the lock lives with its connection: if
        the connection is gone (the server restarted, say), take the lock again on a new one;
        False when another process has taken it meanwhile."""
        if self._conn is None:
            return self._fd is not None or self.engine.dialect.name != "postgresql"
        try:
            self._conn.execute(sa.text("SELECT 1")).scalar_one()
            self._conn.commit()
            return True
        except sa.exc.DBAPIError:
            conn, self._conn = self._conn, None
            conn.invalidate()
            conn.close()
        return self.acquire()

    def release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self._key()})
                conn.commit()
            finally:
                conn.close()
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the file releases the flock
