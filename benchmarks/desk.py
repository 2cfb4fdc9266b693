"""Benchmark: the agency's desk (the filtered first page of feedback, with its total) through the
service, beside a raw indexed SQL query for the same rows, measured in the same run.

    python benchmarks/desk.py [--feedback 1000000] [--windows 2000] [--repeat 15]
                              [--keep FILE] [--reuse]

The database is SQLite in a temporary folder, or PostgreSQL when DATABASE_URL is set (the database
named there is emptied, migrated and filled: use a scratch one). ``--keep FILE`` keeps the SQLite
database in FILE; ``--reuse`` times the data a previous run left (SQLite ``--keep`` file or the
PostgreSQL database) without generating it again, so the same rows can be re-timed. Rows go in
through SQLAlchemy Core ``executemany`` in large chunks. For each filter set, the baseline is
hand-written SQL: the page's rows (feedback with window and unit names, newest first, LIMIT 50)
and a COUNT(*) that joins only what the filter needs. The service builds its query from the desk's
filters and the user's scope, selects the page's plain rows and counts. Target (issue 13): at most
3x the baseline.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from admin_web.app import create_app  # noqa: E402
from benchmarks._common import reset_schema  # noqa: E402
from feedback_api import schema  # noqa: E402
from feedback_api.db import Session, UTCDateTime  # noqa: E402
from feedback_api.models import Feedback, Unit, User, Window  # noqa: E402
from feedback_api.models.reference import CHANNELS, INDUSTRIES, TOPICS  # noqa: E402
from feedback_api.services import feedback as feedback_service  # noqa: E402
from feedback_api.services import feedback_list, users  # noqa: E402

CHUNK = 50_000
PER_PAGE = 50
START = datetime(2025, 12, 1, tzinfo=UTC)
SPAN = timedelta(days=365).total_seconds()
PHRASES = ("排队时间太长", "工作人员态度很好", "窗口没人", "办事效率高", "材料要求说明不清",
           "环境整洁", "收费不透明", "叫号系统故障", "服务热情周到", "等了两个小时")


def generate(n_windows: int, n_feedback: int, seed: int = 13) -> float:
    """The district and its feedback; returns the seconds the feedback insert took."""
    rnd = random.Random(seed)
    conn = Session.connection()
    now = datetime.now(UTC)
    industries = list(INDUSTRIES)
    n_units = max(len(industries), n_windows // 10)
    conn.execute(Unit.__table__.insert(), [
        {"id": i + 1, "code": f"U{i + 1}", "name": f"单位{i + 1}",
         "industry": industries[i % len(industries)], "authority": "", "contact_person": "",
         "contact_phone": "", "address": "", "created_at": now} for i in range(n_units)])
    conn.execute(Window.__table__.insert(), [
        {"id": w + 1, "code": f"W{w + 1:05d}", "name": f"窗口{w + 1}", "unit_id": w % n_units + 1,
         "address": "", "service_items": "", "staff_count": 3, "contact_person": "",
         "contact_phone": "", "service_hours": "", "status": "demonstration", "status_reason": "",
         "remarks": "", "created_at": now, "updated_at": now} for w in range(n_windows)])
    topics, channels = list(TOPICS), list(CHANNELS)
    insert = Feedback.__table__.insert()
    began = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for i in range(n_feedback):
        analysed = rnd.random() < 0.6
        text = rnd.choice(PHRASES) if rnd.random() < 0.4 else None
        received = START + timedelta(seconds=rnd.random() * SPAN)
        rows.append({
            "receipt_no": f"B{i:012d}", "window_id": rnd.randint(1, n_windows),
            "citizen_id": None, "channel": rnd.choices(channels, (80, 10, 4, 4, 2))[0],
            "rating": rnd.choices((1, 2, 3, 4, 5), (3, 4, 10, 33, 50))[0],
            "rating_counts": True, "text": text,
            "masked_text": text if analysed else None,
            "received_at": received,
            # The newest feedback waits for review: the desk's queue is a small share.
            "review_state": ("pending" if received > START + timedelta(days=350)
                             else rnd.choices(("valid", "invalid"), (95, 5))[0]),
            "sentiment": rnd.random() if analysed and text else None,
            "main_topic": rnd.choice(topics) if analysed and text else None,
            "analyzed_at": now if analysed else None, "created_at": now})
        if len(rows) == CHUNK:
            conn.execute(insert, rows)
            rows.clear()
    if rows:
        conn.execute(insert, rows)
    took = time.perf_counter() - began
    Session.commit()
    if Session.get_bind().dialect.name == "postgresql":
        with Session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("ANALYZE"))
    else:
        Session.execute(sa.text("ANALYZE"))
        Session.commit()
    return took


def _bounds(day_from: date, day_to: date) -> dict[str, datetime]:
    return {"start": feedback_service.local_day_bounds(day_from)[0],
            "end": feedback_service.local_day_bounds(day_to)[1]}


def scenarios(unit_user: User) -> list[tuple[str, str, dict[str, Any], str, str, dict[str, Any]]]:
    """(name, username, the desk's filters, raw WHERE, raw joins for the count, raw params)."""
    month = (date(2026, 6, 1), date(2026, 6, 30))
    week = (date(2026, 11, 20), date(2026, 11, 30))
    unit_id = unit_user.scopes[0].unit_id
    return [
        ("queue (pending)", "agency", {"review_state": "pending"},
         "f.review_state = 'pending'", "", {}),
        ("window + month", "agency",
         {"window": "W00042", "date_from": month[0], "date_to": month[1]},
         "w.code = 'W00042' AND f.received_at >= :start AND f.received_at < :end",
         "JOIN windows w ON w.id = f.window_id", _bounds(*month)),
        ("pending + keyword", "agency", {"review_state": "pending", "q": "态度"},
         "f.review_state = 'pending' AND f.text LIKE '%态度%'", "", {}),
        ("industry + 1 star + week", "agency",
         {"industry": "tax", "rating": 1, "date_from": week[0], "date_to": week[1]},
         "u.industry = 'tax' AND f.rating = 1 AND f.received_at >= :start AND f.received_at < :end",
         "JOIN windows w ON w.id = f.window_id JOIN units u ON u.id = w.unit_id", _bounds(*week)),
        ("unit's pending negative", "bench-unit", {"review_state": "pending", "sentiment": "negative"},
         f"w.unit_id = {unit_id} AND f.review_state = 'pending' AND (f.reviewed_sentiment = 0 OR "
         "(f.reviewed_sentiment IS NULL AND f.sentiment < 0.4))",
         "JOIN windows w ON w.id = f.window_id", {}),
    ]


def raw(where: str, count_joins: str, params: dict[str, Any]) -> tuple[list[int], int]:
    types = [sa.bindparam(k, type_=UTCDateTime) for k in params]  # stored as the models store
    rows = Session.execute(sa.text(
        "SELECT f.id, f.receipt_no, f.received_at, f.rating, f.text, f.masked_text, f.channel, "
        "f.review_state, f.topics, f.reviewed_topics, w.code, w.name, u.name "
        "FROM feedback_items f JOIN windows w ON w.id = f.window_id JOIN units u ON u.id = w.unit_id "
        f"WHERE {where} ORDER BY f.received_at DESC, f.id DESC LIMIT {PER_PAGE}")
        .bindparams(*types), params).all()
    total = Session.scalar(sa.text(
        f"SELECT count(*) FROM feedback_items f {count_joins} WHERE {where}").bindparams(*types),
        params)
    return [r[0] for r in rows], int(total or 0)


def service(user: User, filters: dict[str, Any]) -> tuple[list[int], int]:
    items, total = feedback_list.list_feedback(user, page=1, per_page=PER_PAGE, **filters)
    return [i.id for i in items], total


def best_of(fn: Callable[[Any], Any], repeat: int, username: str) -> float:
    """The fastest of ``repeat`` runs, each in a fresh transaction with nothing loaded but the
    signed-in user (as a request has it before the view runs)."""
    times = []
    for _ in range(repeat):
        Session.rollback()
        Session.expunge_all()
        user = users.get_user(username)
        _ = user.role, list(user.scopes)
        t = time.perf_counter()
        fn(user)
        times.append(time.perf_counter() - t)
    Session.rollback()
    return min(times)


def run(n_feedback: int, n_windows: int, repeat: int, url: str | None = None,
        out: Callable[[str], Any] = print, keep: str | None = None,
        reuse: bool = False) -> dict[str, float]:
    """Generate (unless ``reuse``), check the service returns the raw query's rows, and time
    both. Returns each scenario's ratio."""
    tmp = tempfile.mkdtemp(prefix="ww-bench-desk-")
    if url:
        if not reuse:
            reset_schema(url)
    else:
        path = Path(keep).resolve() if keep else Path(tmp) / "bench.db"
        if keep and not reuse:
            path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    app = create_app({"WW_ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "WW_INSTANCE_PATH": tmp})
    if not reuse:
        schema.upgrade(app.extensions["ww_engine"])
    ratios: dict[str, float] = {}
    with app.app_context():
        engine = Session.get_bind().dialect.name
        if reuse:
            out(f"reusing {Session.scalar(sa.select(sa.func.count()).select_from(Feedback)):,} "
                f"feedback rows ({engine})")
        else:
            took = generate(n_windows, n_feedback)
            out(f"inserted {n_feedback:,} feedback rows in {took:.1f} s "
                f"({n_feedback / took:,.0f} rows/s, {engine})")
            users.create_user(None, "agency", role="agency", password="bench-password-1")
            users.create_user(None, "bench-unit", role="unit", password="bench-password-1",
                              scopes=["U7"])
            Session.commit()
        for name, username, filters, where, joins, params in scenarios(users.get_user("bench-unit")):
            expected = raw(where, joins, params)
            got = service(users.get_user(username), filters)
            assert got == expected, (name, got, expected)
            base = best_of(lambda _u, w=where, j=joins, p=params: raw(w, j, p), repeat, username)
            full = best_of(lambda u, f=filters: service(u, f), repeat, username)
            ratios[name] = full / base
            out(f"{name:26} total {expected[1]:>8,}  raw {base * 1000:8.1f} ms  "
                f"service {full * 1000:8.1f} ms  ratio {full / base:.2f}x")
        out(f"worst ratio: {max(ratios.values()):.2f}x (target at most 3x)")
        Session.remove()
    app.extensions["ww_engine"].dispose()
    shutil.rmtree(tmp, ignore_errors=True)  # a million rows take 350 MB
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feedback", type=int, default=1_000_000)
    parser.add_argument("--windows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", metavar="FILE", help="keep the SQLite database in FILE")
    parser.add_argument("--reuse", action="store_true",
                        help="time the data a previous run left (--keep FILE, or DATABASE_URL)")
    args = parser.parse_args()
    if args.reuse and not (args.keep or os.environ.get("DATABASE_URL")):
        parser.error("--reuse needs --keep FILE or DATABASE_URL")
    run(args.feedback, args.windows, args.repeat, os.environ.get("DATABASE_URL"),
        keep=args.keep, reuse=args.reuse)


if __name__ == "__main__":
    main()
