"""The servers of the HTTP benchmarks (``benchmarks/wechat.py``, ``benchmarks/surge.py``): gunicorn
on loopback as in production, its readiness, the CPU its workers and PostgreSQL spend, the
scratch database migrated and seeded, and the environment both servers run with."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TOKEN = "bench-token"
APPID = "wxbench0000000001"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ACCOUNT = "gh_benchmark0001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, path: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on {port} not ready")


def gunicorn(app_spec: str, port: int, env: dict[str, str], workers: int = 2,
             threads: int = 1) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads),
           "-b", f"127.0.0.1:{port}",
           "--pythonpath", f"{ROOT},{ROOT / 'benchmarks'}", "--log-level", "warning", app_spec]
    return subprocess.Popen(cmd, env=env, cwd=ROOT)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc; 0 where unreadable)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The gunicorn master's workers."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def postgres_pids() -> list[int]:
    """The local PostgreSQL server's processes (backends, WAL writer ...), if it runs here."""
    out = subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True, check=False)
    return [int(x) for x in out.stdout.split()]


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def prepare_database(env: dict[str, str]) -> list[str]:
    """Migrate, seed the demo district (no feedback); return the window codes."""
    ww = [sys.executable, "-c", "from admin_web.app import cli; cli()"]
    subprocess.run([*ww, "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([*ww, "demo", "--force", "--feedback-per-window", "0"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = subprocess.run([*ww, "windows", "export"], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    codes = [line.split(",", 1)[0].lstrip("\ufeff") for line in out.splitlines()[1:] if line]
    return [c for c in codes if c]


def server_env(name: str, database_url: str, instance: Path, safe: bool, **extra: str) -> dict[str, str]:
    """The environment of both servers (window-watch and the echo handler), in production mode."""
    return {**os.environ, "WW_ENV": "production", "SECRET_KEY": f"{name}-" + "k" * 40,
            "DATABASE_URL": database_url, "WW_INSTANCE_PATH": str(instance),
            "WW_CITIZEN_HASH_KEY": f"{name}-citizen-" + "h" * 32,
            # The rate limits' queries run on every message, as in production; their thresholds
            # are raised, since a few demo windows take every simulated citizen's messages.
            "WW_CITIZEN_RATE_LIMIT": "1000000", "WW_WINDOW_RATE_LIMIT": "1000000",
            "WW_WECHAT_TOKEN": TOKEN, "WW_WECHAT_APPID": APPID, "WW_WECHAT_ACCOUNT": ACCOUNT,
            "WW_WECHAT_AES_KEY": AES_KEY if safe else "", "PYTHONPATH": str(ROOT), **extra}
