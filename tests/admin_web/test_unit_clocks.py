"""A unit sees its own deadline clock (整改时限), not the agency's call-back (回访) clock: a late
call-back is the agency's lateness, never the unit's (tickets.late_clause), so a red 回访 on the
unit's inbox, desk, ticket page or export would read as the unit's. The industry authority, which
counts only the units' lateness, sees the same; the agency and the office see both clocks."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from feedback_api.db import Session
from feedback_api.models import Window
from feedback_api.services import ticket_open, users
from feedback_api.services.feedback import record_feedback
from feedback_api.services.workdays import Calendar, local_today
from tests.admin_web.test_ticket_deadlines import _cells
from tests.admin_web.test_tickets_pages import signed_in
from wechat_bot.contacts import get_or_create_citizen


def _late_callback(db, code: str = "CD-SW-001") -> str:
    """A ticket of window ``code`` whose call-back is a day late; its fix is due far off."""
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
        fid = record_feedback(window, citizen=get_or_create_citizen(f"oUnitClock{code:>15}"),
                              channel="wechat", rating=1, text="窗口人员态度很差").feedback.id
        ticket = ticket_open.open_from_feedback(users.get_user("agency"), fid)
        ticket.callback_due = local_today() - timedelta(days=1)
        ticket.rounds[-1].due = ticket.fix_due = Calendar().add(local_today(), 20)
        return ticket.number


def test_the_units_lists_show_its_own_clock_not_the_callback(app, district, db):
    numbers = {"unit": _late_callback(db), "authority": _late_callback(db, "CD-RMYY-001")}
    for name, number in numbers.items():  # the authority supervises the hospital's windows
        client, _ = signed_in(app, name)
        for path in ("/tickets/inbox", "/tickets") if name == "unit" else ("/tickets",):
            row = _cells(client.get(path).get_data(as_text=True), number)
            assert "回访时限" not in row and "clock-" not in "".join(row.values()), (name, path)
            assert "整改截止" in row
    agency, _ = signed_in(app, "agency")
    for number in numbers.values():
        assert "clock-red" in _cells(agency.get("/tickets").get_data(as_text=True), number)["回访时限"]


def test_the_units_ticket_page_shows_its_own_clock_only(app, district, db):
    number = _late_callback(db)
    unit, _ = signed_in(app, "unit")
    inbox = unit.get("/tickets/inbox").get_data(as_text=True)
    path = inbox.split(number)[0].rsplit('href="', 1)[1].split('"')[0]
    page = unit.get(path).get_data(as_text=True)
    clocks = page.split("<dt>时限</dt>", 1)[1].split("</dd>", 1)[0]
    assert "第 1 轮整改" in clocks and "回访" not in clocks and "clock-red" not in clocks
    office, _ = signed_in(app, "office")
    clocks = office.get(path).get_data(as_text=True).split("<dt>时限</dt>", 1)[1].split("</dd>", 1)[0]
    assert "回访" in clocks and "clock-red" in clocks


def test_the_units_export_has_no_callback_columns(app, district, db):
    number = _late_callback(db)
    unit, _ = signed_in(app, "unit")
    header, *rows = load_workbook(io.BytesIO(unit.get("/tickets/export.xlsx").data)).active.values
    assert [r[0] for r in rows] == [number]
    assert "整改时限" in header and not [h for h in header if "回访" in h]
    office, _ = signed_in(app, "office")
    header = next(load_workbook(io.BytesIO(office.get("/tickets/export.xlsx").data)).active.values)
    assert [h for h in header if "回访" in h] == ["回访截止", "回访时限", "回访超期"]


CALLBACK_FIELDS = {"callback_due", "callback_clock", "callback_overdue"}


def test_the_api_gives_units_their_own_clock_only(app, district, db, client, token_for):
    """The JSON API as the pages: a unit's and its authority's tickets (list, one, the answer
    to a write) carry no call-back field; the agency's and the office's carry all three."""
    numbers = {"unit": _late_callback(db), "authority": _late_callback(db, "CD-RMYY-001")}
    for name, number in numbers.items():
        headers = token_for(name)
        items = {t["number"]: t for t in
                 client.get("/api/v1/tickets", headers=headers).get_json()["items"]}
        assert items[number]["fix_clock"]["label"] == "第 1 轮整改", name
        assert not CALLBACK_FIELDS & set(items[number]), name
        one = client.get(f"/api/v1/tickets/{items[number]['id']}", headers=headers).get_json()
        assert one["fix_clock"] and not CALLBACK_FIELDS & set(one), name
    unit = token_for("unit")
    tid = client.get("/api/v1/tickets", headers=unit).get_json()["items"][0]["id"]
    answered = client.post(f"/api/v1/tickets/{tid}/respond", headers=unit,
                           json={"text": "已整改"})
    assert answered.status_code == 200, answered.get_json()
    assert answered.get_json()["state"] == "responded"
    assert not CALLBACK_FIELDS & set(answered.get_json())
    for name in ("agency", "office"):
        items = {t["number"]: t for t in
                 client.get("/api/v1/tickets", headers=token_for(name)).get_json()["items"]}
        for number in numbers.values():
            assert items[number]["callback_clock"]["state"] == "red", name
            assert items[number]["callback_due"] and items[number]["callback_overdue"] is False
    # The document says so, and does not promise the fields to everyone.
    ticket = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["TicketSummary"]
    assert not CALLBACK_FIELDS & set(ticket.get("required", []))
    for field in CALLBACK_FIELDS:
        assert "窗口单位和行业主管部门" in ticket["properties"][field]["description"], field
