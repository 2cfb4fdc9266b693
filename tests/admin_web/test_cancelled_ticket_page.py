"""A cancelled ticket's page offers no form the service refuses: no call-back to record (its
clocks stopped; the service says 无需回访), while the call-backs made before stay listed."""

from __future__ import annotations

from datetime import timedelta

from feedback_api.db import utcnow
from feedback_api.services import ticket_links, ticket_loop, ticket_open, users
from tests.admin_web.test_tickets_pages import bad_review, signed_in


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
