"""Flask CLI group ``nlp``: analyse opinions (stdin or the database), evaluate, retrain, versions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext

from feedback_api import config
from feedback_api.config import ConfigError

nlp = AppGroup("nlp", help="意见分析：分词、主题、情感、关键词、脱敏（opinion analytics）。")


def _model_dir() -> Path | None:
    """The platform's model folder when an app is loaded (window-watch nlp …), else
    WW_MODEL_DIR or the shipped model (the group used on its own)."""
    if current_app:
        return Path(current_app.config["WW_MODEL_DIR"])
    ctx = click.get_current_context(silent=True)
    info = ctx.find_object(ScriptInfo) if ctx is not None else None
    if info is not None and (info.create_app is not None or info.app_import_path):
        try:
            return Path(info.load_app().config["WW_MODEL_DIR"])
        except ConfigError:
            # Analysing text needs neither the database nor SECRET_KEY (a fresh install, say):
            # the model folder alone comes from the environment.
            return Path(config.model_dir())
    return None


def _pipeline():  # type: ignore[no-untyped-def]
    from analytics.nlp import get_pipeline

    return get_pipeline(model_dir=_model_dir())


@nlp.command("analyze", with_appcontext=False)
@click.option("--rating", type=click.IntRange(1, 5), default=None, help="Rating 1-5 applied to every line.")
@click.option("--tsv", is_flag=True, help="Lines are 'rating<TAB>text' (empty rating allowed).")
def analyze_command(rating: int | None, tsv: bool) -> None:
    """Read opinions one per line on stdin; write one JSON object per line (same order)."""
    pipe = _pipeline()
    out = sys.stdout
    raw = getattr(sys.stdin, "buffer", None)
    # Bytes in, so a stray invalid byte or a BOM from a Windows editor cannot stop the batch.
    lines = (b.decode("utf-8", errors="replace") for b in raw) if raw is not None else sys.stdin
    for index, line in enumerate(lines):
        line = line.rstrip("\r\n")
        if index == 0:
            line = line.lstrip("\ufeff")
        line_rating = rating
        if tsv and "\t" in line:
            head, line = line.split("\t", 1)
            line_rating = int(head) if head.strip().isdigit() and 1 <= int(head) <= 5 else rating
        result = pipe.analyze(line, line_rating)
        out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        out.flush()


@nlp.command("evaluate", with_appcontext=False)
def evaluate_command() -> None:
    """Print the active model's scores on the fixed held-out split of the labelled opinions."""
    from analytics.nlp.evaluation import evaluate
    from analytics.nlp.training import load_labelled

    pipe = _pipeline()
    test = [e for e in load_labelled() if e.split == "test"]
    scores = evaluate(pipe, test)
    click.echo(json.dumps({"model_version": pipe.version, **scores}, ensure_ascii=False, indent=2))


@nlp.command("versions", with_appcontext=False)
def versions_command() -> None:
    """List model versions (local and shipped) and which one is active."""
    from analytics.nlp import list_versions

    for v in list_versions(_model_dir()):
        click.echo(f"{'*' if v['active'] else ' '} {v['version']:<24} {v['origin']:<8} {v['created'] or ''}")


@nlp.command("activate")
@click.argument("version")
def activate_command(version: str) -> None:
    """Make VERSION the active model (also restores an older one)."""
    from analytics.jobs import activate

    try:
        activate(version)
    except (FileNotFoundError, ValueError) as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(1)
    click.echo(f"已启用模型版本 {version}", err=True)


@nlp.command("analyze-pending")
@click.option("--limit", default=500, show_default=True, help="每批条数")
@click.option("--all", "all_batches", is_flag=True, help="分批处理，直到没有待分析的意见")
@click.option("--reanalyze", is_flag=True, help="也重新分析由其他模型版本分析过的意见")
@with_appcontext
def analyze_pending_command(limit: int, all_batches: bool, reanalyze: bool) -> None:
    """Analyse stored opinions that have no analysis yet (what the scheduler does every 30 s)."""
    from analytics.jobs import analyze_pending
    from feedback_api.db import Session

    total = 0
    while True:
        done = analyze_pending(limit, reanalyze=reanalyze)
        Session.commit()
        total += done
        if not all_batches or done < limit:
            break
    click.echo(f"已分析 {total} 条意见", err=True)


@nlp.command("remask")
@with_appcontext
def remask_command() -> None:
    """Mask stored opinions again after the masking changed (analyses again only those whose
    masked text changes); safe to repeat."""
    from analytics.jobs import remask_stored
    from feedback_api.db import Session

    done = remask_stored()
    Session.commit()
    click.echo(f"已重新脱敏 {done} 条意见", err=True)


@nlp.command("retrain")
@with_appcontext
def retrain_command() -> None:
    """Train a new model version with the reviewers' corrections; promote it if the promotion gate
    (not worse than the current one beyond noise, no drop of more than one point) lets it pass."""
    from analytics.jobs import retrain
    from analytics.nlp.gate import format_gate

    result = retrain()
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    click.echo(format_gate(result.gate), err=True)
    refused = "新版本比当前版本差（超出随机波动或下降超过 1 个百分点），未启用："
    click.echo(("已启用新版本 " if result.promoted else refused) + result.version, err=True)
