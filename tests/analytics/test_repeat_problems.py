"""Repeat problems across windows: a topic whose negative opinions rose against the previous
period in at least N windows of one industry; counted in SQL, scoped, e-mailed to the industry
authority once per period (a real SMTP server on loopback)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from analytics import agency_report, repeat_problems
from analytics.agency_report_outline import Table, outline
from analytics.periods import parse_period
from feedback_api.db import Session
from feedback_api.models import Feedback, StaffAlert
from feedback_api.services import alert_contacts, alert_delivery, windows
from tests.assessment_helpers import user, window_id
from tests.mail import body, subject

Q3 = parse_period("2026Q3")
AFTER = datetime(2026, 12, 6, tzinfo=UTC)
_seq = itertools.count(1)


def opinion(code: str, at: datetime, *, topic: str = "attitude", sentiment: float = 0.1,
            **extra) -> None:
    Session.add(Feedback(receipt_no=f"R{next(_seq):010d}", window_id=window_id(code),
                         channel="h5", text="窗口人员态度很差", masked_text="窗口人员态度很差",
                         received_at=at, analyzed_at=at, sentiment=sentiment, main_topic=topic,
                         **extra))


MAY = datetime(2026, 5, 10, 2, tzinfo=UTC)
AUG = datetime(2026, 8, 10, 2, tzinfo=UTC)


@pytest.fixture()
def rising(db, district):
    """Tax: 3 windows whose 服务态度 complaints rose from Q2 to Q3; health: 2 windows."""
    with db():
        windows.create_window(None, {"code": "CD-SW-003", "name": "社保费窗口", "unit": "CD-SW"})
        Session.flush()
        opinion("CD-SW-001", MAY)
        opinion("CD-SW-001", AUG)
        opinion("CD-SW-001", AUG)          # 1 -> 2
        opinion("CD-SW-002", AUG)          # 0 -> 1
        opinion("CD-SW-003", AUG)          # 0 -> 1
        opinion("CD-SW-003", AUG, sentiment=0.9)           # positive: not a complaint
        opinion("CD-SW-002", AUG, topic="efficiency")      # another topic, one window only
        opinion("CD-RMYY-001", AUG)
        opinion("CD-RMYY-002", AUG)
        opinion("CD-RMYY-002", MAY)
        opinion("CD-RMYY-002", MAY)        # 2 -> 1: falling
        opinion("CD-RMYY-001", AUG, topic="efficiency")
        opinion("CD-RMYY-002", AUG, topic="efficiency")


def test_a_topic_rising_in_three_windows_of_an_industry_is_a_repeat_problem(app, rising):
    with app.app_context():
        found = repeat_problems.find(Q3, now=AFTER)
        assert found.min_windows == 3 and found.previous.code == "2026Q2" and not found.partial
        assert [(p.industry, p.topic) for p in found.problems] == [("tax", "attitude")]
        (p,) = found.problems
        assert [(w.code, w.current, w.previous) for w in p.windows] == [
            ("CD-SW-001", 2, 1), ("CD-SW-002", 1, 0), ("CD-SW-003", 1, 0)]
        # With two windows enough, health's 效率 rises too (its 服务态度 fell in one window).
        two = repeat_problems.find(Q3, min_windows=2, now=AFTER)
        assert {(p.industry, p.topic) for p in two.problems} == {
            ("tax", "attitude"), ("health", "efficiency")}


def test_reviewed_invalid_duplicates_and_equal_counts_do_not_rise(app, rising):
    with app.app_context():
        # CD-SW-002's complaint was marked invalid by the agency: only two tax windows rise.
        item = Session.scalars(sa.select(Feedback).where(
            Feedback.window_id == window_id("CD-SW-002"), Feedback.main_topic == "attitude")).one()
        item.review_state = "invalid"
        opinion("CD-SW-003", MAY)  # 1 -> 1: not a rise
        Session.flush()
        assert repeat_problems.find(Q3, now=AFTER).problems == []
        # A reviewer's negative verdict counts whatever the model said.
        opinion("CD-SW-002", AUG, sentiment=0.8, reviewed_sentiment=0)
        opinion("CD-SW-003", AUG)
        Session.flush()
        assert len(repeat_problems.find(Q3, now=AFTER).problems) == 1
        Session.rollback()


def test_complaints_count_by_the_one_rule_and_a_misread_rating_alerts_nobody(app, db, rising):
    """Opinions count as ``services.complaints`` defines a complaint: a 5-star opinion the model
    misreads ("不拥挤" scored negative) counts nowhere, so it cannot raise a problem nor e-mail an
    authority; a 3-star one a reviewer judged negative, a 1-star one whatever the model read, and
    an unrated one the model scores below 0.4 (the fixture's) count."""
    with db():
        for code in ("CD-SW-001", "CD-SW-002", "CD-SW-003"):
            opinion(code, AUG, topic="environment", sentiment=0.05, rating=5)
        opinion("CD-SW-001", AUG, sentiment=0.05, rating=5)     # attitude stays 1 -> 2
        # 效率 was CD-SW-002's alone (unrated, 0.1): a judged 3-star and a 1-star join it.
        opinion("CD-SW-001", AUG, topic="efficiency", sentiment=0.7, rating=3,
                reviewed_sentiment=0)
        opinion("CD-SW-003", AUG, topic="efficiency", sentiment=0.6, rating=1)
        opinion("CD-SW-003", AUG, topic="efficiency", sentiment=0.45)  # unrated, not below 0.4
    with app.app_context():
        statements: list[str] = []

        def note(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            statements.append(statement)

        engine = Session.connection().engine  # the transaction begun: its BEGIN not counted
        sa.event.listen(engine, "before_cursor_execute", note)
        try:
            found = repeat_problems.find(Q3, now=AFTER)
        finally:
            sa.event.remove(engine, "before_cursor_execute", note)
        assert len(statements) == 1  # one grouped statement, the rule inside it, no row loop
        assert [(p.topic, [(w.code, w.current, w.previous) for w in p.windows])
                for p in found.problems] == [
            ("attitude", [("CD-SW-001", 2, 1), ("CD-SW-002", 1, 0), ("CD-SW-003", 1, 0)]),
            ("efficiency", [("CD-SW-001", 1, 0), ("CD-SW-002", 1, 0), ("CD-SW-003", 1, 0)])]
    with db():
        assert repeat_problems.check(Q3, now=AFTER) == 2
        assert sorted(Session.scalars(sa.select(StaffAlert.dedup_key))) == [
            "repeat:2026Q3:tax:attitude", "repeat:2026Q3:tax:efficiency"]


def test_a_running_period_is_compared_with_the_same_span_of_the_previous(app, rising):
    with app.app_context():
        # On 20 August, Q3 so far (51 days) is compared with 1 April – 21 May: the May
        # complaint of CD-SW-001 counts, one on 30 May would not.
        opinion("CD-SW-001", datetime(2026, 5, 30, 2, tzinfo=UTC))
        Session.flush()
        found = repeat_problems.find(Q3, now=datetime(2026, 8, 20, tzinfo=UTC))
        assert found.partial
        (p,) = found.problems
        assert p.windows[0].code == "CD-SW-001" and p.windows[0].previous == 1
        assert not repeat_problems.find(Q3, now=AFTER).problems  # whole quarters: 2 -> 2
        Session.rollback()


def test_the_office_reads_all_an_authority_its_industry_and_a_unit_nothing(app, rising):
    with app.app_context():
        assert len(repeat_problems.for_user(user("office"), Q3, now=AFTER).problems) == 1
        assert repeat_problems.for_user(user("authority"), Q3, now=AFTER).problems == []  # health
        assert repeat_problems.for_user(user("unit"), Q3, now=AFTER).problems == []
        assert repeat_problems.visible_industries(user("authority")) == ["health"]


def test_the_authority_is_emailed_once_per_period(app, db, rising, smtp):
    with db():
        alert_contacts.add_contact(None, None, "wang@tax.example.cn", "王处长", industry="tax")
    with db():
        assert repeat_problems.check(Q3, now=AFTER) == 1
    with db():
        assert repeat_problems.check(Q3, now=AFTER) == 0  # the same period again: nothing new
        alert = Session.scalars(sa.select(StaffAlert)).one()
        assert alert.kind == "repeat_problem" and alert.unit_id is None and alert.industry == "tax"
        report = alert_delivery.send_pending(now=AFTER)
        assert report.sent == 1
    (to, msg), = smtp.messages
    assert to == ["wang@tax.example.cn"]
    assert "服务态度" in subject(msg) and "2026年第三季度" in subject(msg)
    text = body(msg)
    assert "“服务态度”的投诉意见较2026年第二季度上升" in text and "负面意见" not in text
    assert "3 个窗口" in text and "CD-SW-001 综合办税窗口（城东区税务局办税服务厅）：本期 2 条，上期 1 条" in text


def test_the_nightly_job_and_the_cli_run_it(app, db, rising, runner):
    result = runner.invoke(args=["repeats", "show", "--period", "2026Q3"])
    assert result.exit_code == 0, result.output
    assert "tax\tattitude\tCD-SW-001\t2\t1" in result.output
    result = runner.invoke(args=["repeats", "check", "--period", "2026Q3"])
    assert result.exit_code == 0 and "1 alerts queued" in result.output
    result = runner.invoke(args=["repeats", "check", "--period", "2026Q3"])
    assert "0 alerts queued" in result.output
    assert runner.invoke(args=["repeats", "contact", "nope", "a@b.cn"]).exit_code == 1
    assert any(j.id == "repeat-problems-nightly" for j in app.extensions["ww_jobs"])


def test_the_page_shows_the_office_all_and_the_authority_its_industry(client, auth, rising):
    auth.login("office")
    html = client.get("/repeats/?period=2026Q3").get_data(as_text=True)
    assert "税务" in html and "服务态度" in html and "CD-SW-003" in html
    assert "较2026年第二季度上升" in html
    # What is counted, said as the rule counts it: complaints, not the model's negative band.
    assert "<th>本期投诉意见</th><th>上期投诉意见</th>" in html and "负面意见" not in html
    assert "计分的差评（1–2 星）、审核判为负面的意见、未评分且未审核而模型情感分低于 0.4 的意见" in html
    assert "评 3–5 星的意见仅在审核判为负面时计入" in html
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("authority")  # health: its 效率 rises in two windows only
    html = client.get("/repeats/?period=2026Q3").get_data(as_text=True)
    assert "本期未发现多窗口反复出现的问题" in html and "CD-SW-" not in html
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("unit")
    assert client.get("/repeats/?period=2026Q3").status_code == 403


def test_the_agency_report_says_complaints_rose(app, rising):
    """The agency report's 七 counts what /repeats/ counts, and calls it complaints."""
    with app.app_context():
        figures = agency_report.generate(Q3)
    blocks = outline(figures, agency_report.default_sections(figures))
    at = next(i for i, b in enumerate(blocks) if getattr(b, "text", "") == "七、多窗口反复出现的问题")
    para, table = blocks[at + 1], blocks[at + 2]
    assert para.text == "同一行业至少 3 个窗口关于同一问题类别的投诉意见较2026年第二季度上升。"
    assert isinstance(table, Table) and table.caption == "表9 多窗口反复出现的问题"
    assert table.header == ["行业", "问题类别", "上升窗口数", "本期投诉意见", "上期投诉意见", "窗口"]
    assert table.rows == [["税务", "服务态度", 3, 4, 1,
                           "CD-SW-001 综合办税窗口、CD-SW-002 发票领用窗口、CD-SW-003 社保费窗口"]]


def test_the_nightly_check_covers_the_quarter_so_far_and_the_one_before(app, rising):
    with app.app_context():
        # On 15 October the current quarter (Q4) has nothing yet; Q3, just ended, is found.
        assert repeat_problems.check(now=datetime(2026, 10, 15, 2, tzinfo=UTC)) == 1
        keys = Session.scalars(sa.select(StaffAlert.dedup_key)).all()
        assert keys == ["repeat:2026Q3:tax:attitude"]
        assert repeat_problems.check(now=datetime(2026, 10, 16, 2, tzinfo=UTC)) == 0
        Session.rollback()


def test_the_authorities_addresses_are_kept_on_the_alert_contacts_page_only(app, client, auth,
                                                                              rising):
    """One registry: the office registers and deletes an authority's address on /alert-contacts
    (the same list also sends the programme's reminders); /repeats/ shows it read-only with a link
    there, and takes no address itself."""
    auth.login("office")
    token = auth.csrf_token("/alert-contacts")
    client.post("/alert-contacts", data={"unit": "industry:tax", "email": "wang@tax.example.cn",
                                         "name": "王处长", "csrf_token": token})
    html = client.get("/repeats/").get_data(as_text=True)
    section = html.split("<h2>行业主管部门提醒邮箱</h2>", 1)[1].split("</section>", 1)[0]
    assert "wang@tax.example.cn" in section and "王处长" in section and "税务" in section
    assert 'href="/alert-contacts"' in section
    assert "多窗口反复出现的问题" in client.get("/alert-contacts").get_data(as_text=True)
    assert "<form" not in section and "<input" not in section and "<button" not in section
    assert client.post("/repeats/", data={"industry": "tax", "email": "li@tax.example.cn",
                                          "csrf_token": token}).status_code == 405
    with app.app_context():
        (contact,) = alert_contacts.industry_contacts()["tax"]
        assert (contact.name, contact.email) == ("王处长", "wang@tax.example.cn")
    assert client.post(f"/repeats/contacts/{contact.id}/delete",
                       data={"csrf_token": token}).status_code == 404
    client.post(f"/alert-contacts/{contact.id}/delete", data={"csrf_token": token})
    assert "wang@tax.example.cn" not in client.get("/repeats/").get_data(as_text=True)
    assert "未登记" in client.get("/repeats/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("authority")
    assert "行业主管部门提醒邮箱" not in client.get("/repeats/").get_data(as_text=True)
