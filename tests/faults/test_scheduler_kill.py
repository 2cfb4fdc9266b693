"""Drill: the scheduler killed with SIGKILL in the middle of a job, and started again.

A real ``window-watch scheduler`` process on the suite's database, its WeChat API the fake
server of ours, slowed so that delivering the outbox takes a while; it is killed while a send
is in flight, then started again. Checked: the second scheduler is not refused (the first's
lock went with it), runs its interval jobs at once, finishes the outbox without giving anything
up, each message reaching WeChat once but the one in flight at the kill (at-least-once: WeChat's
API has no idempotency key); /healthz said the scheduler was stale while it was down (its
heartbeat turned back 3 minutes: waiting for real would take 2) and ok after.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Heartbeat
from wechat_bot.models import OutboundMessage

from .servers import ROOT, SEND_PATHS, delivered_texts, queue_due, server_env

pytestmark = pytest.mark.slow
MESSAGES = 8


def _scheduler(env, log) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    try:
        return subprocess.Popen([sys.executable, "-m", "admin_web", "scheduler"], env=env,
                                cwd=ROOT, stdout=out, stderr=out)
    finally:
        out.close()


def _wait(what, predicate, timeout: float, proc=None, log=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s; log: "
                         f"{log.read_text()[-3000:] if log else ''}")


def _statuses(app) -> dict[str, int]:
    with app.app_context():
        rows = Session.execute(sa.select(OutboundMessage.status, sa.func.count())
                               .group_by(OutboundMessage.status)).all()
        Session.rollback()
        return dict(rows)  # type: ignore[arg-type]


def test_the_scheduler_killed_mid_job_and_started_again(app, client, db, database_url,
                                                        fake_wechat, tmp_path, capsys):
    texts = queue_due(app, fake_wechat, utcnow() - timedelta(minutes=1), answers=MESSAGES - 2,
                      alerts=2)
    env = server_env(database_url, tmp_path, WW_WECHAT_API_BASE=fake_wechat.base_url)
    log = tmp_path / "scheduler.log"
    fake_wechat.slow(1.0, SEND_PATHS)  # a send takes a second: the job is long enough to hit
    first = _scheduler(env, log)
    try:
        _wait("three sends, a fourth in flight", lambda: len(fake_wechat.state.custom_sent) >= 3
              and fake_wechat.in_flight == 1, 90, first, log)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        # The fake carries out the send the dead scheduler was waiting for.
        _wait("the send in flight done", lambda: fake_wechat.in_flight == 0, 10)
        sent_at_kill = _statuses(app).get("sent", 0)
        at_wechat = sum(delivered_texts(fake_wechat).values())
        assert at_wechat == sent_at_kill + 1, (at_wechat, sent_at_kill)  # one in flight
        with db() as s:  # minutes pass without a beat
            s.get(Heartbeat, "scheduler").beat_at = utcnow() - timedelta(minutes=3)
        body = client.get("/healthz").get_json()
        assert body["status"] == "degraded"
        assert body["components"]["scheduler"]["status"] == "stale"

        fake_wechat.slow(0.0)
        second = _scheduler(env, log)
        try:
            _wait("the outbox done", lambda: _statuses(app) == {"sent": MESSAGES}, 90, second,
                  log)
            assert second.poll() is None  # running: not refused by a stale lock
            body = client.get("/healthz").get_json()
            assert body["components"]["scheduler"]["status"] == "ok"
            assert body["components"]["wechat_outbox"]["status"] == "ok"
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
    delivered = delivered_texts(fake_wechat)
    assert set(delivered) == set(texts)
    duplicates = sum(n - 1 for n in delivered.values())
    assert duplicates == 1  # the send in flight at the kill, sent again (at-least-once)
    with capsys.disabled():
        print(f"\n[drill scheduler-kill] {app.extensions['ww_engine'].dialect.name}: killed "
              f"after {sent_at_kill} of {MESSAGES} sends with one in flight; /healthz scheduler "
              f"stale while down; restarted: lock taken, outbox finished ({MESSAGES} sent, 0 "
              f"failed), {duplicates} duplicate at WeChat (the one in flight); /healthz ok")
