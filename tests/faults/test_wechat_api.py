"""Drill: WeChat's API down, then slow, while answers to citizens and staff alerts are due.

Time is played forward through the outbox's ``now`` (the scheduler sends every minute); the
API is the fake server of ours on loopback, made to fail every call, then to answer slowly.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.services import health
from wechat_bot import client as wechat_client
from wechat_bot import outbox
from wechat_bot.client import WechatSender, get_client
from wechat_bot.config import settings
from wechat_bot.models import OutboundMessage

from .servers import SEND_PATHS, delivered_texts, queue_due

ANSWERS, ALERTS = 12, 3


def _due(app, fake, queued_at) -> list[str]:
    return queue_due(app, fake, queued_at, answers=ANSWERS, alerts=ALERTS)


def _deliver(app, now) -> tuple[outbox.DeliveryReport, float]:
    """One run of the scheduler's delivery job as of ``now``; its report and wall time."""
    with app.app_context():
        started = time.monotonic()
        report = outbox.deliver_pending(WechatSender(get_client(), settings()), now=now,
                                        after_each=Session.commit)
        Session.commit()
        return report, time.monotonic() - started


def _outbox(client) -> tuple[str, dict]:
    body = client.get("/healthz").get_json()
    return body["status"], body["components"]["wechat_outbox"]


def _statuses(app) -> Counter:
    with app.app_context():
        return Counter(Session.scalars(sa.select(OutboundMessage.status)))


def test_wechat_api_down_then_slow_then_back(app, db, client, fake_wechat, monkeypatch, capsys):
    monkeypatch.setattr(wechat_client, "API_TIMEOUT", 0.5)
    with db():
        health.beat("scheduler")  # the scheduler is fine: only WeChat's API is not
    start = utcnow() - timedelta(minutes=12)
    texts = _due(app, fake_wechat, start)

    # 1. Down for 12 minutes: every call answers 503. The job runs every minute; each run stops
    #    after UNAVAILABLE_BREAK calls instead of trying every due message.
    fake_wechat.outage(503)
    calls_per_run = []
    for minute in range(12):
        before = len(fake_wechat.state.calls)
        report, _ = _deliver(app, start + timedelta(minutes=minute))
        calls_per_run.append(len(fake_wechat.state.calls) - before)
        assert report.sent_custom == report.sent_template == report.failed == 0
    assert max(calls_per_run) <= outbox.UNAVAILABLE_BREAK, calls_per_run
    assert _statuses(app) == {"pending": ANSWERS + ALERTS}  # nothing given up, nothing lost
    status, box = _outbox(client)  # 12 minutes without a send: /healthz says so
    assert status == "degraded" and box["status"] == "backlog", box
    assert box["late"] == ANSWERS + ALERTS and box["retrying"] > 0

    # 2. Back, but slow: sends take 1 s, the client waits 0.5 s. The first send that times out
    #    may have been delivered, so the run stops there (one possible duplicate per run).
    fake_wechat.recover()
    with app.app_context():
        get_client().fetch_access_token()
    fake_wechat.slow(1.0, SEND_PATHS)
    later = utcnow() + timedelta(hours=1)  # every message due again
    report, seconds = _deliver(app, later)
    # One timed-out send (0.5 s), not one per due message (15 × 0.5 s); the rest of the bound is
    # for a loaded two-core machine.
    assert report.stopped_unavailable and report.retried == 1 and seconds < 3.0, (report, seconds)
    assert _outbox(client)[1]["status"] == "backlog"
    time.sleep(0.7)  # the slow server carries out the send the client gave up on

    # 3. Slow within the timeout (0.2 s a send): everything goes, the backlog clears.
    fake_wechat.slow(0.2, SEND_PATHS)
    report, seconds = _deliver(app, later + timedelta(hours=1))
    assert report.sent_custom == ANSWERS and report.sent_template == ALERTS, report
    assert _statuses(app) == {"sent": ANSWERS + ALERTS}
    delivered = delivered_texts(fake_wechat)
    assert set(delivered) == set(texts)  # every answer and alert reached WeChat
    duplicates = sum(n - 1 for n in delivered.values())
    assert duplicates <= 1  # only the one send that timed out in step 2 (at-least-once)
    status, box = _outbox(client)
    assert status == "ok" and (box["status"], box["pending"], box["late"]) == ("ok", 0, 0)
    with capsys.disabled():
        print(f"\n[drill wechat-api] down 12 min: {sum(calls_per_run)} API calls in 12 runs "
              f"(at most {max(calls_per_run)} a run), {ANSWERS + ALERTS} messages kept pending, "
              f"/healthz backlog late={ANSWERS + ALERTS}; slow 1 s > 0.5 s timeout: run stopped "
              f"after 1 timed-out send; slow 0.2 s: {report.sent_custom}+{report.sent_template} "
              f"sent in {seconds:.1f} s; duplicates at WeChat: {duplicates}; /healthz ok")


@pytest.mark.parametrize("status", [502, 503])
def test_a_message_refused_by_wechat_does_not_stop_the_run(app, fake_wechat, status):
    """The breaker is for the API, not for one message: WeChat refusing one message (an errcode)
    is retried alone and the run goes on."""
    start = utcnow()
    _due(app, fake_wechat, start)
    fake_wechat.fail("/cgi-bin/message/custom/send", times=1, errcode=40003, errmsg="invalid openid")
    report, _ = _deliver(app, start)
    assert not report.stopped_unavailable
    assert report.retried == 1 and report.sent_custom == ANSWERS - 1
    assert report.sent_template == ALERTS
    _due(app, fake_wechat, start + timedelta(minutes=1))  # another round of answers and alerts
    fake_wechat.fail("/cgi-bin/message/custom/send", times=outbox.UNAVAILABLE_BREAK - 1,
                     status=status)  # a couple of server errors in a row: not yet an outage
    report, _ = _deliver(app, start + timedelta(hours=1))
    assert not report.stopped_unavailable and report.retried == outbox.UNAVAILABLE_BREAK - 1
    assert report.sent_custom + report.sent_template == 1 + ANSWERS + ALERTS - report.retried
