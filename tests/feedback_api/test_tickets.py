"""Supervision tickets: the loop from a 差评 to the citizen's re-rating invitation, rounds,
working-day clocks and overdue marks, scope, the repeated-push query and the jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import AuditLog, EvidenceFile, Feedback, Ticket, TicketRound, Window
from feedback_api.services import (
    answers,
    evidence_files,
    ticket_clocks,
    ticket_jobs,
    ticket_links,
    ticket_loop,
    ticket_open,
    tickets,
    users,
)
from feedback_api.services import files as file_store
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from feedback_api.services.feedback import record_feedback
from wechat_bot.contacts import get_or_create_citizen
from wechat_bot.models import OutboundMessage

SH = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%fake but well-started\n"


def local(y, m, d, h=10, minute=0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=SH).astimezone(UTC)


def make_feedback(db, code="CD-SW-001", *, rating=1, text=None, openid="oTickets0000000000000001",
                  received_at=None) -> int:
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
        citizen = get_or_create_citizen(openid)
        return record_feedback(window, citizen=citizen, channel="wechat", rating=rating, text=text,
                               received_at=received_at).feedback.id


def test_the_loop_from_a_bad_review_to_the_rerating_invitation(app, district, db):
    fid = make_feedback(db)
    with db():
        assert ticket_jobs.auto_open() == "1 tickets opened"
        assert ticket_jobs.auto_open() == "0 tickets opened"  # idempotent
        ticket = tickets.ticket_of_feedback(fid)
        assert ticket is not None and ticket.source == "feedback" and ticket.state == "open"
        assert ticket.number.startswith("DB") and ticket.callback_due is not None
        assert "非常不满意" in ticket.problem
        tid = ticket.id
    unit, agency = users.get_user, users.get_user
    with db():
        rnd = ticket_loop.respond(unit("unit"), tid, "已批评教育当事人",
                                  [evidence_files.Upload("整改照片.png", PNG)])
        assert rnd.number == 1 and rnd.responded_by_id == unit("unit").id
    with db():
        with pytest.raises(ValidationError, match="退回理由"):
            ticket_loop.send_back(agency("agency"), tid, "  ")
        nxt = ticket_loop.send_back(agency("agency"), tid, "未说明如何避免再次发生")
        assert nxt.number == 2
    with db():
        with pytest.raises(Conflict):
            ticket_loop.verify(agency("agency"), tid)  # round 2 not responded yet
        ticket_loop.respond(unit("unit"), tid, "已调整排班并开展服务礼仪培训",
                            [evidence_files.Upload("培训签到表.pdf", PDF)])
    with db():
        done = ticket_loop.verify(agency("agency"), tid, "整改到位")
        assert done.answered == [fid] and done.rerating_requested == [fid]
    with db():
        ticket = Session.get(Ticket, tid)
        assert ticket.state == "closed" and ticket.closed_by_id == agency("agency").id
        assert [(r.number, r.verdict) for r in ticket.rounds] == [(1, "sent_back"), (2, "verified")]
        # The second response went to the citizen as the unit's answer, then the invitation.
        [answer] = answers.answers_of(fid)
        assert answer.text == "已调整排班并开展服务礼仪培训"
        assert answer.author_id == unit("unit").id  # the unit's answer, not the agency's
        kinds = [m.kind for m in answers.messages_of(fid)]
        assert kinds == ["answer", "rerate"]
        files = Session.scalars(sa.select(EvidenceFile).order_by(EvidenceFile.id)).all()
        assert [(f.content_type, f.original_name) for f in files] == [
            ("image/png", "整改照片.png"), ("application/pdf", "培训签到表.pdf")]
        row, stored = evidence_files.get_for(unit("unit"), files[0].id)
        assert file_store.read(stored.checksum) == PNG and row.sha256 == stored.checksum
        assert row.size_bytes == len(PNG) and stored.content_type == "image/png"
        actions = Session.scalars(sa.select(AuditLog.action).where(AuditLog.entity_type == "ticket")
                                  .order_by(AuditLog.id)).all()
        assert actions == ["open_ticket", "respond", "send_back", "respond", "verify"]
        with pytest.raises(Conflict):
            ticket_loop.verify(agency("agency"), tid)


def test_evidence_must_be_an_image_or_pdf_by_content_and_small(app, district, db):
    fid = make_feedback(db)
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid).id
    with db():
        with pytest.raises(ValidationError, match="不是图片"):
            ticket_loop.respond(users.get_user("unit"), tid, "见附件",
                                [evidence_files.Upload("photo.png", b"<html>not an image</html>")])
        app.config["WW_EVIDENCE_MAX_MB"] = 1
        try:
            with pytest.raises(ValidationError, match="超过 1 MB"):
                ticket_loop.respond(users.get_user("unit"), tid, "见附件",
                                    [evidence_files.Upload("big.pdf", PDF + b"0" * (1024 * 1024))])
        finally:
            app.config["WW_EVIDENCE_MAX_MB"] = 10
    with db():
        assert Session.get(Ticket, tid).state == "open"
        assert Session.scalar(sa.select(sa.func.count()).select_from(EvidenceFile)) == 0


def test_a_unit_never_sees_another_units_tickets(app, district, db):
    own, other = make_feedback(db, "CD-SW-001"), make_feedback(db, "CD-RMYY-001")
    with db():
        agency = users.get_user("agency")
        own_id = ticket_open.open_from_feedback(agency, own).id
        other_id = ticket_open.open_from_feedback(agency, other).id
        ticket_loop.respond(users.get_user("office"), other_id, "医院已整改",
                            [evidence_files.Upload("a.png", PNG)])
    with db():
        unit = users.get_user("unit")
        items, total = tickets.list_tickets(unit)
        assert [t.id for t in items] == [own_id] and total == 1
        with pytest.raises(NotFound):
            tickets.get_ticket(unit, other_id)
        with pytest.raises(NotFound):
            ticket_loop.respond(unit, other_id, "不是我们的")
        [file_row] = Session.scalars(sa.select(EvidenceFile)).all()
        with pytest.raises(NotFound):
            evidence_files.get_for(unit, file_row.id)
        # The health authority reads its industry's tickets but does not respond or verify.
        authority = users.get_user("authority")
        assert [t.id for t in tickets.list_tickets(authority)[0]] == [other_id]
        with pytest.raises(PermissionDenied):
            ticket_loop.verify(authority, other_id)
        with pytest.raises(PermissionDenied):
            ticket_open.open_from_feedback(unit, own)


def test_overdue_on_the_right_working_day_across_national_day(app, district, db):
    opened = local(2026, 9, 30)
    fid = make_feedback(db, received_at=opened)
    with db():
        ticket = ticket_open.open_from_feedback(users.get_user("agency"), fid, now=opened)
        tid = ticket.id
        # Call-back: the first working day after 1-7 October; fix: 15 working days, counting
        # Saturday 10 October (调休).
        assert ticket.callback_due.isoformat() == "2026-10-08"
        assert ticket.fix_due.isoformat() == "2026-10-27"
    with db():
        assert ticket_clocks.mark_overdue(now=local(2026, 10, 8, 23, 30)).callbacks == 0
        ticket = Session.get(Ticket, tid)
        states = {c.name: c.state for c in ticket_clocks.clocks(ticket, now=local(2026, 10, 8))}
        assert states == {"callback": "amber", "fix": "ok"}
    with db():
        report = ticket_clocks.mark_overdue(now=local(2026, 10, 9, 0, 5))
        assert (report.callbacks, report.rounds) == (1, 0)
        assert ticket_clocks.mark_overdue(now=local(2026, 10, 9, 1)).callbacks == 0  # marked once
    with db():
        ticket = Session.get(Ticket, tid)
        assert ticket.callback_overdue
        # Amber from two working days before the deadline: Friday 23 October.
        assert {c.name: c.state for c in ticket_clocks.clocks(ticket, now=local(2026, 10, 22))}["fix"] == "ok"
        assert {c.name: c.state for c in ticket_clocks.clocks(ticket, now=local(2026, 10, 23))}["fix"] == "amber"
        assert ticket_clocks.mark_overdue(now=local(2026, 10, 27, 23, 59)).rounds == 0
    with db():
        assert ticket_clocks.mark_overdue(now=local(2026, 10, 28, 0, 1)).rounds == 1
    with db():
        ticket = Session.get(Ticket, tid)
        assert ticket.overdue and ticket.rounds[0].overdue
        assert {c.name: c.state for c in ticket_clocks.clocks(ticket, now=local(2026, 10, 28))}["fix"] == "red"
        overdue, _ = tickets.list_tickets(users.get_user("agency"), overdue=True)
        assert [t.id for t in overdue] == [tid]
        # A late call-back and a late response keep their clocks' colour as "late".
        ticket_loop.record_callback(users.get_user("agency"), tid, called_at=local(2026, 10, 28, 11),
                                    outcome="satisfied", note="群众认可", now=local(2026, 10, 28, 12))
        ticket_loop.respond(users.get_user("unit"), tid, "已整改", now=local(2026, 10, 29))
        states = {c.name: c.state for c in ticket_clocks.clocks(Session.get(Ticket, tid), now=local(2026, 10, 29))}
        assert states == {"callback": "late", "fix": "late"}


def test_a_lists_fix_clock_is_the_pages_in_words_across_a_weekend(app, district, db):
    """The lists' clocks (fix_clocks) follow the page's rule; red from the day after the
    deadline whether or not the job has marked it, amber with the working days left."""
    opened = local(2026, 9, 30)
    fid = make_feedback(db, received_at=opened)
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid, now=opened).id
    expected = {(2026, 10, 22): ("ok", "未到期"),
                (2026, 10, 23): ("amber", "即将到期（剩 2 个工作日）"),  # Friday; Monday, Tuesday left
                (2026, 10, 24): ("amber", "即将到期（剩 2 个工作日）"),  # Saturday
                (2026, 10, 26): ("amber", "即将到期（剩 1 个工作日）"),
                (2026, 10, 27): ("amber", "即将到期（今日截止）"),
                (2026, 10, 28): ("red", "已超期")}
    with db():
        ticket = Session.get(Ticket, tid)
        assert not ticket.overdue  # the job has not run
        for day, (state, text) in expected.items():
            now = local(*day)
            listed = ticket_clocks.fix_clocks([ticket], now=now)[tid]
            paged = {c.name: c for c in ticket_clocks.clocks(ticket, now=now)}["fix"]
            assert (listed.state, listed.text) == (state, text) == (paged.state, paged.text), day
        ticket_loop.respond(users.get_user("unit"), tid, "已整改", now=local(2026, 10, 28))
        clock = ticket_clocks.fix_clocks([ticket], now=local(2026, 10, 29))[tid]
        assert (clock.state, clock.text) == ("late", "超期完成")
        ticket_links.cancel_ticket(users.get_user("office"), tid, "重复开单")
        assert ticket_clocks.fix_clocks([ticket]) == {}  # a cancelled ticket's clocks stopped


def test_the_agencys_next_callback_deadline_skips_called_back_cancelled_and_passed(
        app, district, db):
    from datetime import date

    from feedback_api.services import ticket_links

    agency = users.get_user
    due = {}
    for n, opened in enumerate((local(2026, 9, 30), local(2026, 10, 9), local(2026, 10, 12))):
        fid = make_feedback(db, received_at=opened, openid=f"oNextCallback{n:013d}")
        with db():
            ticket = ticket_open.open_from_feedback(agency("agency"), fid, now=opened)
            due[n] = (ticket.id, ticket.callback_due)
    assert [d.isoformat() for _, d in due.values()] == ["2026-10-08", "2026-10-10", "2026-10-13"]  # 10th: 调休
    with db():
        # An office ticket has no call-back; it never counts.
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-002")).one()
        ticket_open.open_ticket(agency("office"), window, topic="attitude", problem="暗查发现态度问题",
                                source="office", now=local(2026, 10, 7))
        assert ticket_clocks.next_callback_due(date(2026, 10, 8)) == date(2026, 10, 8)
        # A deadline passed is the desk's overdue mark, not the next deadline.
        assert ticket_clocks.next_callback_due(date(2026, 10, 9)) == date(2026, 10, 10)
    with db():
        ticket_loop.record_callback(agency("agency"), due[0][0], called_at=local(2026, 10, 8, 11),
                                    outcome="satisfied", now=local(2026, 10, 8, 12))
        ticket_links.cancel_ticket(agency("office"), due[1][0], "重复开单", now=local(2026, 10, 9))
    with db():
        assert ticket_clocks.next_callback_due(date(2026, 10, 8)) == date(2026, 10, 13)
        assert ticket_clocks.next_callback_due(date(2026, 10, 14)) is None


def test_the_office_calendar_moves_the_deadline(app, district, db):
    from feedback_api.services import workdays

    with db():
        workdays.set_day(None, datetime(2026, 10, 8).date(), workday=False, name="区里延长假期")
    fid = make_feedback(db, received_at=local(2026, 9, 30))
    with db():
        ticket = ticket_open.open_from_feedback(users.get_user("agency"), fid, now=local(2026, 9, 30))
        assert ticket.callback_due.isoformat() == "2026-10-09"


def test_three_rounds_pushed_in_a_row_without_completion(app, district, db):
    start = local(2026, 3, 2)
    fids = [make_feedback(db, "CD-SW-001", openid=f"oRepeat{i:019d}", received_at=start)
            for i in range(2)]
    with db():
        agency, unit = users.get_user("agency"), users.get_user("unit")
        stubborn = ticket_open.open_from_feedback(agency, fids[0], now=start).id
        fixed = ticket_open.open_from_feedback(agency, fids[1], now=start).id
        when = start
        for n in range(3):
            when += timedelta(days=3)
            ticket_loop.respond(unit, stubborn, f"第 {n + 1} 次反馈", now=when)
            ticket_loop.send_back(agency, stubborn, "仍未整改到位", now=when)
        for _ in range(2):
            ticket_loop.respond(unit, fixed, "反馈", now=when)
            ticket_loop.send_back(agency, fixed, "仍未整改到位", now=when)
        ticket_loop.respond(unit, fixed, "反馈", now=when)
        ticket_loop.verify(agency, fixed, now=when)
    with db():
        window_id = Session.scalar(sa.select(Window.id).where(Window.code == "CD-SW-001"))
        found = ticket_clocks.repeated_pushes(as_of=when + timedelta(days=1))
        assert list(found) == [window_id]
        assert [(p.ticket_id, p.rounds) for p in found[window_id]] == [(stubborn, [1, 2, 3])]
        # More than a year later the pushes no longer count.
        assert ticket_clocks.repeated_pushes(as_of=when + timedelta(days=400)) == {}


def test_negative_opinions_open_tickets_after_analysis(app, district, db):
    fid = make_feedback(db, rating=None, text="工作人员态度恶劣，一直玩手机")
    positive = make_feedback(db, rating=None, text="很好", openid="oTickets0000000000000002")
    with db():
        assert ticket_jobs.auto_open() == "0 tickets opened"  # waits for the analysis
        for item_id, sentiment in ((fid, 0.05), (positive, 0.9)):
            item = Session.get(Feedback, item_id)
            item.sentiment, item.analyzed_at = sentiment, item.received_at
            item.masked_text = item.text
            item.topics = [{"topic": "attitude", "confidence": 0.9}]
    with db():
        assert ticket_jobs.auto_open() == "1 tickets opened"
        ticket = tickets.ticket_of_feedback(fid)
        assert ticket.topic == "attitude" and "态度恶劣" in ticket.problem
        assert tickets.ticket_of_feedback(positive) is None


def test_attach_and_inspection_tickets(app, district, db):
    a = make_feedback(db, "CD-SW-001")
    b = make_feedback(db, "CD-SW-001", openid="oTickets0000000000000003")
    c = make_feedback(db, "CD-SW-002", openid="oTickets0000000000000004")
    with db():
        agency = users.get_user("agency")
        tid = ticket_open.open_from_feedback(agency, a).id
        ticket_open.attach_feedback(agency, tid, b)
        with pytest.raises(Conflict):
            ticket_open.attach_feedback(agency, tid, b)
        with pytest.raises(ValidationError, match="不是该窗口"):
            ticket_open.attach_feedback(agency, tid, c)
        Session.get(Feedback, c).review_state = "invalid"
        with pytest.raises(ValidationError, match="无效"):
            ticket_open.open_from_feedback(agency, c)
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-002")).one()
        found = ticket_open.open_ticket(None, window, topic="environment", problem="无障碍通道堵塞",
                                        source="inspection", source_ref="2026Q4-综合检查-017")
        assert found.callback_due is None and found.source_ref == "2026Q4-综合检查-017"
    with db():
        assert [f.id for f in tickets.feedback_of(tid)] == [a, b]
        assert Session.scalar(sa.select(sa.func.count()).select_from(TicketRound)) == 2
        assert Session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0


def test_the_same_picture_backs_two_responses_and_is_stored_once(app, district, db):
    """Evidence lives in the shared content-addressed store: one file, one row per response."""
    fid = make_feedback(db)
    picture = PNG + b"only in this test"

    def in_store() -> set:
        return {p.name for p in file_store.folder().rglob("*") if p.is_file()}

    with app.app_context():
        before = in_store()
    unit, agency = users.get_user, users.get_user
    with db():
        tid = ticket_open.open_from_feedback(agency("agency"), fid).id
        ticket_loop.respond(unit("unit"), tid, "已整改", [evidence_files.Upload("C:\\照片\\现场.png", picture)])
        ticket_loop.send_back(agency("agency"), tid, "照片不能说明整改")
        ticket_loop.respond(unit("unit"), tid, "再次整改", [evidence_files.Upload("现场.png", picture)])
    with db():
        rows = Session.scalars(sa.select(EvidenceFile).order_by(EvidenceFile.id)).all()
        assert [r.original_name for r in rows] == ["现场.png", "现场.png"]  # no client path kept
        assert rows[0].sha256 == rows[1].sha256 and rows[0].stored_name != rows[1].sha256
        assert len({r.round_id for r in rows}) == 2
        assert in_store() - before == {rows[0].sha256}
        for row in rows:
            assert evidence_files.get_for(unit("unit"), row.id)[1].checksum == row.sha256
