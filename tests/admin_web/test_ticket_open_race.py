"""Two agency clerks open a ticket from one feedback at the same moment (or the automatic job
and a clerk): the second waits for the first and is told the feedback already has its ticket,
never a 500 from the database's unique key, never two tickets."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Ticket
from feedback_api.services import ticket_open, users
from tests.admin_web.test_tickets_pages import bad_review, signed_in
from tests.race_helpers import request_while_held


def test_the_second_clerk_is_told_the_feedback_has_its_ticket(app, district, db):
    fid = bad_review(db)
    agency, auth = signed_in(app, "agency")
    token = auth.csrf_token(f"/tickets/new?feedback={fid}")
    resp = request_while_held(
        app, lambda: ticket_open.open_from_feedback(users.get_user("agency"), fid),
        lambda: agency.post(f"/tickets/new?feedback={fid}", data={
            "csrf_token": token, "topic": "attitude", "problem": "请核实并整改"}),
        reach=1.0, wait=20)  # the second clerk's request reaches the database and waits
    assert resp.status_code == 200, resp.status_code
    assert "已关联其他督办单" in resp.get_data(as_text=True)
    with db():
        assert Session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
