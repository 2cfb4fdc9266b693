"""An inspection before a window's listing date is refused saying the listing date (挂牌日期): only
to whoever may enter that window's inspections. An authority naming a window of another industry,
by form, spreadsheet or API, learns neither its listing date nor more of its existence than of a
code that names no window."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from feedback_api.models import Inspection, Window
from feedback_api.services import inspection_sheets, inspections
from feedback_api.services.errors import ServiceError
from tests.assessment_helpers import full_scores

#: What the refusal would say of CD-SW-001 (a tax window; the district's authority is health's).
SECRETS = ("挂牌", "2026年3月15日", "2026-03-15")


def _listed(db) -> None:
    with db() as s:
        s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one().listed_on = date(2026, 3, 15)


def _body(code: str) -> dict:
    return {"window": code, "year": 2025, "quarter": 4, "inspected_on": "2025-12-10",
            "inspectors": "王五", "scores": full_scores()}


def _message(db, code: str) -> str:
    from feedback_api.services import users

    with db():
        try:
            inspections.save_inspection(users.get_user("authority"), _body(code))
        except ServiceError as exc:
            return exc.message
    raise AssertionError(f"{code} was saved")


def test_the_service_says_of_a_foreign_window_what_of_none(db, district):
    _listed(db)
    foreign, none = _message(db, "CD-SW-001"), _message(db, "CD-XX-999")
    assert not any(s in foreign for s in SECRETS), foreign
    assert foreign.replace("CD-SW-001", "CD-XX-999") == none


def test_the_api_says_nothing_of_the_listing_date(client, db, district, token_for):
    _listed(db)
    headers = token_for("authority")
    foreign = client.post("/api/v1/inspections", headers=headers, json=_body("CD-SW-001"))
    none = client.post("/api/v1/inspections", headers=headers, json=_body("CD-XX-999"))
    assert foreign.status_code == none.status_code and foreign.status_code in (403, 404)
    text = foreign.get_data(as_text=True)
    assert not any(s in text for s in SECRETS), text


def test_the_import_row_says_nothing_of_the_listing_date(db, district):
    from feedback_api.services import users

    _listed(db)
    points = [str(p) for p in full_scores().values()]
    with db():
        sheet = "\n".join(",".join(row) for row in (
            inspection_sheets.template_headers(2025),
            ["CD-SW-001", "2025Q4", "2025-12-10", "王五", *points, ""],
            ["CD-XX-999", "2025Q4", "2025-12-10", "王五", *points, ""],
        )).encode("utf-8")
        report = inspection_sheets.import_inspections(users.get_user("authority"), sheet, "检查.csv")
    foreign, none = (e.reason for e in report.errors)
    assert not any(s in foreign for s in SECRETS), foreign
    assert foreign.replace("CD-SW-001", "CD-XX-999") == none
    assert not report.created


def test_the_form_says_nothing_of_the_listing_date(client, auth, db, district):
    from feedback_api.models import Standard

    _listed(db)
    with db() as s:  # the year's standard, made by an entry of the office's
        inspections.save_inspection(None, _body("CD-RMYY-001"))
        std = s.scalars(sa.select(Standard).where(Standard.year == 2025)).one()
        scores = {f"score_{i.id}": str(i.weight) for i in std.indicators}
    auth.login("authority")
    url = "/assessment/inspections/new?year=2025"
    pages = {}
    for code in ("CD-SW-001", "CD-XX-999"):
        resp = client.post(url, data={"csrf_token": auth.csrf_token(url), "window": code,
                                      "quarter": "4", "inspected_on": "2025-12-10",
                                      "inspectors": "王五", **scores})
        assert resp.status_code < 500
        pages[code] = resp.get_data(as_text=True)
    assert not any(s in pages["CD-SW-001"] for s in SECRETS)
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 1
