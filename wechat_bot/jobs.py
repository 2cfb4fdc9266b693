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
    """Download the images citizens sent while WeChat keeps them (3 days). No transaction is
    held while WeChat answers: each image's attempt is counted under SQLite's write lock (taken
    first) and committed before the download; the outcome (the file and its row, or the error)
    is committed in a transaction of its own."""
    import requests
    from wechatpy.exceptions import WeChatClientException

    from feedback_api.services import evidence
    from wechat_bot.client import ConfigurationError, describe, get_client

    try:
        client = get_client()
    except ConfigurationError as exc:
        log.debug("evidence not fetched: %s", exc)
        return "not configured"
    ids = evidence.pending_ids(limit)
    Session.commit()  # the list is read; nothing stays open
    saved = failed = 0
    for evidence_id in ids:
        begin_request_write()
        claim = evidence.claim(evidence_id)
        Session.commit()
        if claim is None:  # saved, deleted or given up meanwhile
            continue
        content, content_type, error = b"", "", ""
        try:
            res = client.media.download(claim.media_id)
            if not isinstance(res, requests.Response):  # a JSON answer, not an error
                raise evidence.NotAnImage(f"unexpected answer: {str(res)[:200]}")
            content, content_type = res.content, res.headers.get("Content-Type", "")
        except (WeChatClientException, requests.RequestException, evidence.NotAnImage) as exc:
            error = describe(exc) if not isinstance(exc, evidence.NotAnImage) else str(exc)
        path = None
        try:
            begin_request_write()
            if not error:
                try:
                    path = evidence.save_claimed(claim, content, content_type)
                except evidence.NotAnImage as exc:
                    error = str(exc)
                else:
                    if path is None:  # deleted (or saved by another run) while downloading
                        log.info("evidence %s of feedback %s gone meanwhile: not saved",
                                 claim.evidence_id, claim.feedback_id)
                        failed += 1
            if error:
                evidence.claim_failed(claim, error)
                log.warning("evidence %s of feedback %s not saved: %s", claim.evidence_id,
                            claim.feedback_id, error[:300])
            Session.commit()
        except sa.exc.SQLAlchemyError as exc:
            # E.g. the feedback was deleted meanwhile: keep no file that no row names.
            Session.rollback()
            if path is not None:
                path.unlink(missing_ok=True)
                path = None
            error = error or "not recorded"
            log.warning("evidence %s of feedback %s not recorded: %s", claim.evidence_id,
                        claim.feedback_id, str(exc).splitlines()[0][:300])
        if path is not None:
            saved += 1
        elif error:
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
