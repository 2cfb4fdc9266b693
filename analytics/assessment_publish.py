"""Publishing a quarter's assessment for the public page: one ``PublishedSnapshot`` of kind
"assessment" per demonstration window with a composite score, holding only non-personal
figures (the score and a one-line summary). Re-publishing a quarter replaces its snapshots.

The command is ``window-watch cycle publish-assessment --period 2026Q3``: it joins the cycle's
command group in the composition root (admin_web.app), since feedback_api, where that group
lives, may not import analytics."""

from __future__ import annotations

from dataclasses import dataclass

import click
from flask.cli import with_appcontext

from analytics.assessment import Period, assess, current_quarter, parse_period
from feedback_api.cli import fail
from feedback_api.db import Session
from feedback_api.models import User, Window
from feedback_api.services import cycle as cycle_service
from feedback_api.services.errors import ServiceError, ValidationError


@dataclass
class Published:
    period: Period
    published: int  # windows whose snapshot was written
    without_score: list[str]  # demonstration windows with no composite this quarter (codes)


def publish_assessment(actor: User | None, period: Period) -> Published:
    """Write the quarter's snapshots (the caller commits): the composite rounded to one
    decimal, and the window's rank among its industry's assessed windows."""
    if period.kind != "quarter":
        raise ValidationError("只发布季度考核结果，考核期应写作 2026Q3")
    result = assess(period)
    published, without = 0, []
    for row in result.rows:
        if row.status != "demonstration":
            continue
        if row.composite is None:
            without.append(row.code)
            continue
        summary = f"{period.label}综合得分 {row.composite:.1f}"
        if row.rank_industry is not None:
            summary += f"，本行业 {row.industry_ranked} 个参评窗口中第 {row.rank_industry} 名"
        cycle_service.publish_snapshot(
            actor, kind="assessment", source=f"assessment:{period.code}:{row.code}",
            period=period.code, window=Session.get(Window, row.window_id),
            payload={"score": round(row.composite, 1), "summary": summary})
        published += 1
    return Published(period, published, without)


@click.command("publish-assessment")
@click.option("--period", default=None, help="季度，如 2026Q3；默认本季度")
@with_appcontext
def publish_assessment_command(period: str | None) -> None:
    """Publish each demonstration window's quarterly assessment on the public page."""
    try:
        chosen = parse_period(period) if period else current_quarter()
        done = publish_assessment(None, chosen)
    except ValueError as exc:
        fail(str(exc), 2)
    except ServiceError as exc:
        Session.rollback()
        fail(exc.message, 2)
    Session.commit()
    click.echo(f"{done.period.label}：已发布 {done.published} 个示范窗口的考核结果")
    if done.without_score:
        click.echo(f"本期无综合得分、未发布：{'、'.join(done.without_score)}", err=True)
