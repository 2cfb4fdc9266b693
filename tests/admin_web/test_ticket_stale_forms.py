"""Two people on one ticket at once: a verdict or a response typed on a page that showed an
earlier round is refused (with the round it is now at), never applied to a round its author has
not seen."""

from __future__ import annotations

import re

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import FeedbackAnswer, Ticket
from feedback_api.services import ticket_open, users
from tests.admin_web.test_tickets_pages import bad_review, signed_in


def _flashes(resp) -> list[str]:
    return re.findall(r'class="flash flash-error"[^>]*>([^<]*)', resp.get_data(as_text=True))


def _ticket(db) -> int:
    fid = bad_review(db)
    with db():
        users.create_user(None, "agency2", role="agency", password="agency2-password", scopes=[])
        return ticket_open.open_from_feedback(users.get_user("agency"), fid).id


def _respond(unit, token, tid, text):
    return unit.post(f"/tickets/{tid}/respond", data={"csrf_token": token, "text": text},
                     content_type="multipart/form-data")


def _form_of(client, tid, form_id) -> dict[str, str]:
    """The hidden fields of one form of the ticket's page, as the browser would post them."""
    html = client.get(f"/tickets/{tid}").get_data(as_text=True)
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', html, re.S).group(0)
    return dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"', form)
                + re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))


def test_a_verdict_from_a_page_of_an_earlier_round_is_refused(app, district, db):
    tid = _ticket(db)
    unit, unit_auth = signed_in(app, "unit")
    agency, _ = signed_in(app, "agency")
    colleague, _ = signed_in(app, "agency2")
    utoken = unit_auth.csrf_token(f"/tickets/{tid}")
    assert _respond(unit, utoken, tid, "已批评教育当事人").status_code == 302
    # Both agency clerks open the page of round 1's response.
    mine, stale = _form_of(agency, tid, "verdict-form"), _form_of(colleague, tid, "verdict-form")
    assert agency.post(f"/tickets/{tid}/verdict", data={
        **mine, "action": "send_back", "reason": "未说明长效措施"}).status_code == 302
    assert _respond(unit, utoken, tid, "第二轮：已建立周检制度").status_code == 302
    # The colleague's page still shows round 1: its verify must not close round 2 unseen.
    resp = colleague.post(f"/tickets/{tid}/verdict", data={
        **stale, "action": "verify", "reason": "第一轮整改到位"})
    assert resp.status_code == 200
    assert any("第 2 轮" in m and "刷新" in m for m in _flashes(resp)), _flashes(resp)
    with db():
        ticket = Session.get(Ticket, tid)
        assert ticket.state == "responded" and ticket.rounds[-1].verdict is None
        assert Session.scalar(sa.select(sa.func.count()).select_from(FeedbackAnswer)) == 0
    # Its page now shows round 2's form: verifying from there works.
    fresh = _form_of(colleague, tid, "verdict-form")
    assert colleague.post(f"/tickets/{tid}/verdict", data={
        **fresh, "action": "verify", "reason": "整改到位"}).status_code == 302
    with db():
        assert Session.get(Ticket, tid).state == "closed"


def test_a_response_typed_in_an_earlier_round_is_refused(app, district, db):
    tid = _ticket(db)
    unit, unit_auth = signed_in(app, "unit")
    agency, _ = signed_in(app, "agency")
    stale = _form_of(unit, tid, "respond-form")  # a clerk opens round 1 and types slowly
    assert unit.post(f"/tickets/{tid}/respond", data={**stale, "text": "已整改"},
                     content_type="multipart/form-data").status_code == 302
    verdict = _form_of(agency, tid, "verdict-form")
    assert agency.post(f"/tickets/{tid}/verdict", data={
        **verdict, "action": "send_back", "reason": "未附照片"}).status_code == 302
    resp = unit.post(f"/tickets/{tid}/respond", data={**stale, "text": "第一轮的另一份说明"},
                     content_type="multipart/form-data")
    assert resp.status_code == 200
    assert any("第 2 轮" in m for m in _flashes(resp)), _flashes(resp)
    with db():
        assert Session.get(Ticket, tid).state == "open"
