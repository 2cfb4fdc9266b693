"""The e-mail alert job holds no transaction while the SMTP server answers: each alert's attempt
is claimed and committed before the send (so a second run, or a run after a crash, does not send
it again before the claim's lease), and the outcome is written in a transaction of its own. A
real SMTP server on loopback (aiosmtpd) looks at the database from its own connection while it
receives the message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import StaffAlert
from feedback_api.services import alert_delivery, alerts, ticket_jobs
from tests.feedback_api.test_alerts import bad_review, setup_unit
from tests.mail import Inbox


class ProbingInbox(Inbox):
    """Receives like ``Inbox``; meanwhile reads the alert and takes the database's write lock
    (SQLite) or the alert row's lock (PostgreSQL) from another connection, waiting at most
    200 ms: it would fail if the job held its transaction across the send."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__()
        self.engine = engine
        self.seen: list[tuple[int, str, datetime]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        # ww_write_wait_ms: SQLite begins with BEGIN IMMEDIATE waiting that long (feedback_api.db).
        with self.engine.connect().execution_options(ww_write_wait_ms=200) as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            row = conn.execute(sa.select(StaffAlert.attempts, StaffAlert.status,
                                         StaffAlert.next_attempt_at)
                               .with_for_update(nowait=True)).one()
            self.seen.append((row.attempts, row.status, row.next_attempt_at))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def probing_smtp(app, smtp_server) -> ProbingInbox:
    return smtp_server(ProbingInbox(app.extensions["ww_engine"]))


def test_the_attempt_is_committed_before_the_send_and_nothing_is_held_meanwhile(
        app, district, db, probing_smtp):
    setup_unit(db)
    bad_review(db)
    before = utcnow()
    with db():
        assert ticket_jobs.send_alerts().startswith("1 alerts queued; 1 alerts sent")
    # While the server received it, another connection could write, and saw the attempt
    # counted and the alert held back for the claim's lease: no other run could send it.
    [(attempts, status, next_attempt_at)] = probing_smtp.seen
    assert (attempts, status) == (1, "pending")
    assert next_attempt_at >= before + alert_delivery.CLAIM_LEASE - timedelta(seconds=1)
    with db():
        [alert] = Session.scalars(sa.select(StaffAlert)).all()
        assert (alert.status, alert.attempts, alert.last_error) == ("sent", 1, "")
    assert len(probing_smtp.messages) == 1


class Stopped(Exception):
    """The run stops between claiming an alert and sending it (the scheduler killed)."""


def test_a_run_stopped_after_its_claim_is_not_repeated_before_the_lease(app, district, db, smtp):
    setup_unit(db)
    bad_review(db)
    with db():
        alerts.queue_new()
    now = datetime.now(UTC)

    def stop() -> None:
        Session.commit()
        raise Stopped

    with app.app_context(), pytest.raises(Stopped):
        alert_delivery.send_pending(now=now, before_send=stop)
    with db():
        # Runs within the lease leave it alone; the first one after it sends it, once.
        assert alert_delivery.send_pending(now=now + timedelta(minutes=5)).sent == 0
        assert smtp.messages == []
        report = alert_delivery.send_pending(now=now + alert_delivery.CLAIM_LEASE + timedelta(seconds=1))
        assert (report.sent, report.retried) == (1, 0)
        assert alert_delivery.send_pending(now=now + timedelta(hours=3)).sent == 0
        [alert] = Session.scalars(sa.select(StaffAlert)).all()
        assert (alert.status, alert.attempts) == ("sent", 2)
    assert len(smtp.messages) == 1
