"""The window filter of the appeals, inspections, covert-inspection (暗查) and incidents lists
reads what staff type as the desk and the tickets list read it (services.typed_filters): part of
a code or name, in any case; a full code names that window alone; ``%`` and ``_`` are literal.
The API's ``window`` on those lists stays a window's code (404 for none), as on every list."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Appeal, Window
from feedback_api.services import covert, windows
from feedback_api.services import feedback as fb
from tests.admin_web.test_list_filters import SW, TYPED
from tests.assessment_helpers import inspection

#: What is typed in a list's window box, and the windows it finds.
WINDOW_TYPED = [(typed, expected) for name, typed, expected in TYPED if name == "window"]
LISTS = ["/appeals", "/assessment/inspections", "/assessment/covert", "/assessment/incidents"]


@pytest.fixture
def recorded(db, district) -> None:
    """An appeal, an inspection, a covert inspection and an incident of 2026 on each window,
    with a window CD-SW-0010 whose code begins with another's."""
    with db():
        windows.create_window(None, {"code": "CD-SW-0010", "name": "自助办税区", "unit": "CD-SW"})
        for n, window in enumerate(Session.scalars(sa.select(Window).order_by(Window.code))):
            window.listed_on = date(2025, 1, 1)
            item = fb.record_feedback(window, citizen=None, channel="h5", rating=1,
                                      received_at=datetime(2026, 5, 6, 1, tzinfo=UTC)).feedback
            Session.add(Appeal(feedback_id=item.id, kind="mistaken", reason="误评"))
            inspection(window.code, 2026, 3)
            day = date(2026, 10, 1) + timedelta(days=n)
            covert.record_covert(None, {"window": window.code, "inspected_on": day.isoformat(),
                                        "results": {"服务态度": True}})
            covert.save_incident(None, {"window": window.code, "occurred_on": day.isoformat(),
                                        "kind": "safety", "severity": "general",
                                        "description": "窗口地面湿滑致群众摔倒", "source": "群众来电"})


def listed(html: str) -> set[str]:
    """The window codes of the list's rows."""
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return set(re.findall(r">(CD-[A-Z]+-\d+)<", rows))


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(("typed", "expected"), WINDOW_TYPED)
def test_the_lists_find_the_window_typed(client, auth, recorded, path, typed, expected):
    auth.login("office")
    response = client.get(path, query_string={"window": typed, "year": 2026})
    assert response.status_code == 200
    assert listed(response.get_data(as_text=True)) == expected


def test_a_unit_finds_only_its_own_windows(client, auth, recorded):
    auth.login("unit")  # CD-SW's staff: "cd" names every window, the unit sees its own
    for path in ("/appeals", "/assessment/inspections"):
        assert listed(client.get(f"{path}?window=cd&year=2026").get_data(as_text=True)) == SW


def test_the_boxes_say_what_they_take(client, auth, recorded):
    auth.login("office")
    for path in LISTS:
        html = client.get(f"{path}?window=办税&year=2026").get_data(as_text=True)
        assert "窗口编号或名称" in html and 'value="办税"' in html, path


@pytest.mark.parametrize("path", ["/api/v1/appeals", "/api/v1/inspections",
                                  "/api/v1/covert-inspections", "/api/v1/incidents"])
def test_the_api_takes_a_window_by_its_code(client, recorded, token_for, path):
    h = token_for("office")
    body = client.get(path, query_string={"window": "CD-SW-001"}, headers=h).get_json()
    assert body["total"] == 1 and len(body["items"]) == 1  # not CD-SW-0010 too
    for other in ("cd-sw-001", "SW-00", "CD_SW-001", "%"):
        assert client.get(path, query_string={"window": other}, headers=h).status_code == 404


def test_the_entry_forms_look_up_stays_by_the_whole_code(db, recorded):
    """The new-inspection form's "already entered" look-up names one window, not a list filter."""
    from feedback_api.services import inspections, users

    with db():
        office = users.get_user("office")
        assert inspections.find_inspection(office, "CD-SW-001", 2026, 3).window.code == "CD-SW-001"
        assert inspections.find_inspection(office, "SW-00", 2026, 3) is None
        assert inspections.find_inspection(office, "办税", 2026, 3) is None
