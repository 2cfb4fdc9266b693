"""``window-watch backup`` and ``window-watch restore``: the whole database to one file and back."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback_api.backup import BackupError, backup, default_name, restore
from feedback_api.cli import fail


@click.command("backup")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="备份文件路径；默认写到实例目录的 backups/ 下，文件名带时间")
@with_appcontext
def backup_command(output: Path | None) -> None:
    """Back up the whole database to one file (SQLite: online backup; PostgreSQL: pg_dump)."""
    engine = current_app.extensions["ww_engine"]
    dest = output or default_name(engine, Path(current_app.config["WW_INSTANCE_PATH"]) / "backups")
    try:
        written = backup(engine, dest)
    except BackupError as exc:
        fail(str(exc))
    click.echo(str(written))
    click.echo(f"备份完成：{written}（{written.stat().st_size} 字节）", err=True)


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(source: Path) -> None:
    """Restore a backup into the configured database, which must be empty (newly created)."""
    try:
        restore(current_app.extensions["ww_engine"], source)
    except BackupError as exc:
        fail(str(exc))
    click.echo(f"已从 {source} 恢复数据库", err=True)
