"""What counts as 超期 for whom: a unit counts only its own lateness (a round answered late or not
at all); the agency's late call-back (回访超期) is the agency's, so the agency and the office see
both; a cancelled ticket is never among 有超期, whoever looks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Ticket, Window
from feedback_api.services import ticket_jobs, ticket_links, ticket_loop, ticket_open, users
from feedback_api.services.feedback import record_feedback
from tests.conftest import AuthActions
from wechat_bot.contacts import get_or_create_citizen

OPENED = datetime.now(UTC) - timedelta(days=40)


def _ticket(db, openid: str) -> tuple[int, str]:
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        fid = record_feedback(window, citizen=get_or_create_citizen(openid), channel="wechat",
                              rating=1, text="排队太久", received_at=OPENED).feedback.id
        t = ticket_open.open_from_feedback(users.get_user("agency"), fid, now=OPENED)
        return t.id, t.number


def _tickets(db) -> dict[str, str]:
    """Three tickets of the unit's window, 40 days old: the unit answered one on time but the
    agency never called the citizen back; one the unit never answered; one the unit never
    answered and the office then cancelled."""
    callback_late, callback_late_no = _ticket(db, "oUnitLate00000000000000001")
    _, unit_late_no = _ticket(db, "oUnitLate00000000000000002")
    cancelled, cancelled_no = _ticket(db, "oUnitLate00000000000000003")
    with db():
        ticket_loop.respond(users.get_user("unit"), callback_late, "已提醒窗口人员",
                            now=OPENED + timedelta(hours=2))
        report = ticket_jobs.mark_overdue()
        assert report == "2 rounds and 3 call-backs newly marked overdue", report
        ticket_links.cancel_ticket(users.get_user("office"), cancelled, "同一问题已由上级督办")
        t = Session.get(Ticket, callback_late)
        assert (t.state, t.overdue, t.callback_overdue) == ("responded", False, True)
        assert Session.get(Ticket, cancelled).overdue is True
    return {"callback": callback_late_no, "unit": unit_late_no, "cancelled": cancelled_no}


def _client(app, name: str):
    client = app.test_client()
    assert AuthActions(client).login(name).status_code == 302
    return client


def _box(client) -> str:
    page = client.get("/").get_data(as_text=True)
    box = re.search(r'<section class="card home-tickets">(.*?)</section>', page, re.S)
    assert box, page
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", box.group(1)))


def _listed(client, query: str) -> str:
    return client.get(f"/tickets?{query}").get_data(as_text=True).split("<tbody>")[1]


@pytest.mark.parametrize("name", ["unit", "authority-tax"])
def test_a_unit_and_its_authority_count_only_the_units_lateness(app, db, district, token_for, name):
    # The industry's authority supervises the units' rectification; the call-back is the agency's.
    with db():
        users.create_user(None, "authority-tax", role="authority", password="authority-tax-password",
                          scopes=["tax"])
    numbers = _tickets(db)
    client = _client(app, name)
    box = _box(client)
    assert "在办督办单 2 件" in box and "其中超期 1 件" in box, box
    assert "整改超期" not in box and "回访超期" not in box, box  # their own figure only
    late = _listed(client, "overdue=1")
    assert numbers["unit"] in late
    assert numbers["callback"] not in late and numbers["cancelled"] not in late
    on_time = _listed(client, "overdue=0")
    assert numbers["callback"] in on_time and numbers["unit"] not in on_time
    body = app.test_client().get("/api/v1/tickets?overdue=true", headers=token_for(name)).get_json()
    assert {t["number"] for t in body["items"]} == {numbers["unit"]}


def test_the_agency_and_the_office_see_both_kinds_and_never_a_cancelled_ticket(app, db, district):
    numbers = _tickets(db)
    for name in ("agency", "office"):
        client = _client(app, name)
        box = _box(client)
        # Split: the unit's never answered round, and both call-backs (the never answered ticket
        # is late on both counts, so in both figures).
        assert "在办督办单 2 件" in box and "其中整改超期 1 件、回访超期 2 件" in box, (name, box)
        assert "其中超期" not in box, (name, box)
        late = _listed(client, "overdue=1")
        assert numbers["unit"] in late and numbers["callback"] in late, name
        assert numbers["cancelled"] not in late, name
        # On the desk the call-back's lateness is named as the agency's.
        row = next(r for r in late.split("<tr>") if numbers["callback"] in r)
        assert "回访已超期" in row, row
        assert numbers["unit"] not in _listed(client, "overdue=0")


def test_the_api_filter_follows_the_same_rule(app, db, district, token_for):
    numbers = _tickets(db)
    client = app.test_client()

    def late(name: str) -> set[str]:
        body = client.get("/api/v1/tickets?overdue=true", headers=token_for(name)).get_json()
        return {t["number"] for t in body["items"]}

    assert late("unit") == {numbers["unit"]}
    assert late("agency") == {numbers["unit"], numbers["callback"]}
