"""Scheduled WeChat work: deliver the outbox, save image evidence (the composition root adds
these to the scheduler)."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from feedback_api.db import Session, begin_request_write
from wechat_bot import outbox
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
    def next_message() -> None:
        Session.commit()
        begin_request_write()

    # Each message: its reads and its counted attempt under SQLite's write lock (taken first,
    # so no other commit can invalidate what was read), committed before WeChat is called; the
    # outcome is then written in a transaction of its own. Nothing is held while WeChat answers.
    begin_request_write()
    report = outbox.deliver_pending(sender, limit=limit, after_each=next_message,
                                    before_send=Session.commit)
    if report.retried or report.failed:
        log.warning("outbox: %s", report.summary())
    return report.summary()


def fetch_evidence(limit: int = 50) -> str:
    """Download the images citizens sent while WeChat keeps them (3 days); one commit each."""
    import requests
    from wechatpy.exceptions import WeChatClientException

    from feedback_api.services import evidence
    from wechat_bot.client import ConfigurationError, describe, get_client

    try:
        client = get_client()
    except ConfigurationError as exc:
        log.debug("evidence not fetched: %s", exc)
        return "not configured"
    saved = failed = 0
    for item in evidence.pending(limit):
        try:
            item_id, feedback_id = item.id, item.feedback_id
        except sa.orm.exc.ObjectDeletedError:  # deleted since the list was read
            continue
        path = None
        try:
            try:
                res = client.media.download(item.media_id)
                if not isinstance(res, requests.Response):  # a JSON answer, not an error
                    raise evidence.NotAnImage(f"unexpected answer: {str(res)[:200]}")
                path = evidence.store(item, res.content, res.headers.get("Content-Type", ""))
            except (WeChatClientException, requests.RequestException, evidence.NotAnImage) as exc:
                evidence.note_failure(item, describe(exc)
                                      if not isinstance(exc, evidence.NotAnImage) else str(exc))
                log.warning("evidence %s of feedback %s not saved: %s", item_id, feedback_id,
                            item.fetch_error)
            Session.commit()
        except sa.exc.SQLAlchemyError as exc:
            # E.g. the feedback was deleted meanwhile: keep no file that no row names.
            Session.rollback()
            if path is not None:
                path.unlink(missing_ok=True)
                path = None
            log.warning("evidence %s of feedback %s not recorded: %s", item_id, feedback_id,
                        str(exc).splitlines()[0][:300])
        if path is not None:
            saved += 1
        else:
            failed += 1
    return f"{saved} saved, {failed} failed"


def purge_inbound_log() -> str:
    """Delete inbound-message log rows older than WW_WECHAT_LOG_DAYS (with them the plain-mode
    signed queries they remember, long past their timestamps: ``replay``)."""
    from datetime import timedelta

    from feedback_api.db import utcnow
    from wechat_bot import inbound

    days = settings().log_days
    deleted = inbound.purge(utcnow() - timedelta(days=days))
    return f"{deleted} inbound log rows older than {days} days deleted"
