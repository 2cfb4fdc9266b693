"""Drill: a gunicorn worker killed with SIGKILL mid-request.

Real ``gunicorn -w 3`` on loopback, on the suite's database (SQLite, or PostgreSQL from
DATABASE_URL). First a deterministic kill: the test holds the database's write lock so three
citizens' messages are each inside a worker's request, waiting, and one worker is killed; then
a burst of messages with three more workers killed while it runs. WeChat resends a message whose
request failed (same MsgId). Checked from the database: every receipt number handed out is
stored, every message stored once, gunicorn replaced the workers, /healthz answered throughout.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from feedback_api.db import make_engine
from feedback_api.models import Feedback

from .servers import BUSY, RECEIPT, Citizen, server_env, start_gunicorn

pytestmark = pytest.mark.slow


@contextmanager
def write_lock(url: str) -> Iterator[None]:
    """Hold what a citizen's message needs (SQLite's write lock; PostgreSQL's citizens table)."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("LOCK TABLE citizens IN EXCLUSIVE MODE"))
            yield
            conn.rollback()
    finally:
        engine.dispose()


def _stored(app, receipts: set[str]) -> tuple[set[str], int]:
    engine = app.extensions["ww_engine"]
    with engine.connect() as conn:
        found = set(conn.execute(sa.select(Feedback.receipt_no)
                                 .where(Feedback.receipt_no.in_(receipts))).scalars())
        total = conn.execute(sa.select(sa.func.count()).select_from(Feedback)).scalar_one()
    return found, total


def _wait_workers(server, n: int, timeout: float = 15) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = server.workers()
        if len(pids) == n:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"gunicorn has {server.workers()} workers, expected {n}")


def test_a_worker_killed_mid_request_loses_nothing(app, district, database_url, tmp_path,
                                                   capsys):
    env = server_env(database_url, tmp_path, WW_MESSAGE_WAIT_MS="4000")
    server = start_gunicorn(env, tmp_path / "gunicorn.log", workers=3)
    try:
        # 1. Three messages inside three workers, waiting for the lock; one worker killed.
        trio = [Citizen(server.port, f"oKill{n:023d}") for n in range(3)]
        for citizen in trio:
            assert "综合办税窗口" in (citizen.scan("CD-SW-001") or "")
        replies: dict[int, str | None] = {}
        _wait_workers(server, 3)
        with write_lock(database_url):
            threads = [threading.Thread(target=lambda i=i: replies.__setitem__(
                i, trio[i].say(f"第{i}条：排队太久，叫号屏坏了"))) for i in range(3)]
            for t in threads:
                t.start()
            deadline = time.monotonic() + 3.0
            while len(server.busy_workers()) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)  # until each worker holds one request, waiting for the lock
            busy = server.busy_workers()
            assert len(busy) == 3, busy  # each worker is inside a request
            victim = busy[0]
            os.kill(victim, signal.SIGKILL)
            time.sleep(0.3)
        status, _ = server.get("/healthz")  # answered at once by the others or the new worker
        for t in threads:
            t.join(30)
        killed_clients = sum(1 for c in trio if c.errors)
        assert killed_clients >= 1, [c.errors for c in trio]  # the kill hit a request in flight
        assert status == 200
        receipts = {r for reply in replies.values() for r in RECEIPT.findall(reply or "")}
        assert len(receipts) == 3, replies  # the resent message was answered, once
        after = _wait_workers(server, 3)
        assert victim not in after

        # 2. A burst: 6 citizens x 10 opinions while a worker is killed every 0.4 s, 3 times.
        crowd = [Citizen(server.port, f"oBurst{n:022d}") for n in range(6)]
        for citizen in crowd:
            citizen.scan("CD-RMYY-001")
        answers: list[str | None] = []

        def talk(citizen: Citizen) -> None:
            for k in range(10):
                answers.append(citizen.say(f"{citizen.openid[-2:]}-{k}：挂号处人太多"))

        threads = [threading.Thread(target=talk, args=(c,)) for c in crowd]
        for t in threads:
            t.start()
        kills = 0
        for _ in range(3):
            time.sleep(0.4)
            pids = server.workers()
            if pids:
                os.kill(pids[kills % len(pids)], signal.SIGKILL)
                kills += 1
        for t in threads:
            t.join(60)
        _wait_workers(server, 3)
        lost = [a for a in answers if a is None]
        busy = [a for a in answers if a and BUSY in a]
        burst_receipts = {r for a in answers for r in RECEIPT.findall(a or "")}
        receipts |= burst_receipts
        found, total = _stored(app, receipts)
        assert found == receipts  # every receipt number handed out is stored
        assert total == len(receipts)  # and nothing else: each message stored once
        assert not lost and len(answers) == 60 and len(burst_receipts) == 60 - len(busy)
        assert server.get("/healthz")[0] == 200
        resent = sum(c.retries for c in trio + crowd)
        with capsys.disabled():
            print(f"\n[drill gunicorn-kill] {app.extensions['ww_engine'].dialect.name}: 1 worker "
                  f"killed with 3 requests in flight ({killed_clients} dropped, resent, answered "
                  f"once); burst of 60 opinions with {kills} workers killed: {len(burst_receipts)}"
                  f" receipts, {len(busy)} busy, {resent} resends; {total} feedback stored = "
                  f"receipts handed out; workers replaced; /healthz 200 throughout")
    finally:
        server.stop()
