"""No call-back where there is none to make: a cancelled ticket's page offers no form (its clocks
stopped; the service says 无需回访), while the call-backs made before stay listed; a ticket with no
citizen (an inspection's) takes none."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from feedback_api.db import utcnow
from feedback_api.services import ticket_links, ticket_loop, ticket_open, users
from feedback_api.services import tickets as ticket_service
from tests.admin_web.test_tickets_pages import bad_review, signed_in

SH = ZoneInfo("Asia/Shanghai")


def test_a_cancelled_ticket_offers_no_callback_form(app, district, db):
    fid = bad_review(db)
    with db():
        agency = users.get_user("agency")
        tid = ticket_open.open_from_feedback(agency, fid).id
        ticket_loop.record_callback(agency, tid, called_at=utcnow() - timedelta(minutes=5),
                                    outcome="unreachable", note="电话无人接听")
    client, _auth = signed_in(app, "agency")
    assert 'id="callback-form"' in client.get(f"/tickets/{tid}").get_data(as_text=True)
    with db():
        ticket_links.cancel_ticket(users.get_user("office"), tid, "评价系误扫其他窗口二维码")
    page = client.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "已撤销" in page and "电话无人接听" in page
    assert 'id="callback-form"' not in page and "登记回访" not in page


def test_a_ticket_without_a_citizen_takes_no_callback(app, district, db):
    """An inspection's ticket has nobody to call back (its page says 无需回访): a posted
    call-back is refused in Chinese and nothing is stored."""
    with db():
        tid = ticket_open.open_on_window(users.get_user("agency"), "CD-SW-001", topic="environment",
                                         problem="候办区座椅破损", source="inspection").id
    client, auth = signed_in(app, "agency")
    page = client.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "无需回访" in page and 'id="callback-form"' not in page
    resp = client.post(f"/tickets/{tid}/callback", data={
        "csrf_token": auth.csrf_token(f"/tickets/{tid}"),
        "called_at": (utcnow() - timedelta(hours=1)).astimezone(SH).strftime("%Y-%m-%dT%H:%M"),
        "outcome": "satisfied"})
    assert resp.status_code == 200 and "无需回访" in resp.get_data(as_text=True)
    with db():
        assert ticket_service.callbacks_of(tid) == []
