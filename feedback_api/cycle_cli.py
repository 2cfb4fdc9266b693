"""`window-watch cycle …`: create a programme year, and the reminder job (each command commits)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup, with_appcontext

from feedback_api.cli import fail
from feedback_api.db import Session
from feedback_api.services import cycle as cycle_service
from feedback_api.services.errors import ServiceError

cycle_cli = AppGroup("cycle", help="年度创建周期：建立年度、截止提醒。")


def remind_job(today: date | None = None) -> str:
    """The scheduler's job (idempotent): write due reminders; the caller commits."""
    made = cycle_service.remind(today=today)
    return f"{len(made)} reminders"


@cycle_cli.command("create")
@click.argument("year", type=int)
@with_appcontext
def cycle_create(year: int) -> None:
    """Create programme year YEAR with the plan's default phase dates."""
    try:
        c = cycle_service.create_cycle(None, year)
    except ServiceError as exc:
        Session.rollback()
        fail(exc.message)
    Session.commit()
    for p in c.phases:
        click.echo(f"{p.kind}\t{p.starts_on}\t{p.ends_on}")


@cycle_cli.command("remind")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="以该日期计算（默认今天）")
@with_appcontext
def cycle_remind(on: object) -> None:
    """Record reminders for submissions due soon and queue them to the alert channels."""
    today = on.date() if on is not None else None  # type: ignore[attr-defined]
    made = cycle_service.remind(today=today)
    Session.commit()
    for r in made:
        click.echo(f"{r.target}\t{r.message}")
    click.echo(f"已记录提醒 {len(made)} 条", err=True)
