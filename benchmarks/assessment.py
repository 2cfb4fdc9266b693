"""Benchmark: a quarterly assessment of a generated district, beside a raw SQL GROUP BY over the
same feedback rows; a window's report page beside its own database queries; the nightly job
beside reading one day's new rows; each measured in the same run.

    python benchmarks/assessment.py [--windows 2000] [--feedback 500000] [--repeat 3]
        [--reuse] [--sums-only]

The database is SQLite in a temporary folder, or PostgreSQL when DATABASE_URL is set (the database
named there is emptied, migrated and filled: use a scratch one). The baseline is the least the
assessment must do: one GROUP BY window over the quarter's counted ratings. The assessment does
that and also the opinions' sentiment and topics, the inspections and covert inspections, the
composite and the rankings. Target (issue 14): at most 3x the baseline. The issue's full scale is
``--windows 2000 --feedback 5000000``.

The report page (``GET /reports/windows/CODE``, signed in as the office, through the Flask test
client: routing, the view, the template) is timed beside its own queries: the SELECTs it sent
(recorded by an engine event), sent again through the driver with every row fetched; before the
quarter is published (computed live) and after (read from the stored version). Target: at most
3x.

The assessment is timed from the feedback rows first (as before the first refresh of the sums),
then the sums are built (the first refresh, timed) and it is timed from the monthly sums, the
way every later reading runs (the target's figure).

The nightly job (``assessment-nightly``) stores the quarter that ended, once: it is timed on an
ordinary night (the quarter stored already) and on the night after the quarter ended (computing
and storing every window's row, from the sums as the scheduler's earlier job left them), beside
reading one day's new feedback rows (every column). The nightly incremental run
(``assessment-daily-sums``, per-window per-day sums and their months) is timed last, beside
reading one night's new rows, and the assessment again with that night's changes read live
(``benchmarks/nightly.py``).

The city is generated inside the database (``benchmarks/city.py``: INSERT ... SELECT over a
recursive CTE, tickets derived in SQL), the inspections through ``executemany``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from admin_web.app import create_app  # noqa: E402
from analytics import assessment, assessment_run, snapshots  # noqa: E402
from benchmarks import city, nightly  # noqa: E402
from benchmarks._common import best_of, reset_schema  # noqa: E402
from benchmarks.page_clock import StatementClock, page_vs_queries  # noqa: E402
from feedback_api import schema  # noqa: E402
from feedback_api.db import Session  # noqa: E402
from feedback_api.models import (  # noqa: E402
    CovertInspection,
    CovertResult,
    Feedback,
    Inspection,
    InspectionScore,
    Unit,
    Window,
)
from feedback_api.models.reference import INDUSTRIES  # noqa: E402
from feedback_api.services import standards, users  # noqa: E402

PERIOD = assessment.Period("quarter", 2026, 3)
LISTED_ON = date(2025, 1, 1)
CHUNK = 20000


def generate(n_windows: int, n_feedback: int, seed: int = 14) -> None:
    rnd = random.Random(seed)
    conn = Session.connection()
    industries = list(INDUSTRIES)
    units_per_industry = max(1, n_windows // (len(industries) * 10))
    units = [{"id": i + 1, "code": f"U{i + 1}", "name": f"单位{i + 1}",
              "industry": industries[i % len(industries)], "authority": "", "contact_person": "",
              "contact_phone": "", "address": "", "created_at": datetime.now(UTC)}
             for i in range(units_per_industry * len(industries))]
    conn.execute(Unit.__table__.insert(), units)
    now = datetime.now(UTC)
    # Listed (挂牌) well before the periods measured: a window entered today with no listing date
    # would be listed today, and assessed in no earlier period (the assessment would be empty).
    conn.execute(Window.__table__.insert(), [
        {"id": w + 1, "code": f"W{w + 1:05d}", "name": f"窗口{w + 1}", "unit_id": units[w % len(units)]["id"],
         "address": "", "service_items": "", "staff_count": 3, "contact_person": "", "contact_phone": "",
         "service_hours": "", "status": "demonstration", "status_reason": "", "remarks": "",
         "listed_on": LISTED_ON, "created_at": now, "updated_at": now} for w in range(n_windows)])
    # Generated inside the database (benchmarks/city.py); written a day ago, so the nightly
    # run measured below finds only the night's changes.
    yesterday = now - timedelta(days=1)
    city.insert_feedback(conn, n_windows, 1, n_feedback, list(standards.CATEGORIES),
                         now=yesterday, progress=n_feedback > city.CHUNK)
    city.insert_tickets(conn, yesterday)
    std = standards.ensure_standard(2026)
    Session.flush()
    inspections, scores, coverts, results = [], [], [], []
    for w in range(1, n_windows + 1):
        for q in (1, 2, 3):
            iid = len(inspections) + 1
            pts = {i.id: round(i.weight * rnd.uniform(0.6, 1.0), 1) for i in std.indicators}
            total = sum(pts.values())
            inspections.append({"id": iid, "window_id": w, "year": 2026, "quarter": q,
                                "inspected_on": date(2026, 3 * q, 10), "inspectors": "检查组",
                                "standard_id": std.id, "total": total, "max_total": std.max_score,
                                "passed": total >= std.pass_score, "notes": "", "created_at": now,
                                "updated_at": now})
            scores += [{"inspection_id": iid, "indicator_id": k, "score": v, "passed": True}
                       for k, v in pts.items()]
        for m in (7, 8, 9):
            cid = len(coverts) + 1
            coverts.append({"id": cid, "window_id": w, "inspected_on": date(2026, m, 5),
                            "standard_id": std.id, "notes": "", "created_at": now})
            results += [{"covert_inspection_id": cid, "indicator_id": i.id, "passed": rnd.random() > 0.1}
                        for i in std.indicators[:4]]
    for table, data in ((Inspection, inspections), (InspectionScore, scores),
                        (CovertInspection, coverts), (CovertResult, results)):
        for k in range(0, len(data), CHUNK):
            conn.execute(table.__table__.insert(), data[k:k + CHUNK])
    if Session.get_bind().dialect.name == "postgresql":
        Session.commit()
        Session.execute(sa.text("SELECT setval('feedback_items_id_seq', :n)"), {"n": n_feedback})
        Session.execute(sa.text("SELECT setval('tickets_id_seq', (SELECT max(id) FROM tickets))"))
        with Session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("ANALYZE"))
    Session.commit()


def baseline() -> int:
    """One GROUP BY window over the quarter's counted ratings."""
    start, end = PERIOD.utc_bounds()
    f = Feedback
    rows = Session.execute(
        sa.select(f.window_id, sa.func.count(), sa.func.sum(f.rating),
                  *[sa.func.sum(sa.case((f.rating == k, 1), else_=0)) for k in range(1, 6)])
        .where(f.rating.is_not(None), f.rating_counts.is_(True), f.review_state != "invalid",
               f.received_at >= start, f.received_at < end)
        .group_by(f.window_id)).all()
    return len(rows)


def one_day() -> int:
    """Reading one day's new rows (every column), the nightly job's baseline."""
    day = assessment.Period("month", 2026, 9).utc_bounds()[1]
    return len(Session.execute(sa.select(Feedback.__table__).where(
        Feedback.received_at >= day - timedelta(days=1), Feedback.received_at < day)).all())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=2000)
    parser.add_argument("--feedback", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the city an earlier run generated in DATABASE_URL (same sizes)")
    parser.add_argument("--sums-only", action="store_true",
                        help="skip the assessment from the feedback rows and the report page "
                             "(minutes each on SQLite at 5M rows)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    tmp = tempfile.mkdtemp(prefix="ww-bench-assess-")
    if not url:
        url = f"sqlite:///{tmp}/bench.db"
    elif not args.reuse and url.startswith("postgresql"):
        reset_schema(url)
    elif not args.reuse:
        Path(url.split("///", 1)[1]).unlink(missing_ok=True)
    app = create_app({"WW_ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "WW_INSTANCE_PATH": tmp, "WTF_CSRF_ENABLED": False,
                      "WW_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    engine = app.extensions["ww_engine"]
    schema.upgrade(engine)
    clock = StatementClock(engine)
    with app.app_context():
        t = time.perf_counter()
        if args.reuse:
            city.forget_runs(Session.connection(), args.feedback)
        else:
            generate(args.windows, args.feedback)
            users.create_user(None, "bench", role="office", password="bench-password-2026")
        Session.commit()
        print(f"{'reused' if args.reuse else 'generated'} {args.windows} windows, "
              f"{args.feedback} feedback rows in {time.perf_counter() - t:.1f} s "
              f"({Session.get_bind().dialect.name})")
        if not args.sums_only:
            n = baseline()
            rows = len(assessment.assess(PERIOD).rows)
            assert n == rows, (n, rows)
            base = best_of(baseline, args.repeat)
            full = best_of(lambda: assessment.assess(PERIOD), args.repeat)
            print(f"raw GROUP BY (baseline): {base * 1000:.0f} ms")
            print(f"quarterly assessment from the feedback rows (before the first refresh): "
                  f"{full * 1000:.0f} ms, {full / base:.2f}x")
        # What the scheduler has done before any night that reads the assessment (the sums'
        # job runs at 02:10, before the assessment's at 02:15): build the sums.
        nightly.first_refresh()
        nightly.measure_sums(PERIOD, baseline, args.repeat, " (right after the refresh)")
        Session.remove()
    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": "bench-password-2026"})
    path = f"/reports/windows/W00001?period={PERIOD.code}"
    for label in ("live (not published)", "published (stored version)"):
        if not args.sums_only:
            page, sql, count = page_vs_queries(app, clock, client, path, args.repeat)
            print(f"report page, {label}: {page * 1000:.0f} ms, its {count} statements "
                  f"{sql * 1000:.0f} ms, ratio {page / sql:.2f}x (target at most 3x)")
        if label.startswith("live"):
            with app.app_context():  # the night after the quarter ended: computed and stored
                quarter_end_night(args.repeat)
                Session.remove()
    with app.app_context():
        nightly.measure(args.windows, args.feedback, args.repeat)
        nightly.measure_sums(PERIOD, baseline, args.repeat, " (the night's changes read live)")
        Session.remove()


def quarter_end_night(repeat: int) -> None:
    """The nightly job on the night after the quarter ended (it computes and stores every
    window's row) and on an ordinary night, beside reading one day's rows."""
    stored = best_of_store(repeat)
    read = best_of(one_day, repeat)
    windows = len(snapshots.latest(PERIOD).rows)  # type: ignore[union-attr]
    print(f"one day's new rows read: {read * 1000:.0f} ms ({one_day()} rows)")
    print(f"nightly job, the night after the quarter ended (computes and stores {windows} rows): "
          f"{stored * 1000:.0f} ms, {stored / read:.2f}x the day's rows (target under 3x)")
    ordinary = best_of(lambda: assessment_run.snapshot_ended_quarter(NIGHT), repeat)
    print(f"nightly job, an ordinary night (quarter stored): {ordinary * 1000:.1f} ms, "
          f"{ordinary / read:.2f}x the day's rows (target under 3x)")


#: A night in the quarter after PERIOD.
NIGHT = date(2026, 10, 15)


def best_of_store(repeat: int) -> float:
    """Storing the ended quarter as the nightly job does, best of ``repeat`` (each version
    but the last is removed again, so every run stores version 1)."""
    times = []
    for k in range(repeat):
        t = time.perf_counter()
        _period, snap = assessment_run.snapshot_ended_quarter(NIGHT)
        Session.commit()
        times.append(time.perf_counter() - t)
        assert snap is not None
        if k < repeat - 1:
            Session.execute(sa.delete(snapshots.AssessmentSnapshot))
            Session.commit()
    return min(times)


if __name__ == "__main__":
    main()
