"""The migration tests' scratch databases are dropped whatever PostgreSQL is doing in them.

CI once went red because ``DROP DATABASE ... WITH (FORCE)`` refused to end an autovacuum worker
that had just entered a scratch database (the test role is no superuser). Here a worker is made
to come, and be slow, before the drop."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from tests.db_compare import drop_scratch_database, scratch_database

WAIT_FOR_WORKER_S = 150  # autovacuum_naptime is 1 min by default


def _backends(admin: sa.Engine, name: str) -> int:
    with admin.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :n"),
                            {"n": name}).scalar_one()


def test_a_scratch_database_is_dropped_while_autovacuum_works_in_it(database_url, tmp_path):
    if sa.make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL's autovacuum")
    url = scratch_database(database_url, "autovacuum", tmp_path)
    name = sa.make_url(url).database
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        # Dead rows that autovacuum must clean, at its slowest pace, so the worker stays.
        conn.execute(sa.text(
            "CREATE TABLE t (id int, pad text) WITH (autovacuum_vacuum_cost_delay = 100,"
            " autovacuum_vacuum_cost_limit = 1, autovacuum_vacuum_threshold = 0,"
            " autovacuum_vacuum_scale_factor = 0)"))
        conn.execute(sa.text("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 300000) g"))
        conn.execute(sa.text("DELETE FROM t"))
    engine.dispose()

    admin = sa.create_engine(database_url)
    try:
        deadline = time.monotonic() + WAIT_FOR_WORKER_S
        while _backends(admin, name) == 0:
            assert time.monotonic() < deadline, "no autovacuum worker came into the scratch database"
            time.sleep(0.5)
        drop_scratch_database(url)
        with admin.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM pg_database WHERE datname = :n"),
                                {"n": name}).scalar_one() == 0
    finally:
        admin.dispose()
        drop_scratch_database(url)


def test_our_own_session_left_in_a_scratch_database_does_not_stop_its_drop(database_url, tmp_path):
    if sa.make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL's sessions")
    url = scratch_database(database_url, "left_open", tmp_path)
    left_open = sa.create_engine(url).connect()  # a test that forgot to close its connection
    try:
        drop_scratch_database(url)
        admin = sa.create_engine(database_url)
        try:
            assert _backends(admin, sa.make_url(url).database) == 0
        finally:
            admin.dispose()
    finally:
        left_open.invalidate()
        left_open.close()
