"""On SQLite the scheduler's jobs run side by side (the heartbeat, the analysis and the ticket
jobs all fire at the same second). A job that reads and then writes must hold the write lock
from its start: another job committing in between used to make SQLite refuse its write at once
("database is locked"), run after run, so opinions stayed unanalysed and no tickets opened."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from analytics import jobs, scheduler
from feedback_api.db import Session, utcnow
from feedback_api.models import Feedback, Heartbeat, TicketFeedback
from feedback_api.services import ticket_jobs
from tests.assessment_helpers import add_feedback
from tests.sqlite_lock import writer_after_first_read


@pytest.mark.parametrize("job_id", ["nlp-analyze-pending", "tickets-auto-open",
                                    "scheduler-heartbeat"])
def test_a_job_holds_the_write_lock_before_it_reads(app, db, district, job_id):
    now = utcnow()
    with db():
        add_feedback("CD-SW-001", [1], at=now, text="态度很差，排队一小时")
    func = {"nlp-analyze-pending": jobs.analyze_pending, "tickets-auto-open": ticket_jobs.auto_open,
            "scheduler-heartbeat": scheduler.HEARTBEAT.func}
    if job_id == "tickets-auto-open":
        with app.app_context():
            jobs.analyze_pending()
            Session.commit()
    with writer_after_first_read(app, "UPDATE units SET name = name") as seen:
        result = scheduler.run_job(app, scheduler.Job(job_id, func[job_id], None, ""))
    assert result or job_id == "scheduler-heartbeat", result  # not a failed run
    assert seen == ["read", "other waited"]
    with db() as s:
        if job_id == "scheduler-heartbeat":
            assert s.scalar(sa.select(sa.func.count()).select_from(Heartbeat)) == 1
        elif job_id == "nlp-analyze-pending":
            assert s.scalar(sa.select(Feedback.analyzed_at)) is not None
        else:
            assert s.scalar(sa.select(sa.func.count()).select_from(TicketFeedback)) == 1

