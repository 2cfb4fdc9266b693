"""Scheduled WeChat work: deliver the outbox (the composition root adds it to the scheduler)."""

from __future__ import annotations

import logging

from feedback_api.db import Session
from feedback_api.services import outbox
from wechat_bot.config import settings

log = logging.getLogger(__name__)


def deliver_outbox(limit: int = 200) -> str:
    """Send due messages; without WeChat credentials there is nothing to send through."""
    from wechat_bot.client import ConfigurationError, WechatSender, get_client

    try:
        sender = WechatSender(get_client(), settings())
    except ConfigurationError as exc:
        log.debug("outbox not delivered: %s", exc)
        return "not configured"
    report = outbox.deliver_pending(sender, limit=limit, after_each=Session.commit)
    if report.retried or report.failed:
        log.warning("outbox: %s", report.summary())
    return report.summary()
