"""The ticket lists (the unit's inbox, the agency's and the office's desk, its Excel export) show
how close each ticket's fix deadline is by the ticket page's rule, from the clock: red past the
current round's deadline even before the half-hourly job has marked it, amber within the
soon-window (WW_AMBER_WORKDAYS), plain otherwise; always in words, never colour alone."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from feedback_api.db import Session, utcnow
from feedback_api.models import Ticket, Window
from feedback_api.services import ticket_loop, ticket_open, users
from feedback_api.services.feedback import record_feedback
from feedback_api.services.workdays import Calendar, local_today
from tests.admin_web.test_tickets_pages import signed_in
from wechat_bot.contacts import get_or_create_citizen


def _ticket_due(db, code: str, due: date) -> str:
    """A ticket on window ``code`` whose current round is due on ``due`` (nothing marked)."""
    with db():
        ticket = ticket_open.open_on_window(users.get_user("office"), code, topic="attitude",
                                            problem="请整改窗口服务态度", source="office")
        ticket.rounds[-1].due = ticket.fix_due = due
        return ticket.number


def _row(page: str, number: str) -> str:
    rows = [r for r in re.findall(r"<tr>.*?</tr>", page, re.S) if number in r]
    assert len(rows) == 1, number
    return rows[0]


def _amber_red_plain(db, make) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Three tickets made by ``make(i, due)``: due next working day, due yesterday, due far off."""
    with db():
        cal, today = Calendar(), local_today()
        soon, far = cal.add(today, 1), cal.add(today, 20)
    return {"amber": make(0, soon), "red": make(1, today - timedelta(days=1)), "plain": make(2, far)}


def _three(db) -> dict[str, str]:
    """Three tickets of the unit CD-SW (fix clocks amber, red, plain)."""
    codes = ("CD-SW-001", "CD-SW-002", "CD-SW-001")
    return _amber_red_plain(db, lambda i, due: _ticket_due(db, codes[i], due))


def _shows_the_clocks(page: str, numbers: dict[str, str]) -> None:
    amber, red, plain = (_row(page, numbers[k]) for k in ("amber", "red", "plain"))
    assert "clock-amber" in amber and "即将到期（剩 1 个工作日）" in amber and "clock-red" not in amber
    assert "clock-red" in red and "已超期" in red and "clock-amber" not in red
    assert "曾超期" not in red  # the job has not marked it: the clock alone says so
    assert "clock-" not in plain and "超期" not in plain and "即将到期" not in plain


def test_the_units_inbox_shows_amber_red_and_plain_from_the_clock(app, district, db):
    numbers = _three(db)
    with db():  # nothing marked yet: the half-hourly job has not run
        assert not Session.scalars(sa.select(Ticket).where(Ticket.overdue.is_(True))).first()
    unit, _ = signed_in(app, "unit")
    _shows_the_clocks(unit.get("/tickets/inbox").get_data(as_text=True), numbers)


def test_the_agencys_and_the_offices_desk_show_the_same(app, district, db):
    numbers = _three(db)
    for name in ("agency", "office", "unit"):
        client, _ = signed_in(app, name)
        _shows_the_clocks(client.get("/tickets").get_data(as_text=True), numbers)


def test_another_unit_sees_none_of_them(app, district, db):
    numbers = _three(db)
    with db():
        users.create_user(None, "hospital", role="unit", password="hospital-password",
                          scopes=["CD-RMYY"])
    other, _ = signed_in(app, "hospital")
    for path in ("/tickets/inbox", "/tickets"):
        page = other.get(path).get_data(as_text=True)
        assert not any(n in page for n in numbers.values())
        assert "clock-amber" not in page and "clock-red" not in page


def test_the_page_and_the_list_use_one_rule(app, district, db):
    numbers = _three(db)
    agency, _ = signed_in(app, "agency")
    with db():
        tid = Session.scalars(sa.select(Ticket.id).where(Ticket.number == numbers["amber"])).one()
    page = agency.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "clock-amber" in page and "即将到期（剩 1 个工作日）" in page


def _export_column(app, column: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The office's ticket export: ``column`` of each row, by ticket number."""
    office, _ = signed_in(app, "office")
    header, *rows = load_workbook(io.BytesIO(office.get("/tickets/export.xlsx").data)).active.values
    at = header.index(column)
    return {r[0]: r[at] for r in rows}


def test_the_excel_export_carries_the_clock_as_a_column(app, district, db):
    numbers = _three(db)
    by_number = _export_column(app, "整改时限")
    assert by_number[numbers["amber"]] == "即将到期（剩 1 个工作日）"
    assert by_number[numbers["red"]] == "已超期"
    assert by_number[numbers["plain"]] == "未到期"


def _same_statements_per_page(app, batches, fetch, check) -> None:  # type: ignore[no-untyped-def]
    """After each batch of rows is added (``batches``: callables), one ``fetch()`` (a second one:
    a session's first page has its own reads and writes) sends as many statements as after the
    first batch: the page costs no query per row. ``check`` asserts on each counted response."""
    engine = app.extensions["ww_engine"]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    runs = []
    for add in batches:
        add()
        fetch()
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            response = fetch()
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        check(response)
        runs.append(len(statements))
    assert runs[0] == runs[1], runs


def _ok(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200


def test_the_lists_clocks_cost_no_query_per_row(app, district, db):
    with db():
        cal, today = Calendar(), local_today()
        dues = [cal.add(today, 1 + 3 * i) for i in range(6)]
    unit, _ = signed_in(app, "unit")

    def tickets_due(added):  # type: ignore[no-untyped-def]
        return lambda: [_ticket_due(db, "CD-SW-001", due) for due in added]

    _same_statements_per_page(app, (tickets_due(dues[:1]), tickets_due(dues[1:])),
                              lambda: unit.get("/tickets/inbox"), _ok)


def test_the_desks_overdue_filter_finds_what_it_shows_red(app, district, db):
    """"有超期" lists a round past its deadline before the job marks it, as the row shows it."""
    numbers = _three(db)
    agency, _ = signed_in(app, "agency")
    late = agency.get("/tickets?overdue=1").get_data(as_text=True).split("<tbody>")[1]
    on_time = agency.get("/tickets?overdue=0").get_data(as_text=True).split("<tbody>")[1]
    assert numbers["red"] in late and numbers["amber"] not in late and numbers["plain"] not in late
    assert numbers["red"] not in on_time and numbers["amber"] in on_time and numbers["plain"] in on_time
    with db():
        assert Session.scalar(sa.select(sa.func.count()).select_from(Ticket)
                              .where(Ticket.overdue.is_(True))) == 0
    workbook = load_workbook(io.BytesIO(agency.get("/tickets/export.xlsx?overdue=1").data)).active
    assert [r[0] for r in workbook.values][1:] == [numbers["red"]]


# The call-back (回访) clock: the same rule, on the same lists, until the first call-back.

def _callback_due(db, openid: str, due: date) -> str:
    """A ticket from a feedback on CD-SW-001 whose call-back is due on ``due`` (fix far off)."""
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        fid = record_feedback(window, citizen=get_or_create_citizen(openid), channel="wechat",
                              rating=1, text="窗口人员态度很差").feedback.id
        ticket = ticket_open.open_from_feedback(users.get_user("agency"), fid)
        ticket.callback_due = due
        ticket.rounds[-1].due = ticket.fix_due = Calendar().add(local_today(), 20)
        return ticket.number


def _three_callbacks(db) -> dict[str, str]:
    """Three tickets whose call-back clocks are amber, red and plain."""
    return _amber_red_plain(db, lambda i, due: _callback_due(db, f"oClockCallback{i + 1:011d}", due))


def _call_back(db, number: str) -> int:
    with db():
        tid = Session.scalars(sa.select(Ticket.id).where(Ticket.number == number)).one()
        ticket_loop.record_callback(users.get_user("agency"), tid, called_at=utcnow(),
                                    outcome="satisfied")
        return tid


def _cells(page: str, number: str) -> dict[str, str]:
    """The row of ticket ``number`` by its column's header."""
    head = re.findall(r"<th>([^<]*)</th>", page.split("<thead>", 1)[1].split("</thead>", 1)[0])
    return dict(zip(head, re.findall(r"<td[^>]*>(.*?)</td>", _row(page, number), re.S),
                    strict=True))


def test_the_desks_show_the_callback_clock_until_the_first_call_back(app, district, db):
    """The call-back clock has its own column (回访时限), apart from the fix deadline's, on the
    desks of those who make call-backs or oversee them (the unit's is in test_unit_clocks)."""
    numbers = _three_callbacks(db)
    for name in ("agency", "office"):
        client, _ = signed_in(app, name)
        page = client.get("/tickets").get_data(as_text=True)
        amber, red, plain = (_cells(page, numbers[k]) for k in ("amber", "red", "plain"))
        for row in (amber, red, plain):  # the fix is due far off: its cell shows no clock
            assert "clock-" not in row["整改截止"] and "回访" not in row["整改截止"]
        assert "clock-amber" in amber["回访时限"] and "即将到期（剩 1 个工作日）" in amber["回访时限"]
        assert "clock-red" in red["回访时限"] and "已超期" in red["回访时限"]
        assert "曾超期" not in red["回访时限"]  # not marked by the job yet
        assert "clock-" not in plain["回访时限"] and re.search(r"\d{4}-\d\d-\d\d", plain["回访时限"])
    _call_back(db, numbers["amber"])  # done in time: the clock stops
    _call_back(db, numbers["red"])  # done late: the clock stops, the record stays
    agency, _ = signed_in(app, "agency")
    page = agency.get("/tickets").get_data(as_text=True)
    amber, red = _cells(page, numbers["amber"]), _cells(page, numbers["red"])
    assert "clock-" not in amber["回访时限"] and "已回访" in amber["回访时限"]
    assert "已超期" not in red["回访时限"] and "曾超期" in red["回访时限"]


def test_the_excel_export_carries_the_callback_clock(app, district, db):
    numbers = _three_callbacks(db)
    fix_only = _ticket_due(db, "CD-SW-002", local_today() + timedelta(days=30))
    _call_back(db, numbers["plain"])
    by_number = _export_column(app, "回访时限")
    assert by_number[numbers["amber"]] == "即将到期（剩 1 个工作日）"
    assert by_number[numbers["red"]] == "已超期"
    assert by_number[numbers["plain"]] == "按期完成"
    assert by_number[fix_only] in (None, "")


def _callbacks_due(db, prefix: str, batch: range):  # type: ignore[no-untyped-def]
    """Tickets whose call-back is due in 1, 2, … days, every other one called back."""
    def add() -> None:
        for i in batch:
            number = _callback_due(db, f"{prefix}{i:06d}", local_today() + timedelta(days=i))
            if i % 2:
                _call_back(db, number)
    return add


def test_the_desks_callback_clocks_cost_no_query_per_row(app, district, db):
    agency, _ = signed_in(app, "agency")
    _same_statements_per_page(
        app, (_callbacks_due(db, "oClockCallbackCount", range(1)),
              _callbacks_due(db, "oClockCallbackCount", range(1, 6))),
        lambda: agency.get("/tickets"), _ok)


def test_the_apis_ticket_items_carry_both_clocks(app, district, db, client, token_for):
    numbers = _three_callbacks(db)
    late_fix = _ticket_due(db, "CD-SW-002", local_today() - timedelta(days=1))
    done = _call_back(db, numbers["plain"])
    agency = token_for("agency")
    items = {t["number"]: t for t in client.get("/api/v1/tickets", headers=agency).get_json()["items"]}
    amber = items[numbers["amber"]]
    assert amber["callback_clock"]["state"] == "amber"
    assert amber["callback_clock"]["text"] == "即将到期（剩 1 个工作日）"
    assert amber["callback_clock"]["label"] == "回访" and amber["callback_clock"]["done_at"] is None
    assert amber["fix_clock"]["state"] == "ok" and amber["fix_clock"]["label"] == "第 1 轮整改"
    assert amber["fix_clock"]["due"] == amber["fix_due"]
    assert items[numbers["red"]]["callback_clock"]["state"] == "red"
    assert items[numbers["plain"]]["callback_clock"]["state"] == "done"
    assert items[late_fix]["fix_clock"] == {**items[late_fix]["fix_clock"], "state": "red",
                                            "text": "已超期"}
    assert items[late_fix]["callback_clock"] is None  # not from a feedback: no call-back
    # One ticket, by the same rule; its clocks are read-only in the API's document.
    one = client.get(f"/api/v1/tickets/{done}", headers=agency).get_json()
    assert one["callback_clock"] == items[numbers["plain"]]["callback_clock"]
    assert one["fix_clock"] == items[numbers["plain"]]["fix_clock"]
    spec = client.get("/api/v1/openapi.json").get_json()
    props = spec["components"]["schemas"]["TicketSummary"]["properties"]
    assert props["fix_clock"].get("readOnly") and props["callback_clock"].get("readOnly")


def test_the_apis_list_clocks_cost_no_query_per_row(app, district, db, client, token_for):
    agency = token_for("agency")

    def every_item_has_both_clocks(response) -> None:  # type: ignore[no-untyped-def]
        assert response.status_code == 200
        assert all(t["fix_clock"] and t["callback_clock"] for t in response.get_json()["items"])

    # The token's first use has its own writes: the helper's first, uncounted fetch takes them.
    _same_statements_per_page(
        app, (_callbacks_due(db, "oClockApiCount", range(1)),
              _callbacks_due(db, "oClockApiCount", range(1, 6))),
        lambda: client.get("/api/v1/tickets", headers=agency), every_item_has_both_clocks)
