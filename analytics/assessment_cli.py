"""Flask CLI group ``assessment``: print a period's assessment; evaluate the delisting rules."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask.cli import AppGroup, with_appcontext

from analytics import assessment, delisting
from feedback_api.db import Session
from feedback_api.models.reference import DELISTING_RULES
from feedback_api.services.feedback import LOCAL_TZ

assessment_cli = AppGroup("assessment", help="量化考核与摘牌规则。")


def _period(text: str | None) -> assessment.Period:
    if not text:
        return assessment.current_quarter()
    try:
        return assessment.parse_period(text)
    except ValueError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)


@assessment_cli.command("show")
@click.option("--period", default=None, help="2026、2026Q3 或 2026-07；默认本季度")
@with_appcontext
def show(period: str | None) -> None:
    """Print every window's assessment for PERIOD (tab-separated, ranked)."""
    result = assessment.assess(_period(period))
    out = sys.stdout
    out.write("\t".join(["区内排名", "行业排名", "窗口编号", "窗口名称", "计分评价数", "平滑满意度",
                         "好评率", "差评率", "综合检查", "暗查合格率", "综合得分"]) + "\n")

    def f(x: float | None, scale: float = 1, digits: int = 1) -> str:
        return "—" if x is None else f"{x * scale:.{digits}f}"

    for r in result.rows:
        out.write("\t".join([str(r.rank_district or "—"), str(r.rank_industry or "—"), r.code, r.name,
                             str(r.ratings), f(r.smoothed_rating, 1, 2), f(r.good_rate, 100),
                             f(r.bad_rate, 100), f(r.inspection_score), f(r.covert_pass_rate, 100),
                             f(r.composite)]) + "\n")
    for note in [result.formula, *result.notes]:
        click.echo(note, err=True)


@assessment_cli.command("delisting")
@click.option("--year", type=click.IntRange(2000, 2100), default=None, help="默认今年")
@with_appcontext
def delisting_command(year: int | None) -> None:
    """Evaluate the delisting rules for YEAR; open proposals for the office (idempotent)."""
    year = year or datetime.now(LOCAL_TZ).year
    changed = delisting.evaluate(year)
    Session.commit()
    for p in changed:
        click.echo(f"{p.window.code}\t规则{p.rule} {DELISTING_RULES[p.rule]}\t{p.evidence['summary']}")
    for rule, why in delisting.UNAVAILABLE_RULES.items():
        click.echo(f"规则{rule}（{DELISTING_RULES[rule]}）：{why}", err=True)
    click.echo(f"{year} 年：新开或更新摘牌建议 {len(changed)} 条", err=True)
