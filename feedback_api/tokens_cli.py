"""CLI: ``window-watch tokens create|list|revoke``, the users' API bearer tokens (each command
commits). Registered with the core's groups (``cli.COMMANDS``)."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from feedback_api.cli import fail
from feedback_api.db import Session
from feedback_api.services import users as user_service
from feedback_api.services.errors import ServiceError

tokens_cli = AppGroup("tokens", help="API 访问令牌。")


@tokens_cli.command("create")
@click.argument("name")
@click.option("--label", default="", help="令牌用途说明")
@click.option("--expires-days", type=int, default=None,
              help="有效天数（1–3650）；不填则长期有效，直到撤销")
@with_appcontext
def tokens_create(name: str, label: str, expires_days: int | None) -> None:
    """Create an API token for user NAME and print it, alone, on standard output."""
    try:
        user = user_service.get_user(name)
        raw = user_service.create_token(None, user, label, expires_days=expires_days)
    except ServiceError as exc:
        Session.rollback()
        fail(exc.message)
    Session.commit()
    click.echo(raw)
    if user.must_change_password:
        # The change it waits for revokes the account's tokens, this one included.
        click.echo(f"注意：{user.username} 须先在网页登录并修改密码，在此之前此令牌被拒绝；"
                   "修改密码会撤销其全部令牌（包括此令牌），届时须重新创建", err=True)


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"  # type: ignore[attr-defined]


@tokens_cli.command("list")
@click.option("--user", "username", default=None, help="只列出该用户的令牌")
@with_appcontext
def tokens_list(username: str | None) -> None:
    """List API tokens (tab-separated, times in UTC): never the tokens themselves."""
    try:
        tokens = user_service.list_tokens(username)
    except ServiceError as exc:
        fail(exc.message)
    click.echo("ID\t用户\t名称\t前缀\t创建\t最近使用\t到期\t状态")
    for t in tokens:
        click.echo("\t".join([str(t.id), t.user.username, t.name or "-", t.prefix, _when(t.created_at),
                              _when(t.last_used_at), _when(t.expires_at), user_service.token_state(t)]))


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id: int) -> None:
    """Revoke API token TOKEN_ID (see tokens list): it stops working at the next request."""
    try:
        changed = user_service.revoke_token(None, user_service.get_token(token_id))
    except ServiceError as exc:
        Session.rollback()
        fail(exc.message)
    Session.commit()
    click.echo(f"已撤销令牌 {token_id}" if changed else f"令牌 {token_id} 本已撤销", err=True)
