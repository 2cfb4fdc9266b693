"""The agency's call-backs to do (回访): the ticket list filters the tickets still waiting for
their call-back, kept when exporting; a unit has no such filter (the call-back clock is the agency's, not the unit's). Wave 13 walkthrough."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import openpyxl

from feedback_api.db import Session
from feedback_api.services import ticket_loop, ticket_open, users
from tests.admin_web.test_tickets_pages import bad_review, signed_in


def _numbers(html: str) -> set[str]:
    return set(re.findall(r">(DB\d{8}-[A-Z0-9]+)<", html))


def test_the_tickets_waiting_for_a_call_back(app, district, db):
    with db():
        agency = users.get_user("agency")
        waiting = ticket_open.open_from_feedback(agency, bad_review(db, openid="oCb1")).number
        called = ticket_open.open_from_feedback(agency, bad_review(db, openid="oCb2"))
        ticket_loop.record_callback(agency, called.id, called_at=datetime.now(UTC),
                                    outcome="satisfied", note="群众认可")
        office = ticket_open.open_on_window(users.get_user("office"), "CD-SW-001", topic="process",
                                            problem="流程公示不全", source="office").number
        called = called.number
        Session.commit()
    client, _auth = signed_in(app, "agency")
    every = client.get("/tickets").get_data(as_text=True)
    assert {waiting, called, office} <= _numbers(every)
    assert '<select name="callback" aria-label="回访">' in every
    todo = client.get("/tickets?callback=pending").get_data(as_text=True)
    assert _numbers(todo) == {waiting}
    assert re.search(r'<option value="pending" selected>待回访</option>', todo)
    sheet = client.get("/tickets/export.xlsx?callback=pending")
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [waiting]
    unit, _ = signed_in(app, "unit")
    html = unit.get("/tickets?callback=pending").get_data(as_text=True)
    assert "待回访" not in html and {waiting, called, office} <= _numbers(html)
