"""/healthz reports degradation while it lasts: the scheduler's heartbeat and the WeChat outbox's
backlog beside the database; a degraded platform still answers 200 (it serves citizens)."""

from __future__ import annotations

from datetime import timedelta

from feedback_api.db import utcnow
from feedback_api.models import Citizen
from feedback_api.services import health
from wechat_bot.models import OutboundMessage


def _health(client):
    resp = client.get("/healthz")
    return resp.status_code, resp.get_json()


def test_a_scheduler_never_seen_or_silent_is_reported(client, db):
    status, body = _health(client)
    assert status == 200 and body["status"] == "degraded"
    assert body["components"]["scheduler"]["status"] == "never_seen"
    with db():
        health.beat("scheduler")
    status, body = _health(client)
    assert body["components"]["scheduler"]["status"] == "ok"
    assert body["status"] == "ok" and body["components"]["wechat_outbox"]["status"] == "ok"
    with db():
        health.beat("scheduler", now=utcnow() - timedelta(minutes=3))
    status, body = _health(client)
    assert status == 200 and body["status"] == "degraded"
    assert body["components"]["scheduler"]["status"] == "stale"
    assert body["components"]["scheduler"]["seconds_ago"] >= 180


def test_an_outbox_waiting_past_its_time_is_a_backlog(client, db):
    with db() as s:
        health.beat("scheduler")
        citizen = Citizen(pseudonym="p" * 64)
        s.add(citizen)
        s.flush()
        s.add(OutboundMessage(citizen_id=citizen.id, kind="answer", text="您好",
                              next_attempt_at=utcnow() - timedelta(minutes=1)))
    outbox = _health(client)[1]["components"]["wechat_outbox"]
    assert (outbox["status"], outbox["pending"], outbox["late"], outbox["failed"]) == ("ok", 1, 0, 0)
    assert outbox["oldest_pending_at"] is not None
    with db() as s:
        s.add(OutboundMessage(citizen_id=citizen.id, kind="answer", text="再次您好",
                              next_attempt_at=utcnow() - timedelta(minutes=20)))
    status, body = _health(client)
    assert status == 200 and body["status"] == "degraded"
    assert body["components"]["wechat_outbox"]["status"] == "backlog"
    assert body["components"]["wechat_outbox"]["late"] == 1


def test_a_failing_check_reports_error_not_a_500(app, client, db, monkeypatch):
    with db():
        health.beat("scheduler")

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.extensions, "ww_health_checks", {"broken": broken})
    status, body = _health(client)
    assert status == 200 and body["components"]["broken"] == {"status": "error"}
    monkeypatch.setitem(app.extensions, "ww_health_checks", {})
    assert _health(client)[1]["status"] == "ok"  # the next request works


def test_the_scheduler_beats_when_it_runs(app, db):
    from analytics import scheduler

    assert "scheduler-heartbeat" in {j.id for j in scheduler.all_jobs(app)}
    scheduler.run_job(app, scheduler.HEARTBEAT)
    with db() as s:
        row = s.get(health.Heartbeat, "scheduler")
        assert row is not None and (utcnow() - row.beat_at) < timedelta(seconds=30)
