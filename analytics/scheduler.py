"""The scheduler process (`window-watch scheduler`): a BlockingScheduler running the job list
that the composition root (admin_web.app.JOBS) gives the app.

It runs in its own process, never inside web workers: every forked gunicorn worker would run
every job; a second scheduler on the same database refuses to start (``ProcessLock``). Each
job runs in its own app context, commits on success, rolls back on failure and removes the
session, like the CLI commands that call the same functions."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from flask.cli import with_appcontext

from feedback_api.db import ProcessLock, Session, begin_request_write, end_session, get_engine
from feedback_api.services import health

log = logging.getLogger(__name__)
TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[], Any]
    trigger: Any
    description: str


def run_job(app: Flask, job: Job) -> Any:
    """Run one job as a unit of work: commit on success, roll back and log on failure."""
    with app.app_context():
        failed = False
        try:
            result = job.func()
            Session.commit()
            return result
        except Exception:
            failed = True
            log.exception("job %s failed", job.id)
            return None
        finally:
            # A connection that died under the job (the database restarted) is discarded, so
            # the next run of this thread starts afresh.
            end_session(rollback=failed)


#: The scheduler's own sign of life, which /healthz reads (a stale one: the scheduler is down).
def _beat() -> None:
    begin_request_write()  # it reads, then writes, at the same second as other jobs (SQLite)
    health.beat("scheduler")


HEARTBEAT = Job("scheduler-heartbeat", _beat,
                IntervalTrigger(seconds=health.BEAT_SECONDS), "record that the scheduler is alive")


def all_jobs(app: Flask) -> list[Job]:
    """The jobs the composition root lists (``app.extensions["ww_jobs"]``), and the heartbeat."""
    return [*app.extensions.get("ww_jobs", []), HEARTBEAT]


def build_scheduler(app: Flask, jobs: Iterable[Job] | None = None) -> BlockingScheduler:
    """The scheduler of ``jobs``. Interval jobs run once as soon as it starts (each job is
    idempotent): a scheduler restarted after a crash picks up the outbox, the analysis and the
    tickets at once rather than an interval later; cron jobs keep their hour."""
    scheduler = BlockingScheduler(timezone=TIMEZONE)
    now = datetime.now(UTC)
    for job in jobs if jobs is not None else all_jobs(app):
        first = {"next_run_time": now} if isinstance(job.trigger, IntervalTrigger) else {}
        scheduler.add_job(run_job, job.trigger, args=(app, job), id=job.id, name=job.description,
                          max_instances=1, coalesce=True, misfire_grace_time=300, **first)
    return scheduler


@click.command("scheduler")
@click.option("--list", "list_only", is_flag=True, help="只列出任务，不启动")
@with_appcontext
def scheduler_command(list_only: bool) -> None:
    """Run the scheduled jobs in this process until stopped (Ctrl+C)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs = all_jobs(app)
    for job in jobs:
        click.echo(f"{job.id}\t{job.trigger}\t{job.description}")
    if list_only:
        return
    # Two schedulers would run every job twice (a citizen's message sent twice, say).
    lock = ProcessLock(get_engine(), "scheduler")
    if not lock.acquire():
        click.echo("另一个调度进程已在运行（同一数据库只能有一个）；本进程退出。", err=True)
        raise SystemExit(1)
    scheduler = build_scheduler(app, jobs)
    run_job(app, HEARTBEAT)  # at once: /healthz sees a (re)started scheduler without waiting
    lost: list[bool] = []

    def keep_lock() -> None:
        # On PostgreSQL the lock goes with its connection (a server restart): take it again,
        # or stop if another scheduler took it meanwhile.
        if not lock.ensure():
            log.error("scheduler: another scheduler holds the lock now; stopping")
            lost.append(True)
            if scheduler.running:
                scheduler.shutdown(wait=False)

    scheduler.add_job(keep_lock, IntervalTrigger(seconds=LOCK_CHECK_SECONDS),
                      id="scheduler-lock", max_instances=1, coalesce=True)
    # One line per run every 30 s drowns the log; failures are still logged by run_job.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    click.echo("调度进程已启动（Ctrl+C 停止）", err=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
    finally:
        lock.release()
    if lost:
        raise SystemExit(1)


#: How often the scheduler checks it still holds its lock.
LOCK_CHECK_SECONDS = 30
