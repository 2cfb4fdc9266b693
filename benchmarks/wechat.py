"""Benchmark: WeChat conversations (scan -> rate -> opinion) under gunicorn, beside a bare
wechatpy echo handler measured in the same run.

    python benchmarks/wechat.py [--clients 8] [--citizens 100] [--safe] [--rounds 5]

Both servers run as in production: ``gunicorn -w 2`` on loopback. Clients are separate
processes, each playing citizens one after another (a citizen's messages are sequential, as in
WeChat). The database is SQLite in a temporary folder, or PostgreSQL when DATABASE_URL is set
(the database named there is migrated and filled with the demo district; use a scratch one).
Commits wait for the disk, as in production (unless WW_DB_ASYNC_COMMIT is set in the
environment). Target: window-watch at least 0.3 of the echo handler's throughput, and p99
under 200 ms. Figures measured on this project's machines: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.servers import (  # noqa: E402
    ACCOUNT,
    AES_KEY,
    APPID,
    TOKEN,
    children,
    cpu_seconds,
    free_port,
    gunicorn,
    postgres_pids,
    prepare_database,
    server_env,
    stop,
    wait_ready,
)


# -- the bare echo handler (served by gunicorn as "wechat:echo_app()") ------------------------
def echo_app():  # type: ignore[no-untyped-def]
    """check_signature, (decrypt,) parse, echo: the least a WeChat callback can do."""
    from flask import Flask, Response, abort, request
    from wechatpy import create_reply, parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.exceptions import InvalidSignatureException
    from wechatpy.utils import check_signature

    app = Flask("echo")
    aes_key = os.environ.get("WW_WECHAT_AES_KEY", "")
    crypto = WeChatCrypto(TOKEN, aes_key, APPID) if aes_key else None

    @app.route("/wechat", methods=["GET", "POST"])
    def wechat() -> Response:
        args = request.args
        try:
            check_signature(TOKEN, args.get("signature", ""), args.get("timestamp", ""),
                            args.get("nonce", ""))
        except InvalidSignatureException:
            abort(403)
        if request.method == "GET":
            return Response(args.get("echostr", ""))
        body = request.data
        if crypto is not None:
            body = crypto.decrypt_message(body, args.get("msg_signature", ""),
                                          args.get("timestamp", ""), args.get("nonce", ""))
        msg = parse_message(body)
        content = getattr(msg, "content", None) or msg.type
        xml = create_reply(content, msg).render()
        if crypto is not None:
            xml = crypto.encrypt_message(xml, args.get("nonce", ""), args.get("timestamp"))
        return Response(xml, mimetype="application/xml")

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app


# -- load ------------------------------------------------------------------------------------
OPINIONS = ["工作人员很耐心，一次就办好了", "排队时间有点长，希望多开窗口", "环境整洁，指引清楚",
            "叫号系统有时出错", "服务热情，点赞"]


def client_run(args: tuple[int, int, int, int, str, bool, list[str], int]) -> list[float]:
    """One client: plays ``citizens`` citizens in turn; returns per-message latencies (s)."""
    from wechat_bot.simulator import WechatPeer

    client_no, port, citizens, start_at, run_id, safe, windows, offset = args
    peer = WechatPeer(token=TOKEN, aes_key=AES_KEY if safe else "", appid=APPID, account=ACCOUNT)
    # Sign everything up front, so the clients spend their time waiting on the server.
    # The whole HTTP request is built up front: the client must cost as little CPU as possible,
    # since it shares the machine with the servers it measures.
    requests: list[bytes] = []
    for n in range(citizens):
        openid = f"o{run_id}c{client_no:02d}n{n:04d}".ljust(28, "x")
        window = windows[(client_no * citizens + n + offset) % len(windows)]
        for xml in (peer.scan(openid, window), peer.text(openid, str(1 + n % 5)),
                    peer.text(openid, OPINIONS[n % len(OPINIONS)])):
            req = peer.sign(xml)
            head = (f"POST /wechat?{urlencode(req.query)} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    f"Content-Type: text/xml\r\nContent-Length: {len(req.body)}\r\n"
                    "Connection: close\r\n\r\n")
            requests.append(head.encode() + req.body)
    while time.time() < start_at:
        time.sleep(0.001)
    latencies: list[float] = []
    for raw in requests:
        t0 = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(raw)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        latencies.append(time.perf_counter() - t0)
        data = b"".join(chunks)
        if not data.startswith(b"HTTP/1.1 200") or b"\r\n\r\n<xml>" not in data:
            raise RuntimeError(f"bad reply: {data[:300]!r}")
    return latencies


def measure(port: int, *, clients: int, citizens: int, safe: bool, windows: list[str],
            run_id: str, offset: int = 0, server: subprocess.Popen[bytes] | None = None,
            database: bool = False) -> dict[str, float]:
    """Throughput and reply times; with ``server``, also the CPU its workers (and, with
    ``database``, the local PostgreSQL server) spent per message, a figure less shaken by this
    machine's drift than the throughput."""
    start_at = time.time() + 1.5
    jobs = [(c, port, citizens, start_at, run_id, safe, windows, offset) for c in range(clients)]
    workers = children(server.pid) if server is not None else []
    pg = postgres_pids() if database else []
    with mp.get_context("fork").Pool(clients) as pool:
        t0 = time.time()
        pending = pool.map_async(client_run, jobs)
        # The clients sign their requests and wait for ``start_at``: sample the CPU then.
        while time.time() < start_at:
            time.sleep(0.001)
        cpu0 = cpu_seconds(workers), cpu_seconds(pg)
        results = pending.get()
        wall = time.time() - max(t0, start_at)
        cpu1 = cpu_seconds(workers), cpu_seconds(pg)
    lat = sorted(x for r in results for x in r)
    return {
        "messages": len(lat),
        "rate": len(lat) / wall,
        "p50": statistics.median(lat) * 1000,
        "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
        "worker_us": (cpu1[0] - cpu0[0]) / len(lat) * 1e6,
        "pg_us": (cpu1[1] - cpu0[1]) / len(lat) * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--citizens", type=int, default=100, help="citizens per client")
    parser.add_argument("--safe", action="store_true", help="safe mode (AES) for both handlers")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, for both servers")
    parser.add_argument("--rounds", type=int, default=5, help="alternating measurement rounds")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker (gthread when > 1), for both servers")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ww-bench-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    db_name = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    env = server_env("bench", database_url, tmp, args.safe)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        windows = prepare_database(env)
        echo_port, ww_port = free_port(), free_port()
        procs.append(gunicorn("wechat:echo_app()", echo_port, env, workers=args.workers,
                              threads=args.threads))
        procs.append(gunicorn("admin_web.app:create_app()", ww_port, env, workers=args.workers,
                              threads=args.threads))
        wait_ready(echo_port, "/healthz", procs[0])
        wait_ready(ww_port, "/healthz", procs[1])
        run = f"{int(time.time()) % 100000}"
        # Warm both (imports, connection pools), then measure them in turn, several rounds:
        # this machine's speed drifts, and alternating spreads the drift over both.
        measure(echo_port, clients=2, citizens=5, safe=args.safe, windows=windows, run_id=run + "w")
        measure(ww_port, clients=2, citizens=5, safe=args.safe, windows=windows, run_id=run + "w")
        kw = dict(clients=args.clients, citizens=args.citizens, safe=args.safe, windows=windows)
        rounds: list[tuple[dict[str, float], dict[str, float]]] = []
        pg = db_name == "postgresql"
        for n in range(args.rounds):
            echo_r = measure(echo_port, run_id=f"{run}e{n}", server=procs[0],  # type: ignore[arg-type]
                             **kw)
            ww_r = measure(ww_port, run_id=f"{run}m{n}", server=procs[1], database=pg,  # type: ignore[arg-type]
                           **kw)
            rounds.append((echo_r, ww_r))
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)

    mode = "safe (AES)" if args.safe else "plain"
    print(f"\nWeChat callback, {mode} mode, gunicorn -w {args.workers} --threads {args.threads}, "
          f"{args.clients} clients, "
          f"{args.citizens} citizens each (scan, rate, opinion), {args.rounds} alternating rounds")
    print(f"{'round':<7}{'handler':<16}{'db':<12}{'messages':>9}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'worker CPU':>12}{'pg CPU':>9}")
    for n, pair in enumerate(rounds, 1):
        for name, db, r in zip(("wechatpy echo", "window-watch"), ("-", db_name), pair, strict=True):
            pg_cpu = f"{r['pg_us']:>6.0f} µs" if name == "window-watch" and db == "postgresql" else ""
            print(f"{n:<7}{name:<16}{db:<12}{r['messages']:>9}{r['rate']:>9.0f}{r['p50']:>9.1f}"
                  f"{r['p99']:>9.1f}{r['worker_us']:>9.0f} µs{pg_cpu:>9}")
    print("(worker CPU, pg CPU: CPU time per message of the gunicorn workers and of the local "
          "PostgreSQL server)")
    ratios = [ww_r["rate"] / echo_r["rate"] for echo_r, ww_r in rounds]
    ratio = statistics.median(ratios)
    p99 = max(ww_r["p99"] for _, ww_r in rounds)
    ok = ratio >= 0.3 and p99 < 200
    print(f"ratio window-watch/echo per round: {', '.join(f'{r:.2f}' for r in ratios)}; "
          f"median {ratio:.2f} (target >= 0.30); worst p99 {p99:.1f} ms (target < 200): "
          f"{'PASS' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
