"""List filters as staff type them: a unit or window typed in part, in any case, finds it on the
desk, the tickets list (and its Excel export) and the windows list; a full window code still
names that window alone (the window page's links); ``%`` and ``_`` are literal."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from feedback_api.db import Session
from feedback_api.models import Window
from feedback_api.services import feedback as fb
from feedback_api.services import ticket_open, users, windows
from wechat_bot import contacts

DAY = datetime(2026, 5, 6, 1, 0, tzinfo=UTC)


@pytest.fixture
def listed(db, district) -> dict[str, str]:
    """One opinion and one ticket on each window, and a window CD-SW-0010 whose code begins
    with another's: window code -> (receipt number, ticket number)."""
    out = {}
    with db():
        windows.create_window(None, {"code": "CD-SW-0010", "name": "自助办税区", "unit": "CD-SW"})
        office = users.get_user("office")
        for n, window in enumerate(Session.scalars(sa.select(Window).order_by(Window.code))):
            item = fb.record_feedback(
                window, citizen=contacts.get_or_create_citizen(f"o-filter-{n}"), channel="wechat",
                rating=1, text=f"意见{n}", received_at=DAY + timedelta(hours=n)).feedback
            ticket = ticket_open.open_on_window(office, window.code, topic="attitude",
                                                problem="请整改", source="office")
            out[window.code] = (item.receipt_no, ticket.number)
    return out


def found(html: str, listed: dict[str, tuple[str, str]], which: int) -> set[str]:
    return {code for code, numbers in listed.items() if numbers[which] in html}


SW = {"CD-SW-001", "CD-SW-002", "CD-SW-0010"}
RMYY = {"CD-RMYY-001", "CD-RMYY-002"}

#: What staff type, and the windows it finds.
TYPED = [
    ("window", "", SW | RMYY),                # nothing typed: every window
    ("unit", "城东区税务局", SW),              # part of 城东区税务局办税服务厅
    ("unit", "cd-sw", SW),                   # the unit's code in lower case
    ("unit", "人民医院", RMYY),
    ("unit", "城东区人民医院", RMYY),           # the full name
    ("window", "cd-sw-001", {"CD-SW-001"}),   # a full code, any case: that window alone
    ("window", "CD-SW-001", {"CD-SW-001"}),   # (not CD-SW-0010, which begins with it)
    ("window", "sw-00", SW),                 # part of a code
    ("window", "办税", {"CD-SW-001", "CD-SW-0010"}),  # part of a name
    ("window", "CD_SW", set()),              # _ is a character, not a wildcard
    ("window", "%", set()),
    ("unit", "%", set()),
]


@pytest.mark.parametrize(("name", "typed", "expected"), TYPED)
def test_the_desk_finds_what_was_typed(client, auth, listed, name, typed, expected):
    auth.login("agency")
    html = client.get("/feedback", query_string={name: typed}).get_data(as_text=True)
    assert found(html, listed, 0) == expected


@pytest.mark.parametrize(("name", "typed", "expected"), TYPED)
def test_the_tickets_list_and_its_export_find_what_was_typed(client, auth, listed, name, typed,
                                                             expected):
    auth.login("agency")
    html = client.get("/tickets", query_string={name: typed}).get_data(as_text=True)
    assert found(html, listed, 1) == expected
    book = load_workbook(io.BytesIO(client.get("/tickets/export.xlsx",
                                               query_string={name: typed}).data))
    exported = {row[1] for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert exported == expected


def test_the_tickets_list_offers_a_unit_filter(client, auth, listed):
    auth.login("agency")
    html = client.get("/tickets?unit=税务").get_data(as_text=True)
    assert 'name="unit" value="税务"' in html
    assert 'placeholder="窗口编号或名称"' in html


def test_a_unit_finds_nothing_outside_its_scope(client, auth, listed):
    auth.login("unit")  # CD-SW's staff
    html = client.get("/feedback?unit=医院").get_data(as_text=True)
    assert found(html, listed, 0) == set()
    html = client.get("/tickets?window=cd").get_data(as_text=True)
    assert found(html, listed, 1) == SW


@pytest.mark.parametrize(("query", "expected"), [
    ({"unit": "城东区税务局"}, SW),
    ({"unit": "cd-rmyy"}, RMYY),
    ({"unit": "CD-SW"}, SW),                 # the list's own choice: the unit's code
    ({"q": "cd-sw-00"}, SW),
    ({"q": "cd-rmyy"}, RMYY),                # the unit's code, in part
    ({"q": "CD_SW"}, set()),
    ({"q": "%"}, set()),
])
def test_the_windows_list_finds_what_was_typed(client, auth, listed, query, expected):
    auth.login("office")
    html = client.get("/windows", query_string=query).get_data(as_text=True)
    shown = {code for code in listed if f">{code}</a>" in html}
    assert shown == expected


def test_the_api_takes_a_unit_as_the_pages_do_and_a_window_by_its_code(client, listed, token_for):
    """The API's ``unit`` is documented as a code or a name: matched as the pages match it. Its
    ``window`` is documented as a window's code: that window alone, and 404 for no such window."""
    h = token_for("office")
    body = client.get("/api/v1/feedback", query_string={"unit": "城东区税务局"}, headers=h).get_json()
    assert {f["window"] for f in body["items"]} == SW
    body = client.get("/api/v1/windows", query_string={"unit": "cd-rmyy"}, headers=h).get_json()
    assert {w["code"] for w in body["items"]} == RMYY
    body = client.get("/api/v1/feedback?window=CD-SW-001", headers=h).get_json()
    assert {f["window"] for f in body["items"]} == {"CD-SW-001"}
    assert client.get("/api/v1/feedback?window=cd-sw-001", headers=h).status_code == 404
    body = client.get("/api/v1/tickets?window=CD-SW-001", headers=h).get_json()
    assert body["total"] == 1
