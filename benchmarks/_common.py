"""Helpers the database benchmarks share: a scratch PostgreSQL schema emptied, the app on a fresh
migrated database, a best-of timer."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session


def reset_schema(url: str) -> None:
    """Empty the database named by ``url`` (PostgreSQL): drop and recreate the public schema."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def fresh_app(prefix: str) -> Any:
    """The app on an empty, migrated database: ``DATABASE_URL``'s (PostgreSQL, emptied) or a new
    SQLite file in a scratch directory, which is also the instance path."""
    from admin_web.app import create_app
    from feedback_api import schema

    url = os.environ.get("DATABASE_URL")
    tmp = tempfile.mkdtemp(prefix=prefix)
    if url:
        reset_schema(url)
    else:
        url = f"sqlite:///{tmp}/bench.db"
    app = create_app({"WW_ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "WW_INSTANCE_PATH": tmp, "WTF_CSRF_ENABLED": False,
                      "WW_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    schema.upgrade(app.extensions["ww_engine"])
    return app


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs of ``fn``, each followed by a rollback."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        Session.rollback()
    return min(times)
