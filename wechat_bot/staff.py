"""Staff in WeChat: binding a staff user's own WeChat account by scanning a temporary QR code
(scene ``bind-<code>``), and their alerts (each 差评, new ticket and ticket sent back of their unit, and the
programme's deadline reminders to a unit's or an industry authority's staff, or to an expert)
as template messages through the outbox (queued with the alert, retried, kept when they fail;
withdrawn with it while undelivered)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from wechatpy.exceptions import WeChatClientException

from feedback_api.db import Session, utcnow
from feedback_api.models import Citizen, StaffAlert
from feedback_api.services import alert_channels, alerts, staff_bindings
from wechat_bot import outbox
from wechat_bot.client import ConfigurationError, describe, get_client
from wechat_bot.dispatch import Context
from wechat_bot.models import CitizenContact, OutboundMessage

log = logging.getLogger(__name__)

#: The alerts that go to staff in WeChat (the daily digest stays in e-mail).
WECHAT_ALERT_KINDS = {"bad_review": "差评提醒", "new_ticket": "新督办单", "cycle_reminder": "截止提醒"}

BOUND = ("绑定成功！{name}，您的微信已与监督平台账号绑定，今后将通过本公众号接收本单位的"
         "差评提醒、新督办单提醒和创建年度材料截止提醒。如需解绑，请登录平台，在“个人设置”页操作。")
BOUND_AUTHORITY = ("绑定成功！{name}，您的微信已与监督平台账号绑定，今后将通过本公众号接收本行业"
                   "创建年度报送材料的截止提醒。如需解绑，请登录平台，在“个人设置”页操作。")
BOUND_EXPERT = ("绑定成功！{name}，您的微信已与监督平台账号绑定，今后将通过本公众号接收评审"
                "评分的截止提醒。如需解绑，请登录平台，在“个人设置”页操作。")
BIND_FAILED = ("绑定二维码已失效或已使用。请登录平台，在“个人设置”页重新生成绑定二维码后再扫码。")


def bind_code(event_key: str) -> str | None:
    """The binding code of a scan (``bind-…``) or subscribe (``qrscene_bind-…``) event key."""
    key = event_key.removeprefix("qrscene_")
    if key.startswith(staff_bindings.SCENE_PREFIX) and len(key) > len(staff_bindings.SCENE_PREFIX):
        return key[len(staff_bindings.SCENE_PREFIX):]
    return None


def on_bind_scan(ctx: Context, code: str) -> str:
    """The webhook's answer to a scanned binding code: bound, or a polite refusal."""
    assert ctx.citizen_id is not None
    bound = staff_bindings.bind(code, ctx.citizen_id, now=ctx.now)
    if bound is None:
        return BIND_FAILED
    message = {"authority": BOUND_AUTHORITY, "expert": BOUND_EXPERT}.get(bound.role, BOUND)
    return message.format(name=bound.display_name)


@dataclass(frozen=True)
class BindQr:
    scene: str
    #: The QR code's content from WeChat's API; None when it could not be issued.
    url: str | None
    expire_seconds: int
    #: Why there is no QR code (WeChat not configured, or its API failed).
    error: str = ""


def issue_bind_qr(code: str) -> BindQr:
    """A temporary string-scene QR code (QR_STR_SCENE) for ``code``, as long as the code lasts."""
    scene = staff_bindings.SCENE_PREFIX + code
    seconds = int(staff_bindings.CODE_TTL.total_seconds())
    try:
        client = get_client()
        res = client.qrcode.create({"expire_seconds": seconds, "action_name": "QR_STR_SCENE",
                                    "action_info": {"scene": {"scene_str": scene}}})
    except ConfigurationError:
        return BindQr(scene, None, seconds, "未配置微信公众号接口（WW_WECHAT_APPID / WW_WECHAT_SECRET）")
    except (WeChatClientException, OSError) as exc:
        log.warning("wechat: binding QR code not issued: %s", describe(exc))
        return BindQr(scene, None, seconds, "微信接口暂时不可用，请稍后再试")
    return BindQr(scene, str(res["url"]), seconds)


def _link(alert: StaffAlert) -> str | None:
    base = (current_app.config.get("WW_PUBLIC_BASE_URL") or "").rstrip("/")
    kind, _, rest = alert.dedup_key.partition(":")
    ident = rest.partition(":")[0]  # ``ticket:7:round:2``, ``ticket:7:back:2``: ticket 7
    path = {"bad": f"/feedback/{ident}", "ticket": f"/tickets/{ident}"}.get(kind)
    if path is None and "\n详情：" in alert.body:  # the alert's own link (programme reminders)
        return alert.body.rsplit("\n详情：", 1)[1].strip() or None
    return f"{base}{path}" if base and path else None


def _queue_alert(alert: StaffAlert) -> int:
    """Queue the alert to each bound staff member of its unit (or industry authority), or to its
    bound expert, who can be written to."""
    title = WECHAT_ALERT_KINDS.get(alert.kind)
    if title is None:
        return 0
    if ":back:" in alert.dedup_key:  # a new round of a ticket the unit answered (alerts.sent_back_alert)
        title = "督办单退回重办"
    queued = 0
    if alert.unit_id is not None:
        staff = staff_bindings.staff_citizens_of_unit(alert.unit_id, alerts.window_of(alert))
    elif alert.industry is not None:
        staff = staff_bindings.staff_citizens_of_industry(alert.industry)
    else:
        staff = staff_bindings.bound_citizen_of_expert(alert.user_id or 0)
    for citizen_id in staff:
        citizen = Session.get(Citizen, citizen_id)
        if citizen is None or Session.get(CitizenContact, citizen_id) is None:
            continue
        body = alert.body.split("\n详情：", 1)[0]
        outbox.queue_message(citizen, body, kind="alert", url=_link(alert), template_data={
            "first": {"value": alert.subject},
            "keyword1": {"value": title},
            "keyword2": {"value": body[:180]},
            "remark": {"value": "请登录文明诚信示范窗口监督平台及时处理。"},
        }, now=alert.created_at)
        queued += 1
    return queued


def _withdraw_alert(alert: StaffAlert) -> int:
    """Drop the alert's template messages not delivered yet (its e-mail alert was withdrawn and
    keeps the record and the reason): found by the text :func:`_queue_alert` wrote."""
    text = alert.body.split("\n详情：", 1)[0]
    # One statement, and only messages no delivery run may be sending (never tried, or waiting
    # for a retry): a message being sent would be lost from under the run recording it.
    gone = Session.execute(sa.delete(OutboundMessage).where(
        OutboundMessage.kind == "alert", OutboundMessage.status == "pending",
        OutboundMessage.text == text,
        sa.or_(OutboundMessage.attempts == 0, OutboundMessage.next_attempt_at > utcnow()))
        .execution_options(synchronize_session="fetch"))
    return int(gone.rowcount or 0)


def connect() -> None:
    """Make WeChat a channel of staff alerts (idempotent; the composition root calls it)."""
    alert_channels.queued.connect(_queue_alert)
    alert_channels.withdrawn.connect(_withdraw_alert)
