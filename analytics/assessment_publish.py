"""Publishing a quarter's assessment for the public page: one ``PublishedSnapshot`` of kind
"assessment" per demonstration window with a composite score, holding only non-personal
figures (the score and a one-line summary), taken from the quarter's published version
(``analytics.snapshots``; version 1 is stored first when the quarter is not published yet).
Re-publishing a quarter replaces its public rows; a recompute refreshes them. The office may take
a quarter's rows off the public page again (``withdraw_public``, 撤下公示); a recompute then leaves
the page as it is.

The command is ``window-watch cycle publish-assessment --period 2026Q3``: it joins the cycle's
command group in the composition root (admin_web.app), since feedback_api, where that group
lives, may not import analytics."""

from __future__ import annotations

from dataclasses import dataclass

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from analytics import snapshots
from analytics.assessment import Period, current_quarter, parse_period
from feedback_api.cli import fail
from feedback_api.db import Session
from feedback_api.models import PublishedSnapshot, User, Window
from feedback_api.services import audit
from feedback_api.services.errors import Conflict, PermissionDenied, ServiceError, ValidationError


@dataclass
class Published:
    period: Period
    published: int  # windows whose snapshot was written
    without_score: list[str]  # demonstration windows with no composite this quarter (codes)
    version: int  # the stored version the public rows come from


def publish_assessment(actor: User | None, period: Period) -> Published:
    """Write the quarter's public rows from its published version (the caller commits): the
    composite rounded to one decimal, and the window's rank among its industry's assessed
    windows. Call at the start of a unit of work (storing version 1 ends its read)."""
    if period.kind != "quarter":
        raise ValidationError("只发布季度考核结果，考核期应写作 2026Q3")
    actor_id = actor.id if actor is not None else None
    if snapshots.latest(period) is None:
        snapshots.publish(actor, period)
    who = Session.get(User, actor_id) if actor_id else None
    published, without = snapshots.write_public(who, period)
    return Published(period, published, without, snapshots.latest(period).version)  # type: ignore[union-attr]


def on_public_page(period: Period) -> int:
    """How many windows' scores of ``period`` the public page shows."""
    return int(Session.scalar(sa.select(sa.func.count()).select_from(PublishedSnapshot).where(
        PublishedSnapshot.kind == "assessment", PublishedSnapshot.period == period.code)) or 0)


def withdraw_public(actor: User, period: Period) -> int:
    """Take the quarter's scores off the public page (the office; audited once, with the windows
    and what they showed); returns how many were taken off. The stored versions stay."""
    if actor.role != "office":
        raise PermissionDenied("仅区联席办可撤下公开页面的考核结果")
    rows = Session.execute(
        sa.select(PublishedSnapshot, Window.code)
        .outerjoin(Window, Window.id == PublishedSnapshot.window_id)
        .where(PublishedSnapshot.kind == "assessment", PublishedSnapshot.period == period.code)
        .order_by(PublishedSnapshot.id)).all()
    if not rows:
        raise Conflict(f"{period.label}的考核结果未在公开页面公布")
    audit.record_change(actor, "withdraw_public", "published_snapshot", f"assessment:{period.code}",
                        {"period": period.code, "windows": [code for _snap, code in rows],
                         "payloads": [snap.payload for snap, _code in rows]}, None)
    for snap, _code in rows:
        Session.delete(snap)
    Session.flush()
    return len(rows)


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
    click.echo(f"{done.period.label}：已发布 {done.published} 个示范窗口的考核结果（第 {done.version} 版）")
    if done.without_score:
        click.echo(f"本期无综合得分、未发布：{'、'.join(done.without_score)}", err=True)
