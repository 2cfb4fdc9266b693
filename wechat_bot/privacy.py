"""The WeChat side of retention and erasure (see feedback_api.services.privacy).

Small functions over the WeChat models only (citizen_contacts, wechat_conversations,
wechat_inbound_messages, wechat_outbox, feedback_evidence), kept in this one module so they move
with those models; the composition root registers ``HOOKS`` in ``app.extensions["ww_privacy"]``.
Services flush; the job or the CLI command commits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from feedback_api.db import Session, utcnow
from feedback_api.models import FeedbackEvidence
from feedback_api.services import evidence
from feedback_api.services.privacy import REASON_RETENTION, Counts, PrivacyHooks
from wechat_bot.models import CitizenContact, OutboundMessage, WechatConversation, WechatInboundMessage

log = logging.getLogger(__name__)


def _delete(model: type, column: sa.ColumnElement[int], ids: list[int]) -> int:
    result = Session.execute(sa.delete(model).where(column.in_(ids))
                             .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def erase_contacts(citizen_ids: list[int]) -> Counts:
    """Retention: forget the openids (and conversations) of citizens inactive too long. Messages
    still waiting for them cannot be sent any more: they are given up, with the reason."""
    if not citizen_ids:
        return {"openids": 0}
    Session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.citizen_id.in_(citizen_ids), OutboundMessage.status == "pending")
        .values(status="failed", last_error=f"openid {REASON_RETENTION}")
        .execution_options(synchronize_session=False))
    _delete(WechatConversation, WechatConversation.citizen_id, citizen_ids)
    return {"openids": _delete(CitizenContact, CitizenContact.citizen_id, citizen_ids)}


def forget_citizens(citizen_ids: list[int]) -> Counts:
    """Erasure on request: the openid, the conversation, the inbound log and every message to
    the citizen (the texts were written to them)."""
    if not citizen_ids:
        return {"openids": 0}
    _delete(OutboundMessage, OutboundMessage.citizen_id, citizen_ids)
    _delete(WechatInboundMessage, WechatInboundMessage.citizen_id, citizen_ids)
    _delete(WechatConversation, WechatConversation.citizen_id, citizen_ids)
    return {"openids": _delete(CitizenContact, CitizenContact.citizen_id, citizen_ids)}


def _erase_pictures(rows: list[FeedbackEvidence], reason: str) -> int:
    """Delete the saved files and WeChat's references; the rows stay (a picture was sent)."""
    for ev in rows:
        if ev.stored_name:
            try:
                (evidence.folder() / ev.stored_name).unlink(missing_ok=True)
            except OSError as exc:  # the row still loses its name: nothing will serve the file
                log.warning("evidence %s: file not deleted: %s", ev.id, exc)
        ev.stored_name = None
        ev.media_id = ""
        ev.pic_url = ""
        ev.size_bytes = 0
        ev.fetch_error = reason
    Session.flush()
    return len(rows)


def _holding_data() -> sa.ColumnElement[bool]:
    return sa.or_(FeedbackEvidence.stored_name.is_not(None), FeedbackEvidence.media_id != "",
                  FeedbackEvidence.pic_url != "")


def erase_feedback(feedback_ids: list[int], reason: str) -> Counts:
    rows = list(Session.scalars(sa.select(FeedbackEvidence).where(
        FeedbackEvidence.feedback_id.in_(feedback_ids), _holding_data())))
    return {"evidence_images": _erase_pictures(rows, reason)}


def apply_retention(now: datetime | None = None) -> Counts:
    """Pictures received more than WW_RETAIN_EVIDENCE_DAYS ago (0 keeps them)."""
    days = int(current_app.config.get("WW_RETAIN_EVIDENCE_DAYS", 0))
    if not days:
        return {"evidence_images": 0}
    before = (now or utcnow()) - timedelta(days=days)
    rows = list(Session.scalars(sa.select(FeedbackEvidence).where(
        FeedbackEvidence.received_at < before, _holding_data())))
    return {"evidence_images": _erase_pictures(rows, REASON_RETENTION)}


HOOKS = PrivacyHooks(erase_contacts=erase_contacts, forget_citizens=forget_citizens,
                     erase_feedback=erase_feedback, apply_retention=apply_retention,
                     kinds=("openids", "evidence_images"))
