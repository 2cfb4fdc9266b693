"""Each scheduled job is idempotent: run again at once (as a scheduler killed mid-job and started
again does), it changes nothing more. Every job of the composition root's list runs twice in a
row on a district with complaints, WeChat citizens, due answers and a bound staff member; the
whole database is compared row by row after each run."""

from __future__ import annotations

from datetime import timedelta

from admin_web.app import JOBS
from analytics.scheduler import run_job
from feedback_api.db import Base, utcnow
from feedback_api.models import Citizen, StaffBinding
from feedback_api.services import users
from feedback_api.services.feedback import record_feedback
from feedback_api.services.windows import get_window
from wechat_bot import outbox
from wechat_bot.contacts import get_or_create_citizen

from .servers import queue_due

#: Retraining makes a new model version each time it runs (promoted only if not worse): it is
#: not meant to run twice in a row, and takes minutes. Its own tests cover it.
NOT_REPEATED = {"nlp-retrain-weekly"}


def test_every_job_run_twice_changes_nothing_the_second_time(app, db, district, fake_wechat,
                                                             tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "WW_MODEL_DIR", str(tmp_path / "models"))
    now = utcnow()
    with db() as s:
        window = get_window(None, "CD-SW-001")
        for n, (rating, text) in enumerate([(1, "态度恶劣，还乱收费"), (2, "排队两个小时没人管"),
                                            (5, "服务很好"), (None, "叫号系统老出错，跑了三趟")]):
            citizen = get_or_create_citizen(f"oJobs{n:023d}", now=now - timedelta(hours=2))
            record_feedback(window, citizen=citizen, channel="wechat", rating=rating, text=text,
                            source_msg_id=f"jobs:{n}", received_at=now - timedelta(hours=1))
        staff = get_or_create_citizen("oJobsStaff000000000000000000", now=now)
        s.add(StaffBinding(user_id=users.get_user("unit").id, citizen_id=staff.id, bound_at=now))
        outbox.queue_message(s.get(Citizen, staff.id), "绑定成功", kind="notice")
    queue_due(app, fake_wechat, now - timedelta(minutes=1), answers=2, alerts=1)

    engine = app.extensions["ww_engine"]

    def table_rows(_engine) -> dict[str, list[tuple]]:
        with engine.connect() as conn:
            return {t.name: [tuple(r) for r in conn.execute(
                t.select().order_by(*(t.primary_key.columns or t.columns)))]
                for t in Base.metadata.sorted_tables}

    changed, did_work = {}, []
    for job in [job for job in JOBS if job.id not in NOT_REPEATED]:
        before = table_rows(engine)
        run_job(app, job)  # as the scheduler runs it (its own unit of work)
        once = table_rows(engine)
        run_job(app, job)  # again at once: a restarted scheduler running it again
        twice = table_rows(engine)
        if once != before:
            did_work.append(job.id)
        diff = [name for name in once if once[name] != twice[name]]
        if diff:
            changed[job.id] = diff
    assert changed == {}
    # The first runs did work, so the second runs had something to repeat.
    assert {"nlp-analyze-pending", "wechat-deliver-outbox", "tickets-auto-open"} <= set(did_work)
    sends = [(m["touser"], m.get("content") or repr(m.get("data")))
             for m in fake_wechat.state.custom_sent + fake_wechat.state.template_sent]
    assert sends and len(sends) == len(set(sends))  # nothing sent twice
