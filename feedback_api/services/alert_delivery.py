"""E-mail alerts delivered: the queued ``staff_alerts`` (see ``alerts``) sent to their
recipients through the SMTP server of ``WW_SMTP_URL`` with smtplib, each claimed before the
network call, retried, and kept when they fail. Without ``WW_SMTP_URL`` they wait."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa
from flask import current_app

from feedback_api.db import Session, utcnow
from feedback_api.models import StaffAlert, UnitContact, User

MAX_ATTEMPTS = 6
SMTP_TIMEOUT = 20


class SmtpConfigError(ValueError):
    pass


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    ssl: bool
    starttls: bool
    username: str
    password: str
    sender: str


def parse_smtp_url(url: str) -> SmtpSettings:
    """``smtp://user:pass@host:587?starttls=1&from=alerts@example.cn`` or ``smtps://…:465``."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SmtpConfigError("WW_SMTP_URL must look like smtp://user:password@host:port?from=ADDRESS "
                              "(or smtps:// for TLS from the start)")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    username = unquote(parts.username or "")
    sender = query.get("from") or (username if "@" in username else "")
    if "@" not in sender:
        raise SmtpConfigError("WW_SMTP_URL needs the sender address: ?from=alerts@example.cn")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError as exc:
        raise SmtpConfigError(f"WW_SMTP_URL has a bad port: {exc}") from exc
    return SmtpSettings(host=parts.hostname, port=port, ssl=parts.scheme == "smtps",
                        starttls=query.get("starttls", "0").lower() in {"1", "true", "yes"},
                        username=username, password=unquote(parts.password or ""), sender=sender)


def smtp_settings() -> SmtpSettings | None:
    url = current_app.config.get("WW_SMTP_URL") or ""
    return parse_smtp_url(url) if url else None


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.sent} alerts sent, {self.retried} to retry, {self.failed} failed"


def recipients(alert: StaffAlert) -> list[tuple[str, str]]:
    """The alert's unit's contacts, its industry authority's, or its expert's (while active)."""
    if alert.unit_id is not None:
        target = UnitContact.unit_id == alert.unit_id
    elif alert.industry is not None:
        target = UnitContact.industry == alert.industry
    else:
        target = sa.and_(UnitContact.user_id == alert.user_id, sa.exists().where(
            User.id == UnitContact.user_id, User.active.is_(True)))
    return [(name, email) for name, email in Session.execute(
        sa.select(UnitContact.name, UnitContact.email).where(target).order_by(UnitContact.id))]


#: How long an alert whose attempt is counted waits before another run may try it again, should
#: the run that claimed it stop before recording the outcome (killed while the server answered).
CLAIM_LEASE = timedelta(minutes=15)


def _claim(alert_id: int, now: datetime) -> StaffAlert | None:
    """The alert, read afresh, if it is still due (not sent or claimed by another run since)."""
    return Session.scalars(
        sa.select(StaffAlert)
        .where(StaffAlert.id == alert_id, StaffAlert.status == "pending",
               StaffAlert.next_attempt_at <= now)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)).first()


def send_pending(*, limit: int = 100, now: datetime | None = None,
                 after_each: Callable[[], None] | None = None,
                 before_send: Callable[[], None] | None = None) -> SendReport | None:
    """Send due alerts through WW_SMTP_URL; None when it is not set (the alerts wait).

    The caller owns the unit of work. Each alert is claimed first: read afresh, its attempt
    counted and the alert held back for ``CLAIM_LEASE``; then ``before_send`` (a commit) runs,
    so no transaction stays open while the SMTP server answers and no other run sends it
    meanwhile; the outcome (sent, or the next attempt's time) is written afterwards, and
    ``after_each`` (a commit) records it before the next alert. A run stopped between the send
    and the outcome's commit sends that alert again only after the lease."""
    cfg = smtp_settings()
    if cfg is None:
        return None
    now = now or utcnow()
    report = SendReport()
    due = Session.scalars(sa.select(StaffAlert.id).where(StaffAlert.status == "pending",
                                                         StaffAlert.next_attempt_at <= now)
                          .order_by(StaffAlert.id).limit(limit)).all()
    smtp: smtplib.SMTP | None = None
    try:
        for alert_id in due:
            alert = _claim(alert_id, now)
            if alert is None:
                continue
            to = recipients(alert)
            alert.attempts += 1
            alert.next_attempt_at = now + CLAIM_LEASE
            message = _message(cfg, alert, to) if to else None
            Session.flush()
            if message is not None and before_send is not None:
                before_send()
            unreachable = False
            try:
                if message is None:
                    raise LookupError("该单位（主管部门、评审专家）未登记接收提醒的电子邮箱")
                if smtp is None:
                    smtp = _connect(cfg)
                smtp.send_message(message)
            except (smtplib.SMTPException, OSError, LookupError) as exc:
                unreachable = smtp is None and not isinstance(exc, LookupError)
                if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
                    smtp = None  # a dropped connection is made again for the next alert
                alert.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                if alert.attempts >= MAX_ATTEMPTS:
                    alert.status = "failed"
                    report.failed += 1
                else:
                    alert.next_attempt_at = now + timedelta(minutes=5 * 2 ** (alert.attempts - 1))
                    report.retried += 1
                report.errors.append(f"alert {alert_id}: {alert.last_error}")
            else:
                alert.status, alert.sent_at, alert.last_error = "sent", now, ""
                report.sent += 1
            Session.flush()
            if after_each is not None:
                after_each()
            if unreachable:
                break  # no connection to the server: the rest wait for the next run
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
    return report


def _connect(cfg: SmtpSettings) -> smtplib.SMTP:
    smtp: smtplib.SMTP
    if cfg.ssl:
        smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=SMTP_TIMEOUT,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=SMTP_TIMEOUT)
        if cfg.starttls:
            smtp.starttls(context=ssl.create_default_context())
    if cfg.username:
        smtp.login(cfg.username, cfg.password)
    return smtp


def _message(cfg: SmtpSettings, alert: StaffAlert, to: list[tuple[str, str]]) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = alert.subject
    msg["From"] = formataddr(("文明诚信示范窗口监督平台", cfg.sender))
    msg["To"] = ", ".join(formataddr((name, email)) for name, email in to)
    msg["Message-ID"] = make_msgid(domain=cfg.sender.rsplit("@", 1)[1])
    msg.set_content(alert.body + "\n\n（本邮件由系统自动发送，请勿直接回复）")
    return msg
