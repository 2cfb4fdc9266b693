"""The scheduler process: each job is a unit of work (commit, or roll back and log)."""

import sqlalchemy as sa

from analytics import scheduler
from feedback_api.models import Unit
from feedback_api.services import units


def _make_unit(code):
    def job():
        units.ensure_unit(None, name=f"单位{code}", code=code, industry="tax")
        return code
    return job


def _failing():
    units.ensure_unit(None, name="半途而废", code="HALF", industry="tax")
    raise RuntimeError("boom")


def test_job_commits_on_success_and_rolls_back_on_failure(app, db, caplog):
    ok = scheduler.Job("ok", _make_unit("OK-1"), None, "test")
    bad = scheduler.Job("bad", _failing, None, "test")
    assert scheduler.run_job(app, ok) == "OK-1"
    assert scheduler.run_job(app, bad) is None
    assert "job bad failed" in caplog.text
    with db() as s:
        assert set(s.scalars(sa.select(Unit.code))) == {"OK-1"}


def test_scheduler_runs_the_one_job_list_of_the_composition_root(app):
    from admin_web.app import JOBS

    jobs = {j.id for j in scheduler.all_jobs(app)}
    assert jobs == {j.id for j in JOBS} | {scheduler.HEARTBEAT.id}
    assert {"nlp-analyze-pending", "nlp-retrain-weekly", "wechat-deliver-outbox"} <= jobs
    sched = scheduler.build_scheduler(app)
    assert {j.id for j in sched.get_jobs()} == jobs


def test_scheduler_command_lists_jobs(runner):
    result = runner.invoke(args=["scheduler", "--list"])
    assert result.exit_code == 0
    assert "nlp-analyze-pending" in result.output and "nlp-retrain-weekly" in result.output


def test_a_process_lock_is_held_by_one_holder_at_a_time(app):
    from feedback_api.db import ProcessLock

    engine = app.extensions["ww_engine"]
    first, second = ProcessLock(engine, "test-lock"), ProcessLock(engine, "test-lock")
    assert first.acquire()
    try:
        assert not second.acquire()
        other = ProcessLock(engine, "another-lock")
        assert other.acquire()  # names are independent
        other.release()
    finally:
        first.release()
    assert second.acquire()
    second.release()


def test_a_second_scheduler_refuses_to_start(app, runner):
    from feedback_api.db import ProcessLock

    running = ProcessLock(app.extensions["ww_engine"], "scheduler")
    assert running.acquire()  # as the first scheduler process holds it
    try:
        result = runner.invoke(args=["scheduler"])
    finally:
        running.release()
    assert result.exit_code == 1
    assert "另一个调度进程已在运行" in result.output


def test_a_lock_lost_with_its_connection_is_taken_again_unless_another_took_it(app):
    from feedback_api.db import ProcessLock

    engine = app.extensions["ww_engine"]
    lock = ProcessLock(engine, "test-ensure")
    assert lock.acquire()
    try:
        assert lock.ensure()  # still held
        if engine.dialect.name != "postgresql":
            return  # a flock cannot be lost while its file is open
        pid = lock._conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        lock._conn.commit()

        def end_lock_connection() -> None:
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"),
                                    {"pid": pid}).scalar_one()

        end_lock_connection()
        assert lock.ensure()  # taken again on a new connection
        assert not ProcessLock(engine, "test-ensure").acquire()
        pid = lock._conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        lock._conn.commit()
        end_lock_connection()
        other = ProcessLock(engine, "test-ensure")
        assert other.acquire()  # another process took it meanwhile
        try:
            assert not lock.ensure()
        finally:
            other.release()
    finally:
        lock.release()


def test_the_scheduler_stops_with_exit_1_once_another_holds_its_lock(app, runner, monkeypatch):
    from apscheduler.schedulers.blocking import BlockingScheduler

    from feedback_api.db import ProcessLock

    seen: dict[str, list[str]] = {}

    def start(self) -> None:  # instead of blocking: run the lock check as its interval would
        seen["jobs"] = [job.id for job in self.get_jobs()]
        monkeypatch.setattr(ProcessLock, "ensure", lambda _lock: False)
        self.get_job("scheduler-lock").func()

    monkeypatch.setattr(BlockingScheduler, "start", start)
    result = runner.invoke(args=["scheduler"])
    assert "scheduler-lock" in seen["jobs"] and "nlp-analyze-pending" in seen["jobs"]
    assert result.exit_code == 1


#: Each scheduled job and the command that does the same work by hand (brief: "each job is also
#: a CLI command"). A new job fails this test until it has one.
JOB_COMMANDS = {
    "nlp-analyze-pending": ["nlp", "analyze-pending"],
    "nlp-retrain-weekly": ["nlp", "retrain"],
    "wechat-deliver-outbox": ["wechat", "deliver"],
    "wechat-fetch-evidence": ["wechat", "fetch-evidence"],
    "wechat-purge-inbound-log": ["wechat", "purge-log"],
    "privacy-retention": ["citizens", "apply-retention"],
    "tickets-auto-open": ["tickets", "auto-open"],
    "tickets-mark-overdue": ["tickets", "mark-overdue"],
    "tickets-alerts": ["tickets", "alerts"],
    "tickets-digest": ["tickets", "digest"],
    "assessment-delisting-nightly": ["assessment", "delisting"],
    "assessment-daily-sums": ["assessment", "refresh-daily"],
    "assessment-nightly": ["assessment", "run"],
    "repeat-problems-nightly": ["repeats", "check"],
    "cycle-remind": ["cycle", "remind"],
}


def test_every_scheduled_job_is_also_a_cli_command(runner):
    from admin_web.app import JOBS

    assert set(JOB_COMMANDS) == {j.id for j in JOBS}
    for job_id, args in JOB_COMMANDS.items():
        result = runner.invoke(args=[*args, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, (job_id, result.output)
