"""Pages of transferring a ticket (转办), of the duplicate check when a ticket is opened by hand,
of ticketing again a cancelled ticket's complaint, and of a complaint arriving after the answer."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Feedback, Ticket
from feedback_api.services import ticket_links, ticket_loop, ticket_open, tickets, users

from .test_ticket_links_pages import bad, signed_in


def _transfer(client, token, tid, **fields):
    data = {"csrf_token": token, "transfer-round": "1", "transfer-window": "CD-RMYY-001",
            "transfer-reason": "属医院挂号处的问题", **fields}
    return client.post(f"/tickets/{tid}/transfer", data=data, follow_redirects=True)


def test_the_agency_transfers_a_ticket_on_its_page(app, district, db):
    fid = bad(db)
    with db():
        users.create_user(None, "rmyy", role="unit", password="rmyy-password", scopes=["CD-RMYY"])
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid).id
    agency, auth = signed_in(app, "agency")
    page = agency.get(f"/tickets/{tid}").get_data(as_text=True)
    assert 'id="transfer-form"' in page and '<option value="CD-RMYY-001">' in page
    assert '<option value="CD-SW-001">' not in page  # not to the window it is at
    token = auth.csrf_token(f"/tickets/{tid}")
    # Refusals: said in Chinese at the form, nothing changes.
    for fields, message in (({"transfer-reason": ""}, "请填写转办理由"),
                            ({"transfer-window": ""}, "请选择转办的窗口"),
                            ({"transfer-window": "NOPE"}, "没有编号为 NOPE 的窗口"),
                            ({"transfer-window": "CD-SW-001"}, "督办单已在窗口"),
                            ({"transfer-round": "2"}, "您看到的是第 2 轮")):
        resp = _transfer(agency, token, tid, **fields)
        text = resp.get_data(as_text=True)
        assert resp.status_code == 200 and message in text, fields
        assert 'href="#transfer-form">转办表单</a>' in text
    with db():
        assert Session.get(Ticket, tid).window.code == "CD-SW-001"
    # Transferred: the page says where and until when, and the history shows it.
    text = _transfer(agency, token, tid).get_data(as_text=True)
    assert "已转办至“门诊挂号收费处”（城东区人民医院），第 2 轮整改截止" in text
    assert "<b>已转办</b>至“门诊挂号收费处”（城东区人民医院）" in text and "属医院挂号处的问题" in text
    assert "综合办税窗口（城东区税务局办税服务厅） · " in text  # round 1's window, in its heading
    # The old unit no longer sees it; the new one does, and answers round 2.
    unit, _ = signed_in(app, "unit")
    assert unit.get(f"/tickets/{tid}").status_code == 404
    rmyy, rmyy_auth = signed_in(app, "rmyy")
    page = rmyy.get(f"/tickets/{tid}").get_data(as_text=True)
    assert 'id="respond-form"' in page and 'id="transfer-form"' not in page
    token = rmyy_auth.csrf_token(f"/tickets/{tid}")
    assert rmyy.post(f"/tickets/{tid}/transfer", data={
        "csrf_token": token, "transfer-window": "CD-SW-001", "transfer-reason": "x"}).status_code == 403
    with db():
        number = Session.get(Ticket, tid).number
    assert number in rmyy.get("/tickets/inbox").get_data(as_text=True)
    assert number not in unit.get("/tickets/inbox").get_data(as_text=True)


def test_a_transfer_of_a_closed_ticket_is_refused_on_the_page(app, district, db):
    fid = bad(db)
    with db():
        agency = users.get_user("agency")
        tid = ticket_open.open_from_feedback(agency, fid).id
    client, auth = signed_in(app, "agency")
    token = auth.csrf_token(f"/tickets/{tid}")
    with db():  # closed meanwhile, by someone else
        ticket_loop.respond(users.get_user("unit"), tid, "已整改")
        ticket_loop.verify(users.get_user("agency"), tid)
    text = _transfer(client, token, tid).get_data(as_text=True)
    assert "督办单已办结，不能转办" in text and 'id="transfer-form"' not in text


def test_opening_a_second_ticket_by_hand_asks_for_a_confirmation(app, district, db):
    with db():
        first = ticket_open.open_on_window(users.get_user("office"), "CD-SW-001", topic="attitude",
                                           problem="暗访发现", source="office")
        first_id, number = first.id, first.number
    office, auth = signed_in(app, "office")
    token = auth.csrf_token("/tickets/new")
    form = {"csrf_token": token, "window": "CD-SW-001", "topic": "attitude", "source": "office",
            "problem": "检查又发现"}
    text = office.post("/tickets/new", data=form).get_data(as_text=True)
    assert "已有未办结的督办单" in text and f'href="/tickets/{first_id}"' in text and number in text
    assert 'name="force" value="CD-SW-001|attitude"' in text and "仍然新建" in text
    with db():
        assert Session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
    # A confirmation for another window or topic does not carry over.
    resp = office.post("/tickets/new", data={**form, "window": "CD-SW-002",
                                             "force": "CD-SW-001|attitude"})
    assert resp.status_code == 302  # CD-SW-002 had none: opened without asking
    text = office.post("/tickets/new", data={**form, "topic": "efficiency", "window": "CD-SW-001",
                                             "force": "CD-SW-002|attitude"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已开督办单" in text
    text = office.post("/tickets/new", data={**form, "force": "CD-SW-002|attitude"}).get_data(as_text=True)
    assert "仍然新建" in text
    resp = office.post("/tickets/new", data={**form, "force": "CD-SW-001|attitude"})
    assert resp.status_code == 302
    with db():
        assert len(ticket_open.running_on(Session.get(Ticket, first_id).window_id, "attitude")) == 2


def test_a_cancelled_tickets_complaint_can_be_ticketed_again_from_its_page(app, district, db):
    fid = bad(db)
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid).id
        ticket_links.cancel_ticket(users.get_user("office"), tid, "误派")
    agency, auth = signed_in(app, "agency")
    page = agency.get(f"/feedback/{fid}").get_data(as_text=True)
    assert "已撤销" in page and "据此重新开督办单" in page
    token = auth.csrf_token(f"/tickets/new?feedback={fid}")
    resp = agency.post(f"/tickets/new?feedback={fid}", data={
        "csrf_token": token, "topic": "attitude", "problem": "请核实并整改"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with db():
        assert tickets.ticket_of_feedback(fid).id != tid
        assert tickets.feedback_of(tid) == []


def test_an_answered_round_takes_no_new_complaint_on_the_page(app, district, db):
    first, late = bad(db), bad(db)
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), first).id
        ticket_loop.respond(users.get_user("unit"), tid, "已整改")
        receipt = tickets.feedback_of(tid)[0].receipt_no
        late_receipt = Session.get(Feedback, late).receipt_no
    agency, auth = signed_in(app, "agency")
    page = agency.get(f"/tickets/{tid}").get_data(as_text=True)
    assert 'id="attach-form"' not in page and "待核验期间不能关联新的评价" in page
    # The late complaint's page offers no answered ticket, but a ticket of its own.
    page = agency.get(f"/feedback/{late}").get_data(as_text=True)
    assert "关联到本窗口同一问题的督办单" not in page and "据此开督办单" in page
    # Posted anyway (a page of before the answer): refused, said why.
    token = auth.csrf_token(f"/tickets/{tid}")
    text = agency.post(f"/tickets/{tid}/attach", data={"csrf_token": token, "receipt_no": late_receipt}
                       ).get_data(as_text=True)
    assert "这份答复没有涉及新的评价" in text
    with db():
        assert [f.receipt_no for f in tickets.feedback_of(tid)] == [receipt]
