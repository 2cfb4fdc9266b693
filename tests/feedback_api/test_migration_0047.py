"""Migration 0047: windows gain ``listed_on`` (挂牌日期), filled for the windows there before with
the district's (Beijing) date of the day each was entered; the downgrade drops it, the rest kept."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from feedback_api import schema
from feedback_api.db import make_engine
from tests.db_compare import drop_scratch_database, scratch_database
from tests.migration_helpers import add, unit_and_titled_windows

WINDOWS = "SELECT code, name, status, status_date, status_year, status_reason FROM windows ORDER BY code"


def test_0047_backfills_the_listing_date_from_the_beijing_day_of_entry(database_url, tmp_path):
    url = scratch_database(database_url, "listed_on", tmp_path)
    engine = make_engine(url)
    try:
        schema.upgrade(engine, "0046")
        with engine.begin() as conn:
            unit_and_titled_windows(conn)
            # 17:00 UTC on 31 March is 01:00 on 1 April in Beijing; 15:59 UTC is still 31 March.
            add(conn, "UPDATE windows SET created_at = '2026-03-31 17:00:00' WHERE code = 'U-1'")
            add(conn, "UPDATE windows SET created_at = '2026-03-31 15:59:00' WHERE code = 'U-2'")
        with engine.connect() as conn:
            before = conn.execute(sa.text(WINDOWS)).all()
        schema.upgrade(engine, "0047")
        with engine.begin() as conn:
            assert conn.execute(sa.text(WINDOWS)).all() == before
            listed = dict(conn.execute(sa.text("SELECT code, listed_on FROM windows")).all())
            as_dates = {k: v if isinstance(v, date) else date.fromisoformat(v) for k, v in listed.items()}
            assert as_dates == {"U-1": date(2026, 4, 1), "U-2": date(2026, 3, 31),
                                "U-3": date(2026, 10, 1)}  # NOW, 08:00 UTC on 1 October
            column = {c["name"]: c for c in sa.inspect(conn).get_columns("windows")}["listed_on"]
            assert column["nullable"] is False
        schema.downgrade(engine, "0046")
        with engine.connect() as conn:
            assert "listed_on" not in {c["name"] for c in sa.inspect(conn).get_columns("windows")}
            assert conn.execute(sa.text(WINDOWS)).all() == before
        schema.upgrade(engine)
    finally:
        engine.dispose()
        drop_scratch_database(url)
