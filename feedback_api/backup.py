"""Backups of the whole database, and restoring one into an empty database.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot while
the platform keeps writing. PostgreSQL: ``pg_dump`` in its custom format and ``pg_restore``, in
one transaction, found on PATH or in Debian's /usr/lib/postgresql/<version>/bin. Both write to a
temporary file first and rename it when complete, so a backup file is whole or absent.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa


class BackupError(Exception):
    """A backup or a restore that could not be done; the message is for people (Chinese)."""


def default_name(engine: sa.Engine, folder: Path) -> Path:
    suffix = "sqlite3" if engine.dialect.name == "sqlite" else "dump"
    return folder / f"window-watch-{datetime.now(UTC):%Y%m%d-%H%M%S}.{suffix}"


def backup(engine: sa.Engine, dest: Path) -> Path:
    """Write a backup of the database behind ``engine`` to ``dest``; return the path."""
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_backup(_sqlite_path(engine), partial)
        elif engine.dialect.name == "postgresql":
            _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  "--file", str(partial), "--dbname", _libpq_uri(engine)], engine.url.password)
        else:
            raise BackupError(f"不支持的数据库类型：{engine.dialect.name}")
        _fsync(partial)
        os.replace(partial, dest)
        _fsync_dir(dest.parent)
    finally:
        partial.unlink(missing_ok=True)
    return dest


def restore(engine: sa.Engine, source: Path) -> None:
    """Restore ``source`` (a file ``backup`` wrote for the same engine) into the database behind
    ``engine``, which must be empty: a restore never overwrites data silently."""
    if not source.is_file():
        raise BackupError(f"备份文件不存在：{source}")
    existing = sa.inspect(engine).get_table_names()
    if existing:
        raise BackupError(f"目标数据库不是空的（已有 {len(existing)} 张表）；请恢复到一个新建的空数据库")
    if engine.dialect.name == "sqlite":
        _sqlite_restore(source, _sqlite_path(engine))
    elif engine.dialect.name == "postgresql":
        _run([_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", "--dbname", _libpq_uri(engine), str(source)],
             engine.url.password)
    else:
        raise BackupError(f"不支持的数据库类型：{engine.dialect.name}")
    engine.dispose()  # pooled connections knew the empty database


def _sqlite_path(engine: sa.Engine) -> Path:
    name = engine.url.database
    if not name or name == ":memory:":
        raise BackupError("内存数据库无法备份")
    return Path(name)


def _sqlite_backup(source: Path, dest: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(dest)
    try:
        with dst:
            src.backup(dst)
        # The copy is a standalone file: no WAL beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def _sqlite_restore(source: Path, dest: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        try:
            ok = src.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"不是有效的 SQLite 备份文件：{source}") from exc
        if not ok or ok[0] != "ok":
            raise BackupError(f"备份文件已损坏：{source}")
        dst = sqlite3.connect(dest)
        try:
            with dst:
                src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")  # as the platform runs it
        finally:
            dst.close()
    finally:
        src.close()


def _pg_tool(name: str) -> str:
    """The newest ``pg_dump``/``pg_restore``: PATH first, then Debian's versioned folders."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if candidates:
        return candidates[-1]
    raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（postgresql-client）")


def _libpq_uri(engine: sa.Engine) -> str:
    """SQLAlchemy's URL without the driver name nor the password (which goes through the
    environment, never the command line other users can read): what libpq understands."""
    u = engine.url
    return sa.URL.create("postgresql", username=u.username, host=u.host, port=u.port,
                         database=u.database, query=u.query).render_as_string()


def _run(argv: list[str], password: str | None = None) -> None:
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = password
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    except OSError as exc:
        raise BackupError(f"无法运行 {argv[0]}：{exc}") from exc
    if done.returncode != 0:
        tool = Path(argv[0]).name
        detail = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        raise BackupError(f"{tool} 失败（退出码 {done.returncode}）：{detail}")


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
