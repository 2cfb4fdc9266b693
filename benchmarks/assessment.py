"""Benchmark: a quarterly assessment of a generated district, beside a raw SQL GROUP BY over the
same feedback rows, measured in the same run.

    python benchmarks/assessment.py [--windows 2000] [--feedback 500000] [--repeat 3]

The database is SQLite in a temporary folder, or PostgreSQL when DATABASE_URL is set (the database
named there is emptied, migrated and filled: use a scratch one). The baseline is the least the
assessment must do: one GROUP BY window over the quarter's counted ratings. The assessment does
that and also the opinions' sentiment and topics, the inspections and covert inspections, the
composite and the rankings. Target (issue 14): at most 3x the baseline. The issue's full scale is
``--windows 2000 --feedback 5000000``.
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
from analytics import assessment  # noqa: E402
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
from feedback_api.services import standards  # noqa: E402

PERIOD = assessment.Period("quarter", 2026, 3)
CHUNK = 20000


def _reset(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


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
    conn.execute(Window.__table__.insert(), [
        {"id": w + 1, "code": f"W{w + 1:05d}", "name": f"窗口{w + 1}", "unit_id": units[w % len(units)]["id"],
         "address": "", "service_items": "", "staff_count": 3, "contact_person": "", "contact_phone": "",
         "service_hours": "", "status": "demonstration", "status_reason": "", "remarks": "",
         "created_at": now, "updated_at": now} for w in range(n_windows)])
    start = datetime(2026, 6, 20, tzinfo=UTC)  # some rows fall before the quarter
    span = (datetime(2026, 10, 10, tzinfo=UTC) - start).total_seconds()
    topics = list(standards.CATEGORIES)
    rows = []
    for i in range(n_feedback):
        analysed = rnd.random() < 0.3
        topic = rnd.choice(topics)
        rows.append({
            "receipt_no": f"B{i:012d}", "window_id": rnd.randint(1, n_windows), "channel": "wechat",
            "rating": rnd.choices((1, 2, 3, 4, 5), (3, 4, 10, 33, 50))[0],
            "rating_counts": rnd.random() > 0.05,
            "received_at": start + timedelta(seconds=rnd.random() * span),
            "review_state": "invalid" if rnd.random() < 0.02 else "pending",
            "sentiment": rnd.random() if analysed else None,
            "topics": [{"topic": topic, "score": 0.8}] if analysed else None,
            "main_topic": topic if analysed else None,  # as the model's "set" event keeps it
            "analyzed_at": now if analysed else None, "created_at": now})
        if len(rows) == CHUNK:
            conn.execute(Feedback.__table__.insert(), rows)
            rows.clear()
    if rows:
        conn.execute(Feedback.__table__.insert(), rows)
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


def best_of(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        Session.rollback()
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=2000)
    parser.add_argument("--feedback", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    tmp = tempfile.mkdtemp(prefix="ww-bench-assess-")
    if url:
        _reset(url)
    else:
        url = f"sqlite:///{tmp}/bench.db"
    app = create_app({"WW_ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "WW_INSTANCE_PATH": tmp})
    schema.upgrade(app.extensions["ww_engine"])
    with app.app_context():
        t = time.perf_counter()
        generate(args.windows, args.feedback)
        print(f"generated {args.windows} windows, {args.feedback} feedback rows in "
              f"{time.perf_counter() - t:.1f} s ({Session.get_bind().dialect.name})")
        n = baseline()
        rows = len(assessment.assess(PERIOD).rows)
        assert n == rows, (n, rows)
        base = best_of(baseline, args.repeat)
        full = best_of(lambda: assessment.assess(PERIOD), args.repeat)
        print(f"raw GROUP BY (baseline): {base * 1000:.0f} ms")
        print(f"quarterly assessment:    {full * 1000:.0f} ms")
        print(f"ratio: {full / base:.2f}x (target at most 3x)")
        Session.remove()


if __name__ == "__main__":
    main()
