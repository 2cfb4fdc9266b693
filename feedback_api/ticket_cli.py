"""CLI: ``window-watch tickets auto-open|mark-overdue|repeated|holiday|alerts|digest|contact``
(each command commits).
The composition root registers the group."""

from __future__ import annotations

import sys
from datetime import datetime

import click
import sqlalchemy as sa
from flask.cli import AppGroup, with_appcontext

from feedback_api.cli import fail
from feedback_api.db import Session
from feedback_api.models import Ticket, Window
from feedback_api.services import ticket_clocks, ticket_jobs, workdays
from feedback_api.services.errors import ServiceError

tickets_cli = AppGroup("tickets", help="督办单：自动开单、超期标记、节假日。")


@tickets_cli.command("auto-open")
@click.option("--limit", default=500, show_default=True, help="本次最多处理的评价数")
@with_appcontext
def auto_open(limit: int) -> None:
    """Open a ticket for every counted 差评 and clearly negative opinion that has none."""
    result = ticket_jobs.auto_open(limit=limit)
    Session.commit()
    click.echo(result, err=True)


@tickets_cli.command("mark-overdue")
@with_appcontext
def mark_overdue() -> None:
    """Mark rounds and call-backs past their deadlines."""
    result = ticket_jobs.mark_overdue()
    Session.commit()
    click.echo(result, err=True)


@tickets_cli.command("repeated")
@click.option("--rounds", default=3, show_default=True, help="连续未完成整改的轮次数")
@with_appcontext
def repeated(rounds: int) -> None:
    """List windows whose same problem was pushed ROUNDS rounds in a row without completion
    within the last year (tab-separated: window, ticket, rounds)."""
    found = ticket_clocks.repeated_pushes(streak=rounds)
    for window_id, pushes in sorted(found.items()):
        window = Session.get(Window, window_id)
        for p in pushes:
            ticket = Session.get(Ticket, p.ticket_id)
            click.echo(f"{window.code if window else window_id}\t"
                       f"{ticket.number if ticket else p.ticket_id}\t"
                       f"{','.join(str(n) for n in p.rounds)}")
    click.echo(f"{sum(len(v) for v in found.values())} tickets in {len(found)} windows", err=True)


@tickets_cli.command("holiday")
@click.argument("day")
@click.option("--workday/--holiday", "workday", default=None,
              help="--holiday 放假；--workday 调休上班；都不给则删除该日的自定义设置")
@click.option("--name", default="", help="名称，如 国庆节、国庆调休")
@with_appcontext
def holiday(day: str, workday: bool | None, name: str) -> None:
    """Set the office's own calendar for DAY (YYYY-MM-DD): it wins over the built-in one."""
    try:
        when = datetime.strptime(day, "%Y-%m-%d").date()
    except ValueError:
        fail(f"日期格式应为 YYYY-MM-DD：{day}")
    try:
        workdays.set_day(None, when, workday=workday, name=name)
    except ServiceError as exc:
        fail(exc.message)
    Session.commit()
    state = "删除自定义设置" if workday is None else ("工作日" if workday else "休息日")
    click.echo(f"{when}: {state}", err=True)


@tickets_cli.command("alerts")
@with_appcontext
def alerts_command() -> None:
    """E-mail the units about new 差评 and tickets (WW_SMTP_URL); exit 1 if any failed."""
    result = ticket_jobs.send_alerts()
    Session.commit()
    click.echo(result, err=True)
    if not result.endswith(" 0 failed") and "not sent" not in result:
        sys.exit(1)


@tickets_cli.command("digest")
@with_appcontext
def digest_command() -> None:
    """E-mail each unit today's digest of the tickets it must respond to."""
    result = ticket_jobs.send_digest()
    Session.commit()
    click.echo(result, err=True)
    if not result.endswith(" 0 failed") and "not sent" not in result:
        sys.exit(1)


@tickets_cli.command("contact")
@click.argument("unit")
@click.argument("email")
@click.option("--name", default="", help="联系人姓名")
@with_appcontext
def contact_command(unit: str, email: str, name: str) -> None:
    """Register EMAIL to receive the alerts of UNIT (its code or name)."""
    from feedback_api.models import Unit
    from feedback_api.services import alert_contacts

    found = Session.scalars(sa.select(Unit).where(sa.or_(Unit.code == unit, Unit.name == unit))).first()
    if found is None:
        fail(f"单位不存在：{unit}")
    try:
        alert_contacts.add_contact(None, found, email, name)
    except ServiceError as exc:
        fail(exc.message)
    Session.commit()
    click.echo(f"{found.code}: {email}", err=True)
