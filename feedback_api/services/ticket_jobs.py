"""Scheduled ticket work (each also a `window-watch tickets` command; idempotent; the caller
commits, except that the alert jobs commit what they queue and each alert sent): open tickets
for 差评 and clearly negative opinions, mark what is overdue, e-mail the units."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from feedback_api.db import Session, begin_request_write, utcnow
from feedback_api.models import Feedback, TicketFeedback
from feedback_api.services import alert_delivery, alerts, ticket_clocks, ticket_links, tickets
from feedback_api.services.complaints import complaint

log = logging.getLogger(__name__)

#: Only recent feedback opens tickets automatically: turning the job on over years of history
#: must not flood the units with tickets about long-gone problems.
RECENT = timedelta(days=30)


def candidates(*, limit: int = 500, now: datetime | None = None) -> list[int]:
    """Feedback that should open a ticket and has none: every complaint (``complaints``: a
    counted 差评, an opinion the reviewer judged negative, or an unrated, unreviewed opinion the
    model scored clearly negative, below WW_TICKET_NEGATIVE_BELOW). A rating of 3-5 opens one
    only by the reviewer's verdict, never by the model misreading its words. Opinions wait for
    their analysis (topic, masked text); feedback the agency marked invalid never opens one."""
    now = now or utcnow()
    analysed_or_no_text = sa.or_(Feedback.text.is_(None), Feedback.analyzed_at.is_not(None))
    stmt = (sa.select(Feedback.id)
            .where(Feedback.received_at >= now - RECENT, Feedback.review_state != "invalid",
                   analysed_or_no_text, complaint(tickets.settings().negative_below),
                   Feedback.id.not_in(sa.select(TicketFeedback.feedback_id)))
            .order_by(Feedback.id).limit(limit))
    return list(Session.scalars(stmt))


def auto_open(*, limit: int = 500, now: datetime | None = None) -> str:
    """Each candidate joins a ticket about the same problem (same window and topic,
    WW_TICKET_GROUP_DAYS) waiting for the unit's answer, else opens one."""
    opened = grouped = 0
    _begin_write()  # it reads, then writes: no other job may commit in between (SQLite)
    for feedback_id in candidates(limit=limit, now=now):
        _ticket, joined = ticket_links.open_or_group(feedback_id, now=now)
        grouped += joined
        opened += not joined
    if opened or grouped:
        log.info("opened %d tickets from feedback, attached %d feedback to open ones",
                 opened, grouped)
    return f"{opened} tickets opened" + (f", {grouped} feedback attached to open tickets"
                                         if grouped else "")


def mark_overdue(*, now: datetime | None = None) -> str:
    return ticket_clocks.mark_overdue(now=now).summary()


def send_alerts(*, now: datetime | None = None) -> str:
    """Queue e-mail alerts for new 差评 and tickets, then send what is due (one commit each)."""
    _begin_write()
    queued = alerts.queue_new(now=now)
    Session.commit()  # queued alerts survive a failure while sending
    report = _send(now)
    sent = "not sent: WW_SMTP_URL is not set" if report is None else report.summary()
    return f"{queued} alerts queued; {sent}"


def send_digest(*, now: datetime | None = None) -> str:
    """Queue today's digest of each unit's tickets due, then send what is due."""
    _begin_write()
    queued = alerts.queue_digest(now=now)
    Session.commit()
    report = _send(now)
    sent = "not sent: WW_SMTP_URL is not set" if report is None else report.summary()
    return f"{queued} digests queued; {sent}"


def _begin_write() -> None:
    """Take SQLite's write lock first (``begin_request_write``) unless the caller already began
    the transaction."""
    if not Session().in_transaction():
        begin_request_write()


def _send(now: datetime | None) -> alert_delivery.SendReport | None:
    """Send what is due, holding no transaction while the SMTP server answers: each alert is
    claimed under SQLite's write lock (taken first) and committed before it is sent, and its
    outcome committed in a transaction of its own (as ``wechat_bot.jobs.deliver_outbox``)."""
    def next_alert() -> None:
        Session.commit()
        begin_request_write()

    _begin_write()
    report = alert_delivery.send_pending(now=now, after_each=next_alert, before_send=Session.commit)
    Session.commit()
    return report
