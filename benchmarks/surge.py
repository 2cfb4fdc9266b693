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
from locust import HttpUser, task
from locust.env import Environment
from locust.exception import StopUser

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wechat import (  # the WeChat benchmark's servers and settings
    ACCOUNT,
    AES_KEY,
    APPID,
    ROOT,
    TOKEN,
    free_port,
    gunicorn,
    prepare_database,
    stop,
    wait_ready,
)

OPINIONS = ["工作人员很耐心，一次就办好了", "排队太久了，等了一个多小时", "窗口人员态度冷淡，问了两遍才回答",
            "材料清单写得很清楚，点赞", "系统老是出错，跑了三趟", "环境干净，有饮水机和老花镜",
            "没有收任何额外费用，很规范", "叫号屏坏了也没人管", "建议周末多开一个窗口", "服务热情，谢谢"]
RECEIPT = re.compile(r"PJ\d{8}-[0-9A-Z]{6}")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# The demo accounts (feedback_api/demo.py) and what each of them reads during the surge.
STAFF = [
    ("office", "office-demo-2026", ["/", "/feedback", "/feedback?sort=uncertain", "/tickets", "/windows",
                                    "/assessment/", "/reports/", "/abuse"]),
    ("agency", "agency-demo-2026", ["/", "/feedback", "/feedback?review=pending", "/tickets", "/appeals"]),
    ("authority-health", "health-demo-2026", ["/", "/windows", "/assessment/inspections", "/assessment/",
                                                "/tickets"]),
    ("unit-sw", "unit-demo-2026", ["/", "/tickets/inbox", "/feedback", "/reports/"]),
]
WECHAT_TIMEOUT = 5.0


@dataclass
class Tally:
    """What the citizens saw, shared by all greenlets of the run."""

    first: list[float] = field(default_factory=list)  # reply times of first deliveries (s)
    retries: int = 0
    retry_mismatch: int = 0
    errors: list[str] = field(default_factory=list)
    receipts: set[str] = field(default_factory=set)
    sent: int = 0
    done: int = 0
    pending_retries: int = 0


def make_citizen(peer_factory, windows: list[str], tally: Tally, retry_share: float,
                 counter: list[int]) -> type[HttpUser]:
    class Citizen(HttpUser):
        """One citizen at the hall: five messages in turn, as WeChat delivers them."""

        def on_start(self) -> None:
            counter[0] += 1
            self.openid = f"surge{os.getpid()}n{counter[0]:05d}".ljust(28, "x")
            self.window = random.choice(windows)
            self.peer = peer_factory()

        def post(self, xml: str) -> tuple[float, bytes | None]:
            req = self.peer.sign(xml)
            t0 = time.perf_counter()
            try:
                resp = self.client.post(f"/wechat?{req.query_string}", data=req.body,
                                        headers={"Content-Type": "text/xml"}, name="/wechat",
                                        timeout=30)
            except Exception as exc:  # connection refused or reset: a lost message
                tally.errors.append(f"{type(exc).__name__}: {exc}")
                return time.perf_counter() - t0, None
            elapsed = time.perf_counter() - t0
            if resp.status_code != 200:
                tally.errors.append(f"HTTP {resp.status_code}")
                return elapsed, None
            return elapsed, resp.content

        def reply_text(self, body: bytes | None) -> str:
            reply = self.peer.read_reply(body) if body and body != b"success" else None
            return reply.get("Content", "") if reply else ""

        def retry(self, xml: str, first_reply: str) -> None:
            for _ in range(3):
                gevent.sleep(5)
                _elapsed, body = self.post(xml)
                tally.retries += 1
                if body is not None and self.reply_text(body) != first_reply:
                    tally.retry_mismatch += 1
            tally.pending_retries -= 1

        @task
        def visit(self) -> None:
            peer = self.peer
            messages = [peer.scan(self.openid, self.window),
                        peer.text(self.openid, str(random.randint(1, 5))),
                        peer.text(self.openid, random.choice(OPINIONS)), peer.text(self.openid, "查询"),
                        peer.text(self.openid, random.choice(OPINIONS))]
            for n, xml in enumerate(messages):
                elapsed, body = self.post(xml)
                tally.sent += 1
                tally.first.append(elapsed)
                text = self.reply_text(body)
                if n != 3:  # 查询 lists earlier receipts; the others may hand out a new one
                    tally.receipts.update(RECEIPT.findall(text))
                if random.random() < retry_share:
                    tally.pending_retries += 1
                    gevent.spawn(self.retry, xml, text)
                gevent.sleep(random.uniform(1, 4))
            tally.done += 1
            # Stay idle: the runner must not start this citizen again.
            gevent.sleep(10**6)
            raise StopUser()

    return Citizen


@dataclass
class StaffTally:
    """What the back-office users saw: page and API response times, and failures."""

    pages: list[float] = field(default_factory=list)
    api: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def make_staff(tally: StaffTally, tokens: dict[str, str], stop_flag: list[bool],
               counter: list[int]) -> type[HttpUser]:
    class Staff(HttpUser):
        """A reviewer or a unit's staff member: signs in, then reads pages and the API in turn."""

        def on_start(self) -> None:
            counter[0] += 1
            self.name, password, self.paths = STAFF[counter[0] % len(STAFF)]
            form = self.client.get("/login", name="/login").text
            token = CSRF.search(form)
            resp = self.client.post("/login", name="/login", allow_redirects=False, data={
                "username": self.name, "password": password, "csrf_token": token.group(1) if token else ""})
            if resp.status_code != 302:
                tally.errors.append(f"sign-in of {self.name}: HTTP {resp.status_code}")

        def timed(self, path: str, into: list[float], **kw: object) -> None:
            t0 = time.perf_counter()
            try:
                resp = self.client.get(path, name=path.split("?")[0], timeout=30, **kw)  # type: ignore[arg-type]
            except Exception as exc:
                tally.errors.append(f"{path}: {type(exc).__name__}")
                return
            into.append(time.perf_counter() - t0)
            if resp.status_code != 200 or "/login" in resp.url:
                tally.errors.append(f"{self.name} {path}: HTTP {resp.status_code}")

        @task
        def work(self) -> None:
            while not stop_flag[0]:
                for path in self.paths:
                    if stop_flag[0]:
                        break
                    self.timed(path, tally.pages)
                    gevent.sleep(random.uniform(0.5, 1.5))
                auth = {"Authorization": f"Bearer {tokens[self.name]}"}
                self.timed("/api/v1/feedback?per_page=50", tally.api, headers=auth)
                self.timed("/api/v1/tickets", tally.api, headers=auth)
            gevent.sleep(10**6)
            raise StopUser()

    return Staff


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
    env = {**os.environ, "WW_ENV": "production", "SECRET_KEY": "surge-" + "k" * 40,
           "DATABASE_URL": database_url, "WW_INSTANCE_PATH": str(tmp),
           "WW_CITIZEN_HASH_KEY": "surge-citizen-" + "h" * 32,
           # The rate limits' queries run on every message, as in production; their thresholds
           # are raised, since a few demo windows take every simulated citizen's messages.
           "WW_CITIZEN_RATE_LIMIT": "1000000", "WW_WINDOW_RATE_LIMIT": "1000000",
           "WW_WECHAT_TOKEN": TOKEN, "WW_WECHAT_APPID": APPID, "WW_WECHAT_ACCOUNT": ACCOUNT,
           "WW_WECHAT_AES_KEY": AES_KEY if args.safe else "", "PYTHONPATH": str(ROOT),
           # Plain HTTP on loopback: the staff's session cookie must come back without TLS.
           "WW_SECURE_COOKIES": "0"}
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
