"""CLI: ``wechat deliver|fetch-evidence|purge-log|requeue-failed``, ``qrcodes issue|posters`` and ``simulate``
(each command commits)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from feedback_api.cli import fail
from feedback_api.db import Session
from feedback_api.models import Window
from feedback_api.services.errors import ServiceError
from wechat_bot import outbox, qrcodes
from wechat_bot.config import settings

wechat_cli = AppGroup("wechat", help="微信公众号：消息投递。")
qrcodes_cli = AppGroup("qrcodes", help="窗口评价二维码与海报。")


@wechat_cli.command("deliver")
@click.option("--limit", default=100, show_default=True, help="本次最多投递的消息数")
@with_appcontext
def deliver(limit: int) -> None:
    """Send queued messages to citizens (customer-service or template); exit 1 if any failed."""
    from wechat_bot.client import ConfigurationError, WechatSender, get_client

    try:
        sender = WechatSender(get_client(), settings())
    except ConfigurationError as exc:
        fail(str(exc))
    report = outbox.deliver_pending(sender, limit=limit, after_each=Session.commit)
    Session.commit()
    for line in report.errors:
        click.echo(line, err=True)
    click.echo(report.summary(), err=True)
    if report.retried or report.failed:
        sys.exit(1)


@wechat_cli.command("fetch-evidence")
@click.option("--limit", default=50, show_default=True, help="本次最多保存的图片数")
@with_appcontext
def fetch_evidence_command(limit: int) -> None:
    """Save the images citizens sent (WeChat keeps them 3 days); exit 1 if any failed."""
    from wechat_bot.jobs import fetch_evidence

    result = fetch_evidence(limit)
    if result == "not configured":
        fail("未配置 WW_WECHAT_APPID / WW_WECHAT_SECRET，无法下载图片")
    click.echo(result, err=True)
    if not result.endswith(" 0 failed"):
        sys.exit(1)


@wechat_cli.command("purge-log")
@with_appcontext
def purge_log() -> None:
    """Delete the inbound-message log older than WW_WECHAT_LOG_DAYS (the scheduler does it daily)."""
    from wechat_bot.jobs import purge_inbound_log

    result = purge_inbound_log()
    Session.commit()
    click.echo(result, err=True)


@wechat_cli.command("requeue-failed")
@with_appcontext
def requeue_failed() -> None:
    """Queue again the messages that were given up (after fixing the cause)."""
    count = outbox.requeue_failed()
    Session.commit()
    click.echo(f"已重新排队 {count} 条消息", err=True)


@qrcodes_cli.command("issue")
@with_appcontext
def issue() -> None:
    """Issue a permanent WeChat QR code for every listed window that has none yet."""
    from wechat_bot.client import ConfigurationError, describe, get_client, issue_qr

    try:
        client = get_client()
    except ConfigurationError as exc:
        fail(str(exc))
    missing = qrcodes.windows_missing_qr()
    issued = failed = 0
    for window in missing:
        try:
            ticket, url = issue_qr(client, window.code)
        except Exception as exc:  # report and go on: a re-run issues only what is missing
            failed += 1
            click.echo(f"{window.code}：生成失败（{describe(exc)}）", err=True)
            continue
        qrcodes.save_qr(window, ticket=ticket, url=url)
        Session.commit()  # one window at a time: what was issued stays issued
        issued += 1
    click.echo(f"新生成 {issued} 个二维码，失败 {failed} 个，"
               f"已有 {len(qrcodes.windows_for_posters()) - len(missing)} 个", err=True)
    if failed:
        sys.exit(1)


@qrcodes_cli.command("posters")
@click.option("--unit", "unit_code", default=None,
              help="只生成该单位（单位编号）的海报，合并为一个 PDF")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("posters"), show_default=True)
@with_appcontext
def posters(unit_code: str | None, out_dir: Path) -> None:
    """Write a printable A4 PDF poster per window (or one PDF for a unit)."""
    from wechat_bot.posters import render_posters

    cfg = settings()
    try:
        windows = qrcodes.windows_for_posters(unit_code)
    except ServiceError as exc:
        fail(exc.message)
    if not windows:
        fail("没有可生成海报的窗口")

    def qr_for(window: Window) -> tuple[str, bool]:
        qr = qrcodes.qr_for(window) if cfg.can_call_api else None
        if qr is not None:
            return qr.url, True
        return f"{cfg.public_base_url}/f/{window.code}", False

    out_dir.mkdir(parents=True, exist_ok=True)
    if unit_code:
        path = out_dir / f"{unit_code}.pdf"
        title = f"{windows[0].unit.name} 评价二维码"
        path.write_bytes(render_posters(windows, qr_for, title=title))
        click.echo(f"已生成 {path}（{len(windows)} 页）", err=True)
        return
    for window in windows:
        (out_dir / f"{window.code}.pdf").write_bytes(
            render_posters([window], qr_for, title=f"{window.name} 评价二维码"))
    click.echo(f"已在 {out_dir} 生成 {len(windows)} 张海报", err=True)


@click.command("simulate")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True,
              help="运行中的 window-watch 地址")
@click.option("--window", "window_code", required=True, help="要评价的窗口编号")
@click.option("--openid", default="o-simulated-citizen", show_default=True)
@click.option("--rating", default=5, show_default=True, type=click.IntRange(1, 5))
@click.option("--opinion", default="工作人员很耐心，办事效率高。", show_default=True)
def simulate(url: str, window_code: str, openid: str, rating: int, opinion: str) -> None:
    """Play a citizen against a running server, signed like WeChat; print the replies.

    Reads WW_WECHAT_TOKEN, and WW_WECHAT_AES_KEY / WW_WECHAT_APPID for safe mode.
    """
    import os

    import requests

    from wechat_bot.simulator import WechatPeer

    token = os.environ.get("WW_WECHAT_TOKEN", "")
    if not token:
        fail("请设置 WW_WECHAT_TOKEN（与服务器相同）")
    peer = WechatPeer(token=token, aes_key=os.environ.get("WW_WECHAT_AES_KEY", ""),
                      appid=os.environ.get("WW_WECHAT_APPID", ""),
                      account=os.environ.get("WW_WECHAT_ACCOUNT") or "gh_windowwatch")
    endpoint = url.rstrip("/") + "/wechat"
    steps = [
        (f"扫码（关注）窗口 {window_code}", peer.subscribe(openid, window_code)),
        (f"评分 {rating}", peer.text(openid, str(rating))),
        ("留言", peer.text(openid, opinion)),
        ("查询", peer.text(openid, "查询")),
    ]
    ok = True
    for label, xml in steps:
        req = peer.sign(xml, openid=openid)
        try:
            resp = requests.post(endpoint, params=req.query, data=req.body, timeout=10,
                                 headers={"Content-Type": "text/xml"})
        except requests.RequestException as exc:
            fail(f"无法连接 {endpoint}：{exc}")
        click.echo(f"> {label}")
        if resp.status_code != 200:
            ok = False
            click.echo(f"< HTTP {resp.status_code}")
            continue
        reply = peer.read_reply(resp.content)
        content = reply.get("Content", "") if reply else "(success)"
        click.echo("< " + content.replace("\n", "\n  "))
        click.echo("")
    if not ok:
        sys.exit(1)
