"""Helpers the database benchmarks share: a scratch PostgreSQL schema emptied, a best-of timer."""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa

from feedback_api.db import Session


def reset_schema(url: str) -> None:
    """Empty the database named by ``url`` (PostgreSQL): drop and recreate the public schema."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs of ``fn``, each followed by a rollback."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        Session.rollback()
    return min(times)
