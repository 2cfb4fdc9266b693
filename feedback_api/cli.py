"""The core's CLI groups: db, users, windows, citizens and demo (tokens in tokens_cli.py; each command
commits)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from feedback_api import db, schema
from feedback_api.db import Session
from feedback_api.models.reference import ROLES
from feedback_api.services import ledger, ledger_template
from feedback_api.services import users as user_service
from feedback_api.services.errors import ServiceError

db_cli = AppGroup("db", help="数据库结构（Alembic 迁移）。")
users_cli = AppGroup("users", help="用户与角色。")
windows_cli = AppGroup("windows", help="窗口登记台账导入导出。")
citizens_cli = AppGroup("citizens", help="群众个人信息：保存期限与删除。")


def fail(message: str, code: int = 1) -> NoReturn:
    """End a command with a Chinese message on standard error and an exit status."""
    click.echo(f"错误：{message}", err=True)
    sys.exit(code)


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to the latest schema."""
    schema.upgrade(db.get_engine(), revision, instance_path=current_app.config["WW_INSTANCE_PATH"])
    with db.get_engine().connect() as conn:
        click.echo(f"数据库已迁移到版本 {schema.current_revision(conn)}", err=True)


@db_cli.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (use with care)."""
    schema.downgrade(db.get_engine(), revision, instance_path=current_app.config["WW_INSTANCE_PATH"])


@db_cli.command("current")
@with_appcontext
def db_current() -> None:
    """Print the schema revision of the database and the latest one."""
    with db.get_engine().connect() as conn:
        click.echo(f"current: {schema.current_revision(conn)}  head: {schema.head_revision()}")


#: Whoever runs the command typed the password, so by default its holder must choose their own at
#: the next sign-in, as after the office sets one on the web. Opting out is for an account the
#: operator keeps for themselves, or one used by the API alone, whose tokens are refused while
#: the flag is set and which never signs in to change it.
_no_force_change = click.option(
    "--no-force-change", is_flag=True,
    help="不要求首次（下次）登录时修改密码：运行命令者本人的账号，或只用接口令牌的账号")


def _work_unit_options(f: Any) -> Any:
    f = click.option("--work-unit-other", default=None,
                     help="评审专家的区外工作单位（如高等院校）；空字符串清除")(f)
    return click.option("--work-unit", default=None,
                        help="评审专家的工作单位：本区登记单位的编号或名称（评审时回避）；空字符串清除")(f)


def _set_work_unit(user: Any, unit: str | None, other: str | None) -> bool:
    """An expert's work unit from the options given (None: keep); the caller commits."""
    if unit is None and other is None:
        return False
    from feedback_api.services import expert_units

    found = expert_units.resolve_unit(unit) if unit is not None else user.work_unit
    return expert_units.set_work_unit(None, user, unit_id=found.id if found else None,
                                      other=user.work_unit_other if other is None else other)


@users_cli.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--scope", "scopes", multiple=True,
              help="窗口编号、单位编号、行业代码或行业名称（如 税务）；可重复")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name", default="")
@_work_unit_options
@_no_force_change
@with_appcontext
def users_add(name: str, role: str, scopes: tuple[str, ...], password: str, display_name: str,
              work_unit: str | None, work_unit_other: str | None, no_force_change: bool) -> None:
    """Add a user with a role and, for authorities and units, a scope (for experts, a work
    unit); they choose their own password at the first sign-in (as for an account the office
    adds on the web)."""
    try:
        user = user_service.create_user(None, name, role=role, password=password, scopes=scopes,
                                        display_name=display_name,
                                        must_change=not no_force_change)
        _set_work_unit(user, work_unit, work_unit_other)
    except ServiceError as exc:
        Session.rollback()
        fail(exc.message)
    Session.commit()
    click.echo(f"已添加用户 {name}（{ROLES[role]}）" + ("" if no_force_change else "，首次登录须修改密码"),
               err=True)


@users_cli.command("passwd")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@_no_force_change
@with_appcontext
def users_passwd(name: str, password: str, no_force_change: bool) -> None:
    """Set a user's password; they choose their own at the next sign-in, and a sign-in lock is
    lifted (as after a reset on the web)."""
    from feedback_api.services import user_edits

    try:
        user = user_service.get_user(name)
        name = user.username  # as stored: the one found, said back (ｕｎｉｔ is unit)
        was_locked = user_edits.set_password_unlocked(None, user, password,
                                                      must_change=not no_force_change)
    except ServiceError as exc:
        Session.rollback()
        fail(exc.message)
    Session.commit()
    click.echo(f"已修改 {name} 的密码" + ("" if no_force_change else "，下次登录须修改密码")
               + ("，已解除登录锁定" if was_locked else ""), err=True)


@users_cli.command("edit")
@click.argument("name")
@click.option("--role", type=click.Choice(list(ROLES)), default=None)
@click.option("--scope", "scopes", multiple=True,
              help="新的范围（替换原有范围）：窗口编号、单位编号、行业代码或行业名称；可重复")
@click.option("--display-name", default=None)
@_work_unit_options
@with_appcontext
def users_edit(name: str, role: str | None, scopes: tuple[str, ...], display_name: str | None,
               work_unit: str | None, work_unit_other: str | None) -> None:
    """Change user NAME's role, scope, shown name or (an expert's) work unit; it takes effect at
    their next request."""
    from feedback_api.services import user_edits

    try:
        user = user_service.get_user(name)
        name = user.username
        changed = user_edits.update_user(None, user, role=role, scopes=scopes or None,
                                         display_name=display_name)
        changed = _set_work_unit(user, work_unit, work_unit_other) or changed
    except ServiceError as exc:
        Session.rollback()
        fail(exc.message)
    Session.commit()
    scope_text = "、".join(user_service.scope_codes(user)) or "全部"
    click.echo(f"已修改用户 {name}：{ROLES[user.role]}，范围 {scope_text}" if changed
               else f"用户 {name} 没有变化", err=True)


@users_cli.command("list")
@with_appcontext
def users_list() -> None:
    """List users with role and scope."""
    import sqlalchemy as sa

    from feedback_api.models import User

    for user in Session.scalars(sa.select(User).order_by(User.username)):
        scopes = ",".join(user_service.scope_codes(user)) or "-"
        click.echo(f"{user.username}\t{user.role}\t{scopes}\t{'active' if user.active else 'disabled'}")


def _set_active(name: str, active: bool) -> None:
    try:
        user = user_service.get_user(name)
        name = user.username
        unlock = active and user.active and user_service.is_locked(user)
        if active:
            changed = user_service.enable_user(None, user)
        else:
            changed = user_service.disable_user(None, user)
    except ServiceError as exc:
        Session.rollback()
        fail(exc.message)
    Session.commit()
    state = "启用" if active else "停用"
    click.echo(f"已解除用户 {name} 的锁定" if unlock else f"已{state}用户 {name}" if changed
               else f"用户 {name} 本已{state}", err=True)


@users_cli.command("disable")
@click.argument("name")
@with_appcontext
def users_disable(name: str) -> None:
    """Disable user NAME: their sessions end at the next request, their API tokens are revoked."""
    _set_active(name, False)


@users_cli.command("enable")
@click.argument("name")
@with_appcontext
def users_enable(name: str) -> None:
    """Enable user NAME again (they sign in with their password; revoked tokens stay revoked)."""
    _set_active(name, True)


@windows_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def windows_import(file: Path) -> None:
    """Import a ledger (CSV in UTF-8/GB18030, XLSX or XLS); exit 1 if any row was refused."""
    try:
        report = ledger.import_ledger(None, file.read_bytes(), file.name)
    except ServiceError as exc:
        Session.rollback()
        fail(exc.message, 2)
    Session.commit()
    for err in report.errors:
        click.echo(f"第 {err.line} 行 {err.code or '-'}：{err.reason}", err=True)
    click.echo(report.summary(), err=True)
    if report.errors:
        sys.exit(1)


@windows_cli.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="输出文件（.csv 或 .xlsx）；默认 CSV 到标准输出")
@with_appcontext
def windows_export(output: Path | None) -> None:
    """Export the ledger of every window."""
    windows = ledger.all_windows()
    if output is None:
        click.echo(ledger.export_csv(windows), nl=False)
    elif output.suffix.lower() == ".xlsx":
        output.write_bytes(ledger.export_xlsx(windows))
    else:
        output.write_text(ledger.export_csv(windows), encoding="utf-8-sig")
    if output is not None:
        click.echo(f"已导出 {len(windows)} 个窗口到 {output}", err=True)


@windows_cli.command("template")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
def windows_template(output: Path) -> None:
    """Write the ledger import's Excel template (.xlsx) to OUTPUT."""
    output.write_bytes(ledger_template.template_xlsx())
    click.echo(f"已写出导入模板 {output}", err=True)


@citizens_cli.command("forget")
@click.argument("receipt_no")
@with_appcontext
def citizens_forget(receipt_no: str) -> None:
    """Erase the personal data of the citizen holding RECEIPT_NO (受理编号): the text of all
    their feedback, their openid, messages and pictures. Their ratings stay counted, anonymously."""
    from feedback_api.services import privacy

    try:
        counts = privacy.forget_citizen(None, receipt_no)
    except ServiceError as exc:
        Session.rollback()
        fail(exc.message)
    Session.commit()
    click.echo(f"已删除受理编号 {receipt_no} 所属群众的个人信息：{privacy.describe(counts)}；评分仍计入统计",
               err=True)


@citizens_cli.command("apply-retention")
@with_appcontext
def citizens_apply_retention() -> None:
    """Erase personal data past its retention days now (what the scheduler does daily)."""
    from feedback_api.services import privacy

    counts = privacy.apply_retention()
    Session.commit()
    click.echo(f"已按保存期限删除：{privacy.describe(counts)}", err=True)


@click.command("demo")
@click.option("--feedback-per-window", default=120, show_default=True)
@click.option("--force", is_flag=True, help="在生产环境（WW_ENV=production）中也写入演示数据")
@with_appcontext
def demo(feedback_per_window: int, force: bool) -> None:
    """Seed a demo district (safe to run twice) and print the demo sign-ins."""
    from feedback_api.demo import seed_demo

    if current_app.config["WW_ENV"] == "production" and not force:
        # The demo's accounts have published passwords.
        fail("演示数据含公开的演示账号和密码，生产环境中不写入；确需写入请加 --force "
             "（或设置 WW_ENV=development 试用）")

    result = seed_demo(feedback_per_window=feedback_per_window)
    Session.commit()
    click.echo(result.describe())


from feedback_api.backup_cli import backup_command, restore_command  # noqa: E402 (uses fail)
from feedback_api.tokens_cli import tokens_cli  # noqa: E402 (uses fail)

#: The core's commands; the composition root adds its own (``window-watch``'s full list).
COMMANDS: tuple[click.Command, ...] = (db_cli, users_cli, tokens_cli, windows_cli, citizens_cli, demo,
                                       backup_command, restore_command)


def register_cli(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
