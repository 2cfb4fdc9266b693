"""A page beside its own database queries: the SQL statements a request sends, recorded by an
engine event, then sent again through the driver with every row fetched (``benchmarks/assessment.py``
and ``benchmarks/report_page.py``)."""

from __future__ import annotations

import time

import sqlalchemy as sa

from feedback_api.db import Session


class StatementClock:
    """The SQL statements an engine runs while ``on`` (text and parameters, as sent)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements: list[tuple[str, object]] = []
        self.on = False
        sa.event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, parameters, *_args) -> None:  # type: ignore[no-untyped-def]
        if self.on:
            self.statements.append((statement, parameters))

    def capture(self, fn):  # type: ignore[no-untyped-def]
        self.statements, self.on = [], True
        t = time.perf_counter()
        try:
            fn()
        finally:
            self.on = False
        return time.perf_counter() - t


def replay(statements: list[tuple[str, object]]) -> float:
    """The time of the page's own queries: each SELECT it sent, sent again through the driver
    with every row fetched (a cursor event alone would miss SQLite's work done while fetching)."""
    conn = Session.connection()
    t = time.perf_counter()
    for statement, parameters in statements:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            conn.exec_driver_sql(statement, parameters).fetchall()  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t
    Session.rollback()
    return elapsed


def page_vs_queries(app, clock: StatementClock, client, path: str,  # type: ignore[no-untyped-def]
                    repeat: int) -> tuple[float, float, int]:
    """Best of ``repeat`` for the page, and best of ``repeat`` replays of its SELECTs."""
    def get() -> None:
        resp = client.get(path)
        assert resp.status_code == 200, resp.status_code

    page = min(clock.capture(get) for _ in range(repeat))
    statements = [s for s in clock.statements
                  if s[0].lstrip().upper().startswith(("SELECT", "WITH"))]
    with app.app_context():
        sql = min(replay(statements) for _ in range(repeat))
        Session.remove()
    return page, sql, len(statements)
