"""CLI: ``window-watch repeats show|check|contact`` (repeat problems across windows); the
composition root registers the group. ``check`` is what the scheduler runs nightly."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, with_appcontext

from analytics import repeat_problems
from analytics.periods import parse_period
from feedback_api.db import Session
from feedback_api.services import alert_contacts
from feedback_api.services.errors import ServiceError

repeats_cli = AppGroup("repeats", help="多窗口反复出现的问题：统计、提醒行业主管部门。")


def _period(text: str | None) -> repeat_problems.Period | None:
    if not text:
        return None
    try:
        return parse_period(text)
    except ValueError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)


@repeats_cli.command("show")
@click.option("--period", default=None, help="2026、2026Q3 或 2026-07；默认本季度")
@click.option("--min-windows", type=click.IntRange(2, 100), default=None,
              help="至少几个窗口上升（默认 WW_REPEAT_MIN_WINDOWS）")
@with_appcontext
def show(period: str | None, min_windows: int | None) -> None:
    """Print the repeat problems of PERIOD (tab-separated: industry, topic, window, now, before)."""
    found = repeat_problems.find(_period(period) or repeat_problems.current_quarter(),
                                 min_windows=min_windows)
    for p in found.problems:
        for w in p.windows:
            click.echo(f"{p.industry}\t{p.topic}\t{w.code}\t{w.current}\t{w.previous}")
    click.echo(f"{found.period.label}：{len(found.problems)} 个问题（至少 {found.min_windows} 个窗口"
               f"较{found.previous.label}上升）", err=True)


@repeats_cli.command("check")
@click.option("--period", default=None, help="默认：本季度截至目前和上一季度")
@click.option("--min-windows", type=click.IntRange(2, 100), default=None)
@with_appcontext
def check(period: str | None, min_windows: int | None) -> None:
    """Find the repeat problems and queue an e-mail to each industry authority (once per period
    and topic; the tickets-alerts job sends it)."""
    queued = repeat_problems.check(_period(period), min_windows=min_windows)
    Session.commit()
    click.echo(f"{queued} alerts queued", err=True)


@repeats_cli.command("contact")
@click.argument("industry")
@click.argument("email")
@click.option("--name", default="", help="联系人姓名")
@with_appcontext
def contact(industry: str, email: str, name: str) -> None:
    """Register EMAIL to receive the alerts of INDUSTRY's authority (tax, health, …)."""
    try:
        alert_contacts.add_contact(None, None, email, name, industry=industry)
    except ServiceError as exc:
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(1)
    Session.commit()
    click.echo(f"{industry}: {email}", err=True)
