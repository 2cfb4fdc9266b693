"""Flask CLI group ``assessment``: print a period's assessment; evaluate the delisting rules."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask.cli import AppGroup, with_appcontext

from analytics import assessment, assessment_run, delisting, snapshots
from analytics.snapshot_diff import compare
from feedback_api.cli import fail
from feedback_api.db import Session
from feedback_api.models.reference import DELISTING_RULES
from feedback_api.services.errors import ServiceError
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
@click.option("--live", is_flag=True, help="按当前数据实时计算，而不读取已发布的版本")
@with_appcontext
def show(period: str | None, live: bool) -> None:
    """Print every window's assessment for PERIOD (tab-separated, ranked): its published version,
    as the pages show it, unless --live or not published."""
    chosen = _period(period)
    result, snap = (assessment.assess(chosen), None) if live else snapshots.assessment_for(chosen, None)
    click.echo(f"{chosen.label}：已发布第 {snap.version} 版" if snap
               else f"{chosen.label}：按当前数据实时计算" + ("" if live else "（尚未发布）"), err=True)
    out = sys.stdout
    out.write("\t".join(["区内排名", "行业排名", "窗口编号", "窗口名称", "计分评价数", "微信公众号",
                         "网页评价", "平滑满意度",
                         "好评率", "差评率", "综合检查", "暗查合格率", "事件扣分", "综合得分"]) + "\n")

    def f(x: float | None, scale: float = 1, digits: int = 1) -> str:
        return "—" if x is None else f"{x * scale:.{digits}f}"

    for r in result.rows:
        out.write("\t".join([str(r.rank_district or "—"), str(r.rank_industry or "—"), r.code, r.name,
                             str(r.ratings), *["—" if n is None else str(n)
                                               for n in (r.ratings_wechat, r.ratings_h5)],
                             f(r.smoothed_rating, 1, 2), f(r.good_rate, 100),
                             f(r.bad_rate, 100), f(r.inspection_score), f(r.covert_pass_rate, 100),
                             "—" if r.deduction is None else f"{r.deduction:g}",
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


@assessment_cli.command("run")
@click.option("--period", default=None, help="2026、2026Q3 或 2026-07；默认本季度")
@with_appcontext
def run_command(period: str | None) -> None:
    """Compute PERIOD now, and store the quarter that ended (what the scheduler does nightly)."""
    chosen = _period(period) if period else None
    try:
        done = assessment_run.run(chosen)
    except ServiceError as exc:
        Session.rollback()
        fail(exc.message, 1)
    Session.commit()
    click.echo(f"{done.period.label}：考核 {done.assessed} 个窗口，{done.scored} 个有综合得分")
    if done.stored is not None:
        click.echo(f"{done.ended.label}已结束：已发布第 1 版考核结果")
    else:
        click.echo(f"{done.ended.label}：已发布（第 {snapshots.latest(done.ended).version} 版），"  # type: ignore[union-attr]
                   "未改动")


@assessment_cli.command("refresh-daily")
@click.option("--full", is_flag=True, help="全部重算（如有未经本系统写入的评价数据）")
@with_appcontext
def refresh_daily_command(full: bool) -> None:
    """Bring the per-window sums of each day and of each month up to date (what the scheduler
    does nightly): only the days whose feedback changed since the last run, and their months;
    the first run, or --full, rebuilds them all."""
    from analytics import daily

    done = daily.refresh(full=full)
    Session.commit()
    how = "全部重算" if done.full else "增量更新"
    click.echo(f"每日及每月汇总：{how} {done.pairs} 个（窗口, 日）")


@assessment_cli.command("publish")
@click.option("--period", required=True, help="2026Q3、2026-07 或 2026")
@with_appcontext
def publish_command(period: str) -> None:
    """Publish PERIOD: store every window's assessment as version 1 (pages then read it)."""
    chosen = _period(period)
    try:
        snap = snapshots.publish(None, chosen)
    except ServiceError as exc:
        Session.rollback()
        fail(exc.message, 1)
    Session.commit()
    click.echo(f"{chosen.label}：已发布第 {snap.version} 版（{len(snap.rows)} 个窗口）")  # type: ignore[union-attr]


@assessment_cli.command("recompute")
@click.option("--period", required=True, help="已发布的考核期，如 2026Q3")
@click.option("--reason", required=True, help="重新计算的原因（记入审计日志）")
@with_appcontext
def recompute_command(period: str, reason: str) -> None:
    """Recompute a published PERIOD after late data: a new version, the old one kept."""
    chosen = _period(period)
    try:
        snap = snapshots.recompute(None, chosen, reason)
        previous = snapshots.get_version(chosen, snap.version - 1)
        changed = compare(previous, snap)  # type: ignore[arg-type]
    except ServiceError as exc:
        Session.rollback()
        fail(exc.message, 1)
    Session.commit()
    click.echo(f"{chosen.label}：已生成第 {snap.version} 版，{len(changed)} 个窗口有变化")
    for c in changed:
        click.echo(f"{c.code}\t" + "；".join(f"{label} {a} → {b}" for label, a, b in c.changes))


@assessment_cli.command("versions")
@click.option("--period", required=True, help="考核期，如 2026Q3")
@with_appcontext
def versions_command(period: str) -> None:
    """List the stored versions of PERIOD (tab-separated)."""
    chosen = _period(period)
    found = snapshots.versions(chosen)
    if not found:
        click.echo(f"{chosen.label}尚未发布", err=True)
    for s in found:
        click.echo("\t".join([f"v{s.version}", s.created_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                              s.author.username if s.author else "调度任务/命令行",
                              snapshots.TRIGGERS.get(s.trigger, s.trigger), s.reason]))
