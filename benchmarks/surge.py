"""Surge: a hall at opening time. Citizens scan, rate, write and ask 查询 in WeChat, all within
a couple of minutes, and WeChat resends a share of the messages as it does when a reply is late.

    python benchmarks/surge.py [--citizens 2000] [--seconds 120] [--retry-share 0.1]
                               [--workers 4] [--safe] [--no-baseline] [--staff 20]

The load is driven by locust used as a library (one process, one greenlet per citizen); the
servers run as in production, ``gunicorn -w N`` on loopback. Each citizen sends five
messages (scan, rating, opinion, 查询, a second opinion) with 1–4 s between them, so 2,000
citizens send 10,000 messages. For ``--retry-share`` of the messages, WeChat's retry is played:
the same message (same MsgId) again after 5, 10 and 15 s; each retry must get the first reply.

Checked at the end, from the database: every message stored exactly once, and every receipt
number (受理编号) a citizen was given is there. Reported: reply times p50/p95/p99/max and how
many took longer than WeChat's 5 s, beside the bare wechatpy echo handler under the same surge
(the baseline, measured in the same run). SQLite by default; PostgreSQL when DATABASE_URL is
set (use a scratch database: it is migrated and seeded).

While the citizens surge, ``--staff`` back-office users (the demo accounts of the office, the
agency, an industry authority and a unit, in turn) sign in and work through their pages and the
JSON API, one request after another with a short pause; their response times are reported apart
(target: pages under 1 s at p95).
"""

# ruff: noqa: I001, E402
from __future__ import annotations

# locust patches the standard library for gevent when imported: it comes first.
import locust  # noqa: F401
import gevent
from locust.env import Environment

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.servers import (
    ACCOUNT,
    AES_KEY,
    APPID,
    TOKEN,
    free_port,
    gunicorn,
    prepare_database,
    server_env,
    stop,
    wait_ready,
)
from benchmarks.surge_users import STAFF, WECHAT_TIMEOUT, StaffTally, Tally, make_citizen, make_staff


def surge(port: int, *, citizens: int, seconds: float, retry_share: float, safe: bool,
          windows: list[str], staff: int = 0, tokens: dict[str, str] | None = None,
          staff_tally: StaffTally | None = None) -> Tally:
    from wechat_bot.simulator import WechatPeer

    tally = Tally()

    def peer_factory() -> WechatPeer:
        return WechatPeer(token=TOKEN, aes_key=AES_KEY if safe else "", appid=APPID, account=ACCOUNT)

    user = make_citizen(peer_factory, windows, tally, retry_share, [0])
    host = f"http://127.0.0.1:{port}"
    env = Environment(user_classes=[user], host=host, catch_exceptions=True)
    runner = env.create_local_runner()
    stop_flag = [False]
    staff_runner = None
    if staff and staff_tally is not None and tokens is not None:
        staff_env = Environment(user_classes=[make_staff(staff_tally, tokens, stop_flag, [0])],
                                host=host, catch_exceptions=True)
        staff_runner = staff_env.create_local_runner()
        staff_runner.start(staff, spawn_rate=staff)
    # Arrivals spread over the first part of the window; each citizen then takes ~10-20 s.
    arrive = max(1.0, seconds - 20)
    runner.start(citizens, spawn_rate=citizens / arrive)
    deadline = time.monotonic() + seconds + 120
    while (tally.done < citizens or tally.pending_retries > 0) and time.monotonic() < deadline:
        gevent.sleep(0.5)
    stop_flag[0] = True
    runner.quit()
    if staff_runner is not None:
        staff_runner.quit()
    if tally.done < citizens:
        tally.errors.append(f"only {tally.done} of {citizens} citizens finished in time")
    return tally


def stored(database_url: str) -> tuple[int, set[str]]:
    """Inbound messages stored, and the receipt numbers of all feedback."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        inbound = conn.scalar(sa.text("SELECT count(*) FROM wechat_inbound_messages")) or 0
        receipts = set(conn.scalars(sa.text("SELECT receipt_no FROM feedback_items")))
    engine.dispose()
    return inbound, receipts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else float("nan")


def describe(name: str, t: Tally) -> dict[str, float]:
    row = {"p50": statistics.median(t.first) * 1000 if t.first else float("nan"),
           "p95": percentile(t.first, 0.95), "p99": percentile(t.first, 0.99),
           "max": max(t.first, default=float("nan")) * 1000,
           "late": sum(1 for x in t.first if x > WECHAT_TIMEOUT)}
    print(f"{name:<16}{t.sent:>9}{t.retries:>9}{row['p50']:>9.1f}{row['p95']:>9.1f}{row['p99']:>9.1f}"
          f"{row['max']:>10.1f}{row['late']:>7}{len(t.errors):>8}")
    return row


def api_tokens(env: dict[str, str]) -> dict[str, str]:
    """One API token per demo account, made with the CLI as an administrator would."""
    import subprocess

    ww = [sys.executable, "-c", "from admin_web.app import cli; cli()"]
    return {name: subprocess.run([*ww, "tokens", "create", name, "--label", "surge"], env=env,
                                 cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
            for name, _pw, _paths in STAFF}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=120, help="the surge's length")
    parser.add_argument("--retry-share", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--safe", action="store_true", help="safe mode (AES)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the echo handler")
    parser.add_argument("--staff", type=int, default=20,
                        help="back-office users working during the surge (0: none)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ww-surge-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'surge.db'}"
    db_name = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    # Plain HTTP on loopback: the staff's session cookie must come back without TLS.
    env = server_env("surge", database_url, tmp, args.safe, WW_SECURE_COOKIES="0")
    procs = []
    staff_tally = StaffTally()
    results: dict[str, Tally] = {}
    try:
        windows = prepare_database(env)
        tokens = api_tokens(env) if args.staff else {}
        inbound_before, _ = stored(database_url)
        kw = dict(citizens=args.citizens, seconds=args.seconds, retry_share=args.retry_share,
                  safe=args.safe, windows=windows)
        if not args.no_baseline:
            port = free_port()
            proc = gunicorn("wechat:echo_app()", port, env, workers=args.workers)
            procs.append(proc)
            wait_ready(port, "/healthz", proc)
            results["wechatpy echo"] = surge(port, **kw)
            stop(proc)
        port = free_port()
        proc = gunicorn("admin_web.app:create_app()", port, env, workers=args.workers)
        procs.append(proc)
        wait_ready(port, "/healthz", proc)
        results["window-watch"] = surge(port, **kw, staff=args.staff, tokens=tokens,
                                        staff_tally=staff_tally)
        inbound_after, receipts = stored(database_url)
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)

    ww = results["window-watch"]
    print(f"\nSurge: {args.citizens} citizens, {ww.sent} messages in about {args.seconds:.0f} s, "
          f"{args.retry_share:.0%} resent 3 times; gunicorn -w {args.workers}, {db_name}, "
          f"{'safe' if args.safe else 'plain'} mode")
    print(f"{'handler':<16}{'messages':>9}{'retries':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>10}{'> 5 s':>7}{'errors':>8}")
    rows = {name: describe(name, t) for name, t in results.items()}
    stored_once = inbound_after - inbound_before == ww.sent
    missing = ww.receipts - receipts
    print(f"stored exactly once: {inbound_after - inbound_before} inbound rows for {ww.sent} "
          f"messages ({'yes' if stored_once else 'NO'}); retries answered as the first delivery: "
          f"{ww.retries - ww.retry_mismatch}/{ww.retries}; receipt numbers given: {len(ww.receipts)}, "
          f"missing from the database: {len(missing)}")
    if "wechatpy echo" in rows:
        echo = rows["wechatpy echo"]
        print(f"p99 window-watch/echo: {rows['window-watch']['p99'] / echo['p99']:.2f}; "
              f"p95: {rows['window-watch']['p95'] / echo['p95']:.2f}")
    ok = (stored_once and not missing and not ww.errors and ww.retry_mismatch == 0
          and rows["window-watch"]["late"] == 0)
    if args.staff:
        st = staff_tally
        pages_p95 = percentile(st.pages, 0.95)
        print(f"back office during the surge: {args.staff} users; pages {len(st.pages)} requests, "
              f"p50 {percentile(st.pages, 0.5):.0f} ms, p95 {pages_p95:.0f} ms, "
              f"p99 {percentile(st.pages, 0.99):.0f} ms, max {max(st.pages, default=0) * 1000:.0f} ms "
              f"(target p95 < 1000 ms); API {len(st.api)} requests, p95 {percentile(st.api, 0.95):.0f} ms; "
              f"errors {len(st.errors)}")
        for err in sorted(set(st.errors))[:10]:
            print(f"  staff error: {err}")
        ok = ok and not st.errors and bool(st.pages) and pages_p95 < 1000
    for err in sorted(set(ww.errors))[:10]:
        print(f"  error: {err}")
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
