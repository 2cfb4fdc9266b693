"""Inspections dated before a window's listing date (挂牌日期, ``Window.listed_on``) are refused at
entry, in words, by form, spreadsheet and API: a quarterly inspection of a quarter that ended
before the window was listed (the quarter it was listed in is its own: that quarter assesses it),
a covert visit (暗查) on a day before it. Records stored before stay as they are, and correctable."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from feedback_api.models import CovertInspection, Inspection, Window
from feedback_api.services import covert, inspection_sheets, inspections
from feedback_api.services.errors import ValidationError
from tests.assessment_helpers import full_scores

LISTED = "窗口 CD-SW-001 的挂牌日期为2026年3月15日"


def _list(db, day: date, code: str = "CD-SW-001") -> None:
    with db() as s:
        s.scalars(sa.select(Window).where(Window.code == code)).one().listed_on = day


def _body(year: int, quarter: int, on: str, code: str = "CD-SW-001") -> dict:
    return {"window": code, "year": year, "quarter": quarter, "inspected_on": on,
            "inspectors": "王五", "scores": full_scores()}


def _count(db, model) -> int:
    with db() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_quarter_before_the_listing_quarter_is_refused_the_listing_quarter_is_not(db, district):
    _list(db, date(2026, 3, 15))
    with db():
        with pytest.raises(ValidationError) as exc:
            inspections.save_inspection(None, _body(2025, 4, "2025-12-10"))
        assert exc.value.message == f"{LISTED}，不能录入挂牌前（2025年第4季度）的综合检查"
        assert exc.value.details == {"quarter": "早于挂牌季度"}
        # The quarter it was listed in, even inspected before the day itself, is its own.
        assert inspections.save_inspection(None, _body(2026, 1, "2026-03-02"))[1] is True
    assert _count(db, Inspection) == 1


def test_a_covert_visit_before_the_listing_day_is_refused(db, district):
    _list(db, date(2026, 3, 15))
    visit = {"window": "CD-SW-001", "results": {"服务态度": True}}
    with db():
        with pytest.raises(ValidationError) as exc:
            covert.record_covert(None, visit | {"inspected_on": "2026-03-14"})
        assert exc.value.message == f"{LISTED}，不能录入挂牌前（2026年3月14日）的暗查"
        assert exc.value.details == {"inspected_on": "早于挂牌日期"}
        item = covert.record_covert(None, visit | {"inspected_on": "2026-03-15"})
        with pytest.raises(ValidationError, match=r"挂牌前（2026年3月1日）的暗查"):
            covert.correct_covert(None, item.id, {"inspected_on": "2026-03-01"})
    with db() as s:
        assert [c.inspected_on for c in s.scalars(sa.select(CovertInspection))] == [date(2026, 3, 15)]


def test_records_stored_before_stay_and_are_still_corrected(db, district):
    with db():  # entered while the window was listed on 2025-01-01
        inspections.save_inspection(None, _body(2025, 4, "2025-12-10"))
        visit = covert.record_covert(None, {"window": "CD-SW-001", "inspected_on": "2025-12-11",
                                            "results": {"服务态度": True}})
    _list(db, date(2026, 3, 15))  # the office corrects the listing date from its ledger
    with db():
        corrected = _body(2025, 4, "2025-12-10") | {"inspectors": "王五、赵六"}
        assert inspections.save_inspection(None, corrected, replace=True)[1] is False
        covert.correct_covert(None, visit.id, {"notes": "补记"})
    with db() as s:
        assert s.scalars(sa.select(Inspection)).one().inspectors == "王五、赵六"
        assert s.scalars(sa.select(CovertInspection)).one().notes == "补记"


def test_the_entry_forms_say_why(client, auth, db, district):
    from feedback_api.models import Standard

    _list(db, date(2026, 3, 15))
    auth.login("office")
    with db() as s:
        inspections.save_inspection(None, _body(2025, 1, "2025-02-10", "CD-SW-002"))  # makes 2025's standard
        std = s.scalars(sa.select(Standard).where(Standard.year == 2025)).one()
        scores = {f"score_{i.id}": str(i.weight) for i in std.indicators}
    url = "/assessment/inspections/new?year=2025"
    resp = client.post(url, data={"csrf_token": auth.csrf_token(url), "window": "CD-SW-001",
                                  "quarter": "4", "inspected_on": "2025-12-10", "inspectors": "王五",
                                  **scores})
    assert resp.status_code == 200
    assert f"{LISTED}，不能录入挂牌前（2025年第4季度）的综合检查" in resp.get_data(as_text=True)
    url = "/assessment/covert/new?year=2026"
    token = auth.csrf_token(url)
    with db() as s:
        std = s.scalars(sa.select(Standard).where(Standard.year == 2026)).one()
        results = {f"result_{std.indicators[0].id}": "1"}
    resp = client.post(url, data={"csrf_token": token, "window": "CD-SW-001",
                                  "inspected_on": "2026-03-14", **results})
    assert resp.status_code == 200
    assert f"{LISTED}，不能录入挂牌前（2026年3月14日）的暗查" in resp.get_data(as_text=True)
    assert _count(db, Inspection) == 1 and _count(db, CovertInspection) == 0


def test_the_import_refuses_the_row_and_keeps_the_others(db, district):
    _list(db, date(2026, 3, 15))
    points = [str(p) for p in full_scores().values()]
    with db():
        sheet = "\n".join(",".join(row) for row in (
            inspection_sheets.template_headers(2025),
            ["CD-SW-001", "2025Q4", "2025-12-10", "王五", *points, ""],
            ["CD-SW-002", "2025Q4", "2025-12-10", "王五", *points, ""],
            ["CD-SW-001", "2026Q1", "2026-03-02", "王五", *points, ""],
        )).encode("utf-8")
        report = inspection_sheets.import_inspections(None, sheet, "检查.csv")
        assert [(e.line, e.code, e.reason) for e in report.errors] == [
            (2, "CD-SW-001", f"{LISTED}，不能录入挂牌前（2025年第4季度）的综合检查")]
        assert sorted(report.created) == ["CD-SW-001 2026Q1", "CD-SW-002 2025Q4"]


def test_the_api_refuses_in_json_as_any_invalid_input(client, db, district, token_for):
    _list(db, date(2026, 3, 15))
    office = token_for("office")
    resp = client.post("/api/v1/inspections", headers=office, json=_body(2025, 4, "2025-12-10"))
    # 400 "invalid", as every refused input of the API (the delisted window's quarter too).
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["error"] == {
        "code": "invalid", "details": {"quarter": "早于挂牌季度"},
        "message": f"{LISTED}，不能录入挂牌前（2025年第4季度）的综合检查"}
    resp = client.post("/api/v1/covert-inspections", headers=office, json={
        "window": "CD-SW-001", "inspected_on": "2026-03-14", "results": {"服务态度": True}})
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["error"]["message"] == f"{LISTED}，不能录入挂牌前（2026年3月14日）的暗查"
    assert _count(db, Inspection) == 0 and _count(db, CovertInspection) == 0
