"""Pages and API of grouping, detaching and cancelling tickets, and the unit's inbox in pages."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Ticket, Window
from feedback_api.services import ticket_jobs, ticket_open, tickets, users
from feedback_api.services.feedback import record_feedback
from tests.conftest import AuthActions
from wechat_bot.contacts import get_or_create_citizen

_openids = iter(f"oLinkPages{i:016d}" for i in range(10_000))


def bad(db, code="CD-SW-001", rating=1) -> int:
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
        item = record_feedback(window, citizen=get_or_create_citizen(next(_openids)),
                               channel="wechat", rating=rating, text=None).feedback
        item.reviewed_topics = ["attitude"]
        return item.id


def signed_in(app, name):
    client = app.test_client()
    auth = AuthActions(client)
    assert auth.login(name).status_code == 302
    return client, auth


def test_grouped_feedback_shows_on_the_ticket_and_a_reviewer_detaches_it(app, district, db):
    a, b = bad(db), bad(db, rating=2)
    with db():
        ticket_jobs.auto_open()
        tid = tickets.ticket_of_feedback(a).id
        receipts = [f.receipt_no for f in tickets.feedback_of(tid)]
    assert len(receipts) == 2
    agency, auth = signed_in(app, "agency")
    page = agency.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "关联评价 <small>2 条</small>" in page and "系统自动归并" in page
    assert all(r in page for r in receipts) and "解除" in page
    assert "撤销督办单" not in page  # the office's
    token = auth.csrf_token(f"/tickets/{tid}")
    # No reason: refused, said in Chinese, nothing changes.
    resp = agency.post(f"/tickets/{tid}/detach/{b}", data={"csrf_token": token, "detach-reason": ""},
                       follow_redirects=True)
    assert "请填写理由" in resp.get_data(as_text=True)
    with db():
        assert len(tickets.feedback_of(tid)) == 2
    resp = agency.post(f"/tickets/{tid}/detach/{b}",
                       data={"csrf_token": token, "detach-reason": "另一问题"}, follow_redirects=True)
    assert "已解除" in resp.get_data(as_text=True)
    with db():
        assert [f.id for f in tickets.feedback_of(tid)] == [a]
    # The last one stays: the reason is shown.
    resp = agency.post(f"/tickets/{tid}/detach/{a}",
                       data={"csrf_token": token, "detach-reason": "不需督办"}, follow_redirects=True)
    assert "唯一的关联评价" in resp.get_data(as_text=True)
    # From the detached feedback's page the reviewer attaches it again to the running ticket.
    page = agency.get(f"/feedback/{b}").get_data(as_text=True)
    assert "关联到本窗口同一问题的督办单" in page
    token = auth.csrf_token(f"/feedback/{b}")
    resp = agency.post(f"/feedback/{b}/attach-ticket", data={"csrf_token": token, "ticket_id": tid})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/tickets/{tid}")
    with db():
        assert [f.id for f in tickets.feedback_of(tid)] == [a, b]
    # The unit reads the ticket but neither detaches nor attaches.
    unit, unit_auth = signed_in(app, "unit")
    assert "解除" not in unit.get(f"/tickets/{tid}").get_data(as_text=True)
    token = unit_auth.csrf_token(f"/tickets/{tid}")
    assert unit.post(f"/tickets/{tid}/detach/{b}",
                     data={"csrf_token": token, "detach-reason": "x"}).status_code == 403


def test_the_office_cancels_a_ticket_on_its_page(app, district, db):
    fid = bad(db)
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid).id
    unit, _ = signed_in(app, "unit")
    assert "待办督办单" in unit.get("/tickets/inbox").get_data(as_text=True)
    with db():
        number = Session.get(Ticket, tid).number
    assert number in unit.get("/tickets/inbox").get_data(as_text=True)
    office, auth = signed_in(app, "office")
    page = office.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "撤销督办单" in page
    token = auth.csrf_token(f"/tickets/{tid}")
    resp = office.post(f"/tickets/{tid}/cancel", data={"csrf_token": token, "cancel-reason": ""},
                       follow_redirects=True)
    assert "请填写理由" in resp.get_data(as_text=True)
    resp = office.post(f"/tickets/{tid}/cancel",
                       data={"csrf_token": token, "cancel-reason": "经核实不属于窗口责任"},
                       follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "督办单已撤销" in page and "经核实不属于窗口责任" in page and "已停止" in page
    assert "撤销督办单" not in page and "提交整改情况" not in page
    assert number not in unit.get("/tickets/inbox").get_data(as_text=True)
    assert number in office.get("/tickets?state=cancelled").get_data(as_text=True)
    agency, agency_auth = signed_in(app, "agency")
    token = agency_auth.csrf_token(f"/tickets/{tid}")
    assert agency.post(f"/tickets/{tid}/cancel",
                       data={"csrf_token": token, "cancel-reason": "x"}).status_code == 403


def test_the_inbox_goes_in_pages(app, district, db):
    with db():
        office = users.get_user("office")
        ids = [ticket_open.open_on_window(office, "CD-SW-001", topic="attitude", problem=f"问题 {i}",
                                          source="office").id for i in range(23)]
        numbers = {t.id: t.number for t in Session.scalars(sa.select(Ticket))}
    unit, _ = signed_in(app, "unit")
    first = unit.get("/tickets/inbox").get_data(as_text=True)
    second = unit.get("/tickets/inbox?page=2").get_data(as_text=True)
    assert "共 23 件" in first and 'href="/tickets/inbox?page=2"' in first.replace("&amp;", "&")
    on_first = {i for i in ids if numbers[i] in first}
    on_second = {i for i in ids if numbers[i] in second}
    assert len(on_first) == 20 and len(on_second) == 3 and not on_first & on_second
    with db():
        items, total = tickets.inbox(users.get_user("unit"), page=2, per_page=20)
        assert total == 23 and [t.id for t in items] == sorted(on_second)


def test_the_api_cancels_a_ticket(app, district, db, client, token_for):
    fid = bad(db)
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid).id
    resp = client.post(f"/api/v1/tickets/{tid}/cancel", json={"reason": "重复"},
                       headers=token_for("agency"))
    assert resp.status_code == 403 and resp.is_json
    resp = client.post(f"/api/v1/tickets/{tid}/cancel", json={"reason": ""}, headers=token_for("office"))
    assert resp.status_code == 400 and resp.is_json
    resp = client.post(f"/api/v1/tickets/{tid}/cancel", json={"reason": "重复督办"},
                       headers=token_for("office"))
    body = resp.get_json()
    assert resp.status_code == 200 and body["state"] == "cancelled" and body["state_name"] == "已撤销"
    assert body["cancel_reason"] == "重复督办" and body["closed_at"] is not None
    resp = client.post(f"/api/v1/tickets/{tid}/cancel", json={"reason": "再次"},
                       headers=token_for("office"))
    assert resp.status_code == 409
    listed = client.get("/api/v1/tickets?state=active", headers=token_for("office")).get_json()
    assert tid not in [t["id"] for t in listed["items"]]
    listed = client.get("/api/v1/tickets?state=cancelled", headers=token_for("unit")).get_json()
    assert [t["id"] for t in listed["items"]] == [tid]


def test_a_refused_detach_or_cancel_opens_at_its_form(app, district, db):
    """As the ticket page's other forms: a refused detach or cancel shows the page again at the
    form (its own row for a detach), the reason typed kept, and a summary at the top linking there."""
    a, b = bad(db), bad(db, rating=2)
    with db():
        ticket_jobs.auto_open()
        tid = tickets.ticket_of_feedback(a).id
    office, auth = signed_in(app, "office")
    page = office.get(f"/tickets/{tid}").get_data(as_text=True)
    for fid in (a, b):
        assert f'action="/tickets/{tid}/detach/{fid}#detach-{fid}" id="detach-{fid}"' in page
    assert f'action="/tickets/{tid}/cancel#cancel-form" id="cancel-form"' in page
    token = auth.csrf_token(f"/tickets/{tid}")

    def summary(resp) -> str:
        page = resp.get_data(as_text=True)
        assert resp.status_code == 200 and page.index("form-error-summary") < page.index('id="linked"')
        return page.split('id="form-error-summary"', 1)[1].split("</p>", 1)[0]

    resp = office.post(f"/tickets/{tid}/detach/{b}", data={"csrf_token": token, "detach-reason": ""})
    assert f'<a href="#detach-{b}">解除关联表单</a>' in summary(resp)
    row = resp.get_data(as_text=True).split(f'id="detach-{b}"', 1)[1].split("</form>", 1)[0]
    assert "field-error" in row and "请填写理由" in row
    office.post(f"/tickets/{tid}/detach/{b}", data={"csrf_token": token, "detach-reason": "另一问题"})
    # The service refuses the last one: the reason typed stays in that row.
    resp = office.post(f"/tickets/{tid}/detach/{a}", data={"csrf_token": token, "detach-reason": "不需督办"})
    assert f'<a href="#detach-{a}">解除关联表单</a>' in summary(resp)
    page = resp.get_data(as_text=True)
    assert "唯一的关联评价" in page
    assert 'value="不需督办"' in page.split(f'id="detach-{a}"', 1)[1].split("</form>", 1)[0]
    resp = office.post(f"/tickets/{tid}/cancel", data={"csrf_token": token, "cancel-reason": ""})
    assert '<a href="#cancel-form">撤销督办单表单</a>' in summary(resp)
    form = resp.get_data(as_text=True).split('id="cancel-form"', 1)[1].split("</form>", 1)[0]
    assert "field-error" in form and "请填写理由" in form
    with db():
        assert Session.get(Ticket, tid).state == "open"
