"""Ticket and appeal pages: the whole loop through the forms, scope, clocks and counts."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Feedback, Ticket, Window
from feedback_api.services import ticket_jobs, ticket_loop, ticket_open, users
from feedback_api.services.feedback import record_feedback
from tests.conftest import AuthActions
from wechat_bot.contacts import get_or_create_citizen
from wechat_bot.models import OutboundMessage

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SH = ZoneInfo("Asia/Shanghai")


def bad_review(db, code="CD-SW-001", openid="oPages00000000000000000001", received_at=None) -> int:
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
        citizen = get_or_create_citizen(openid)
        return record_feedback(window, citizen=citizen, channel="wechat", rating=1,
                               text="窗口人员态度很差", received_at=received_at).feedback.id


def signed_in(app, name) -> tuple:
    client = app.test_client()
    auth = AuthActions(client)
    assert auth.login(name).status_code == 302
    return client, auth


def test_the_loop_through_the_pages(app, district, db):
    fid = bad_review(db)
    agency, agency_auth = signed_in(app, "agency")
    page = agency.get(f"/feedback/{fid}").get_data(as_text=True)
    assert "据此开督办单" in page
    form = agency.get(f"/tickets/new?feedback={fid}").get_data(as_text=True)
    assert "不满意" in form
    token = agency_auth.csrf_token(f"/tickets/new?feedback={fid}")
    resp = agency.post(f"/tickets/new?feedback={fid}", data={
        "csrf_token": token, "topic": "attitude", "problem": "请核实窗口人员服务态度问题并整改"})
    assert resp.status_code == 302
    tid = int(resp.headers["Location"].rsplit("/", 1)[1])

    unit, unit_auth = signed_in(app, "unit")
    inbox = unit.get("/tickets/inbox").get_data(as_text=True)
    with db():
        number = Session.get(Ticket, tid).number
    assert number in inbox
    detail = unit.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "请核实窗口人员服务态度问题并整改" in detail and "提交整改情况" in detail
    assert "核验通过" not in detail  # the unit does not verify
    token = unit_auth.csrf_token(f"/tickets/{tid}")
    # A file that is not an image or PDF is refused with the reason; nothing changes.
    resp = unit.post(f"/tickets/{tid}/respond", data={
        "csrf_token": token, "text": "已整改",
        "files": [(io.BytesIO(b"MZ\x90\x00 an exe"), "photo.png")]},
        content_type="multipart/form-data")
    assert resp.status_code == 200 and "不是图片" in resp.get_data(as_text=True)
    resp = unit.post(f"/tickets/{tid}/respond", data={
        "csrf_token": token, "text": "已约谈当事人",
        "files": [(io.BytesIO(PNG), "现场照片.png")]}, content_type="multipart/form-data")
    assert resp.status_code == 302
    assert unit.post(f"/tickets/{tid}/verdict", data={"csrf_token": token, "action": "verify"}).status_code == 403

    detail = agency.get(f"/tickets/{tid}").get_data(as_text=True)
    file_url = re.search(r'href="(/tickets/files/\d+)"', detail).group(1)
    resp = agency.get(file_url)
    assert resp.data == PNG and resp.mimetype == "image/png"
    resp.close()
    token = agency_auth.csrf_token(f"/tickets/{tid}")
    resp = agency.post(f"/tickets/{tid}/verdict", data={"csrf_token": token, "action": "send_back",
                                                        "reason": ""})
    assert resp.status_code == 200 and "退回理由不能为空" in resp.get_data(as_text=True)
    resp = agency.post(f"/tickets/{tid}/verdict", data={"csrf_token": token, "action": "send_back",
                                                        "reason": "未说明长效措施"})
    assert resp.status_code == 302
    assert "第 2 轮" in agency.get(f"/tickets/{tid}").get_data(as_text=True)

    resp = unit.post(f"/tickets/{tid}/respond", data={"csrf_token": unit_auth.csrf_token(f"/tickets/{tid}"),
                                                      "text": "已建立服务质量周检制度"},
                     content_type="multipart/form-data")
    assert resp.status_code == 302
    resp = agency.post(f"/tickets/{tid}/callback", data={
        "csrf_token": token, "called_at": datetime.now(SH).strftime("%Y-%m-%dT%H:%M"),
        "outcome": "satisfied", "note": "群众表示认可"})
    assert resp.status_code == 302
    resp = agency.post(f"/tickets/{tid}/verdict", data={"csrf_token": token, "action": "verify",
                                                        "reason": "整改到位"}, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "已核验办结" in page and "群众表示认可" in page
    with db():
        kinds = Session.scalars(sa.select(OutboundMessage.kind).where(OutboundMessage.feedback_id == fid)
                                .order_by(OutboundMessage.id)).all()
        assert kinds == ["answer", "rerate"]
        assert "已建立服务质量周检制度" in Session.scalars(sa.select(OutboundMessage.text)).first()
        assert Session.get(Ticket, tid).state == "closed"


def test_a_unit_never_sees_another_units_tickets_or_files(app, district, db):
    with db():
        users.create_user(None, "hospital", role="unit", password="hospital-password",
                          scopes=["CD-RMYY"])
    fid = bad_review(db)
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid).id
    unit, unit_auth = signed_in(app, "unit")
    unit.post(f"/tickets/{tid}/respond", data={"csrf_token": unit_auth.csrf_token(f"/tickets/{tid}"),
                                               "text": "已整改", "files": [(io.BytesIO(PNG), "a.png")]},
              content_type="multipart/form-data")
    detail = unit.get(f"/tickets/{tid}").get_data(as_text=True)
    file_url = re.search(r'href="(/tickets/files/\d+)"', detail).group(1)
    with db():
        pseudonym = Session.get(Feedback, fid).citizen.pseudonym
    assert pseudonym[:12] not in detail  # never the citizen's identity

    other, _ = signed_in(app, "hospital")
    assert other.get(f"/tickets/{tid}").status_code == 404
    assert other.get(file_url).status_code == 404
    assert "DB" not in other.get("/tickets").get_data(as_text=True).split("<tbody>")[1]
    assert other.get("/tickets/inbox").status_code == 200
    assert other.get("/tickets/new").status_code == 403


def test_overdue_shows_red_and_filters(app, district, db):
    opened = datetime(2026, 9, 30, 10, tzinfo=SH).astimezone(UTC)
    fid = bad_review(db, received_at=opened)
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid, now=opened).id
        ticket_jobs.mark_overdue()
    agency, _ = signed_in(app, "agency")
    page = agency.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "clock-red" in page and "2026-10-27" in page and "2026-10-08" in page
    with db():
        number = Session.get(Ticket, tid).number
    assert number in agency.get("/tickets?overdue=1").get_data(as_text=True)
    assert number not in agency.get("/tickets?overdue=0").get_data(as_text=True)
    assert agency.get("/tickets?state=zzz&overdue=x&page=-3").status_code == 200


def test_an_upheld_appeal_leaves_the_dashboard_counts(app, district, db):
    fid = bad_review(db)
    office, _ = signed_in(app, "office")

    def bad_count() -> int:
        page = office.get("/").get_data(as_text=True)
        return int(re.search(r"<b>(\d+)</b><span>差评</span>", page).group(1))

    assert bad_count() == 1
    unit, unit_auth = signed_in(app, "unit")
    assert "申诉该评分" in unit.get(f"/feedback/{fid}").get_data(as_text=True)
    inbox = unit.get("/tickets/inbox").get_data(as_text=True)
    assert "可申诉的差评" in inbox and f"/appeals/new?feedback={fid}" in inbox
    token = unit_auth.csrf_token(f"/appeals/new?feedback={fid}")
    resp = unit.post(f"/appeals/new?feedback={fid}", data={
        "csrf_token": token, "kind": "malicious", "reason": "该时段窗口无人办理，监控可证",
        "files": [(io.BytesIO(b"%PDF-1.4 camera log"), "监控记录.pdf")]},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    aid = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert f"/appeals/new?feedback={fid}" not in unit.get("/tickets/inbox").get_data(as_text=True)
    assert unit.post(f"/appeals/{aid}/decide", data={"csrf_token": token, "decision": "upheld",
                                                     "reason": "自己裁定"}).status_code == 403

    agency, agency_auth = signed_in(app, "agency")
    with db():
        receipt = Session.get(Feedback, fid).receipt_no
    assert receipt in agency.get("/appeals?state=pending").get_data(as_text=True)
    assert receipt not in agency.get("/appeals?state=upheld").get_data(as_text=True)
    assert "该时段窗口无人办理" in agency.get(f"/appeals/{aid}").get_data(as_text=True)
    token = agency_auth.csrf_token(f"/appeals/{aid}")
    resp = agency.post(f"/appeals/{aid}/decide", data={"csrf_token": token, "decision": "upheld",
                                                       "reason": "核实监控，属实"})
    assert resp.status_code == 302
    assert bad_count() == 0
    # A 5-star rating cannot be appealed: no action on its page, a refusal on the form.
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        good = record_feedback(window, citizen=get_or_create_citizen("oPagesGood0000000000000001"),
                               channel="wechat", rating=5, text="很好").feedback.id
    assert "申诉该评分" not in unit.get(f"/feedback/{good}").get_data(as_text=True)
    page = unit.get(f"/appeals/new?feedback={good}").get_data(as_text=True)
    assert "只有差评" in page and "提交申诉" not in page
    resp = unit.post(f"/appeals/new?feedback={good}", data={
        "csrf_token": unit_auth.csrf_token(f"/appeals/new?feedback={good}"), "kind": "mistaken",
        "reason": "评分有误"})
    assert resp.status_code == 200 and "只有差评" in resp.get_data(as_text=True)
    page = office.get("/appeals").get_data(as_text=True)
    assert "申诉成立" in page and "核实监控，属实" in page
    page = office.get(f"/feedback/{fid}").get_data(as_text=True)
    assert "申诉成立，不计入统计" in page and "新评分替代" not in page


def test_posts_without_csrf_are_refused_and_the_office_keeps_the_calendar(app, district, db):
    fid = bad_review(db)
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid).id
    unit, _ = signed_in(app, "unit")
    assert unit.post(f"/tickets/{tid}/respond", data={"text": "x"}).status_code == 400
    assert unit.get("/calendar").status_code == 403
    office, office_auth = signed_in(app, "office")
    resp = office.post("/calendar", data={"csrf_token": office_auth.csrf_token("/calendar"),
                                          "day": "2027-02-08", "kind": "holiday", "name": "春节"})
    assert resp.status_code == 302
    page = office.get("/calendar?year=2027").get_data(as_text=True)
    assert "2027-02-08" in page and "春节" in page
    resp = office.post("/calendar", data={"csrf_token": office_auth.csrf_token("/calendar"),
                                          "day": "not a day", "kind": "holiday"})
    assert resp.status_code == 200 and "field-error" in resp.get_data(as_text=True)


def test_a_refused_form_low_on_the_ticket_page_opens_where_the_clerk_is(app, district, db):
    """Each form posts to its own anchor, so the page shown again with an error opens at the
    form; an error summary at the top links there too. Untouched pages carry no summary."""
    fid = bad_review(db)
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid).id
    agency, agency_auth = signed_in(app, "agency")
    page = agency.get(f"/tickets/{tid}").get_data(as_text=True)
    assert f'action="/tickets/{tid}/callback#callback-form" id="callback-form"' in page
    assert f'action="/tickets/{tid}/attach#attach-form" id="attach-form"' in page
    assert "form-error-summary" not in page
    token = agency_auth.csrf_token(f"/tickets/{tid}")
    resp = agency.post(f"/tickets/{tid}/callback#callback-form", data={
        "csrf_token": token, "called_at": "不是时间", "outcome": "satisfied"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "field-error" in page
    summary = page.split('id="form-error-summary"', 1)[1].split("</p>", 1)[0]
    assert '<a href="#callback-form">回访登记表单</a>' in summary
    assert page.index("form-error-summary") < page.index('id="rounds"')  # at the top
    assert f'action="/tickets/{tid}/callback#callback-form" id="callback-form"' in page
    unit, unit_auth = signed_in(app, "unit")
    resp = unit.post(f"/tickets/{tid}/respond", data={
        "csrf_token": unit_auth.csrf_token(f"/tickets/{tid}"), "text": ""},
        content_type="multipart/form-data")
    assert resp.status_code == 200 and '<a href="#respond-form">整改情况表单</a>' in resp.get_data(
        as_text=True)


def test_the_desk_exports_to_excel_and_lists_repeated_pushes(app, district, db):
    from openpyxl import load_workbook

    start = datetime(2026, 6, 1, 10, tzinfo=SH).astimezone(UTC)
    fid = bad_review(db, received_at=start)
    with db():
        agency, unit = users.get_user("agency"), users.get_user("unit")
        ticket = ticket_open.open_from_feedback(agency, fid, problem="=HYPERLINK(\"http://x\")", now=start)
        for _ in range(3):
            ticket_loop.respond(unit, ticket.id, "已整改", now=start)
            ticket_loop.send_back(agency, ticket.id, "未整改到位", now=start)
        number, ticket_due = ticket.number, ticket.fix_due
    office, _ = signed_in(app, "office")
    resp = office.get("/tickets/export.xlsx?state=open")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.values)
    assert rows[0][0] == "督办单编号" and rows[1][0] == number and rows[1][10] == 4
    # Through services/cells.py: the text itself, stored as text with Excel's quote prefix.
    cell = ws.cell(row=2, column=8)
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s" and cell.quotePrefix
    # Times and dates are Excel dates (a clerk filters and sorts them), in Beijing time.
    assert rows[1][8] == datetime(2026, 6, 1, 10, 0) and ws.cell(row=2, column=9).number_format == "yyyy-mm-dd hh:mm"
    assert rows[1][11] == datetime.combine(ticket_due, datetime.min.time())
    assert ws.cell(row=2, column=12).number_format == "yyyy-mm-dd"
    assert rows[1][12] == "否" and rows[1][13] == "已超期"  # the clock, before the job marks it
    assert rows[1][17] is None and ws.auto_filter.ref == "A1:R2"
    assert len(list(load_workbook(io.BytesIO(office.get("/tickets/export.xlsx?state=closed").data)).active.values)) == 1
    page = office.get("/tickets/repeated").get_data(as_text=True)
    assert number in page and "第 1、2、3 轮" in page
    # The list looks back a rolling year; the delisting rule counts rounds within one calendar year
    # (analytics.delisting, as the proposals page says): the page must not promise otherwise.
    assert "近一年（滚动）" in page and "同一自然年度内" in page
    with db():
        users.create_user(None, "hospital", role="unit", password="hospital-password", scopes=["CD-RMYY"])
    other, _ = signed_in(app, "hospital")
    assert number not in other.get("/tickets/repeated").get_data(as_text=True)
    ws = load_workbook(io.BytesIO(other.get("/tickets/export.xlsx").data)).active
    assert len(list(ws.values)) == 1  # the header only: nothing outside its scope


def test_the_office_keeps_the_units_alert_emails(app, district, db):
    office, office_auth = signed_in(app, "office")
    token = office_auth.csrf_token("/alert-contacts")
    resp = office.post("/alert-contacts", data={"csrf_token": token, "unit": "CD-SW",
                                                "email": "zhang@sw.example.cn", "name": "张科长"})
    assert resp.status_code == 302
    resp = office.post("/alert-contacts", data={"csrf_token": token, "unit": "CD-SW",
                                                "email": "not-an-address"})
    assert resp.status_code == 200 and "格式不正确" in resp.get_data(as_text=True)
    unit, unit_auth = signed_in(app, "unit")
    page = unit.get("/alert-contacts").get_data(as_text=True)
    assert "zhang@sw.example.cn" in page and "登记</button>" not in page and "城东区人民医院" not in page
    contact_id = int(re.search(r"/alert-contacts/(\d+)/delete", office.get("/alert-contacts").get_data(as_text=True)).group(1))
    assert unit.post(f"/alert-contacts/{contact_id}/delete",
                     data={"csrf_token": unit_auth.csrf_token("/tickets")}).status_code == 403
    resp = office.post(f"/alert-contacts/{contact_id}/delete", data={"csrf_token": token})
    assert resp.status_code == 302
    assert "zhang@sw.example.cn" not in office.get("/alert-contacts").get_data(as_text=True)


def test_the_desk_pages_through_common_pager_keeping_its_filters(app, district, db):
    with db():
        office = users.get_user("office")
        numbers = [ticket_open.open_on_window(office, "CD-SW-001", topic="other", problem=f"问题 {i}",
                                              source="office").number for i in range(21)]
    client, _ = signed_in(app, "office")
    first = client.get("/tickets?state=open").get_data(as_text=True)
    assert "共 21 件" in first and "第 1 / 2 页" in first
    assert 'href="/tickets?state=open&amp;page=2"' in first
    second = client.get("/tickets?state=open&page=2").get_data(as_text=True)
    assert "第 2 / 2 页" in second
    # Newest first: the first ticket opened is alone on page 2.
    assert numbers[0] in second and numbers[0] not in first and numbers[1] in first
    assert client.get("/tickets?page=999999999").status_code == 200  # clamped, never an error


def test_the_agencys_nav_shows_its_next_callback_deadline(app, district, db):
    agency, _ = signed_in(app, "agency")
    nav = re.compile(r'督办单<small class="nav-deadline">（回访 (\d+)月(\d+)日截止）</small>')
    assert nav.search(agency.get("/").get_data(as_text=True)) is None  # nothing due
    fid = bad_review(db)
    with db():
        ticket = ticket_open.open_from_feedback(users.get_user("agency"), fid)
        tid, due = ticket.id, ticket.callback_due
    found = nav.search(agency.get("/tickets").get_data(as_text=True))
    assert found is not None and (int(found[1]), int(found[2])) == (due.month, due.day)
    # Only the agency's: the office and the unit do not make call-backs.
    for name in ("office", "unit"):
        client, _ = signed_in(app, name)
        assert "（回访" not in client.get("/").get_data(as_text=True)
    with db():
        ticket_loop.record_callback(users.get_user("agency"), tid,
                                    called_at=datetime.now(UTC), outcome="satisfied")
    assert nav.search(agency.get("/").get_data(as_text=True)) is None
