"""Benchmark: where a published report page's time goes (issue 14: a window's report page
renders in at most 3x the time of its own database queries).

    python benchmarks/report_page.py [--windows 300] [--feedback 5000] [--requests 300] [--profile]

It generates a district with ``benchmarks/assessment.py``'s generator, publishes the quarter, signs
in once as the office and then times, through the Flask test client, request by request in turn:
a signed-in view that returns a word (the floor of any page: routing, the session cookie, loading
the user), an empty page from ``base.html`` (the nav every page draws) and the published report
page ``/reports/windows/W00001``; then the page beside its replayed SELECTs exactly as
``benchmarks/assessment.py`` measures it. ``--profile`` adds a cProfile of the report page's
requests (the sign-in excluded). The published page reads one stored row, so the district's size
barely matters; SQLite in a temporary folder, or PostgreSQL when DATABASE_URL is set (the
database named there is emptied: use a scratch one).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import render_template_string  # noqa: E402
from flask_login import login_required  # noqa: E402

from analytics import snapshots  # noqa: E402
from benchmarks._common import fresh_app  # noqa: E402
from benchmarks.assessment import PERIOD, generate  # noqa: E402
from benchmarks.page_clock import StatementClock, page_vs_queries  # noqa: E402
from feedback_api.db import Session  # noqa: E402
from feedback_api.services import users  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=300)
    parser.add_argument("--feedback", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    app = fresh_app("ww-bench-report-")

    @app.get("/_bench/word")
    @login_required
    def word() -> str:
        return "ok"

    @app.get("/_bench/empty")
    @login_required
    def empty() -> str:
        return render_template_string('{% extends "base.html" %}{% block content %}{% endblock %}')

    engine = app.extensions["ww_engine"]
    clock = StatementClock(engine)
    with app.app_context():
        generate(args.windows, args.feedback)
        users.create_user(None, "bench", role="office", password="bench-password-2026")
        Session.commit()
        snapshots.publish(None, PERIOD)
        Session.commit()
        Session.remove()
    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": "bench-password-2026"})
    page_path = f"/reports/windows/W00001?period={PERIOD.code}"
    paths = {"signed-in view returning a word": "/_bench/word",
             "empty page from base.html": "/_bench/empty", "published report page": page_path}
    times: dict[str, list[float]] = {name: [] for name in paths}
    for path in paths.values():
        assert client.get(path).status_code == 200, path
    for _ in range(args.requests):
        for name, path in paths.items():
            t = time.perf_counter()
            client.get(path)
            times[name].append(time.perf_counter() - t)
    print(f"{engine.dialect.name}, "
          f"{args.requests} requests each, load average {os.getloadavg()[0]:.1f}")
    for name, values in times.items():
        print(f"{name}: best {min(values) * 1000:.2f} ms, median "
              f"{statistics.median(values) * 1000:.2f} ms")
    page, sql, count = page_vs_queries(app, clock, client, page_path, 20)
    print(f"as benchmarks/assessment.py measures it (best of 20): page {page * 1000:.2f} ms, "
          f"its {count} SELECTs {sql * 1000:.2f} ms, ratio {page / sql:.1f}x (target at most 3x)")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.requests):
            client.get(page_path)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(
            r"(admin_web|analytics|feedback_api|flask_login|templating|url_for)", 30)


if __name__ == "__main__":
    main()
