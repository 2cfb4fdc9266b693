"""The ledger's 挂牌日期 (listing date): optional, as an Excel date or as staff type it, the import
day when empty, refused per row in Chinese when unreadable, in the future or before the programme;
only the office sets it (an authority may repeat it as stored); the template and export carry it."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from feedback_api.models import AuditLog, Window
from feedback_api.models.reference import PROGRAMME_FIRST_YEAR
from feedback_api.services import ledger, ledger_template, users, workdays
from feedback_api.services import windows as window_service
from feedback_api.services.errors import PermissionDenied

HEADER = ["窗口编号", "窗口名称", "所属单位", "挂牌日期"]


def _xlsx(rows, header=HEADER) -> bytes:
    wb = Workbook()
    wb.active.append(header)
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _listed(s) -> dict[str, date]:
    return {code: day for code, day in s.execute(sa.select(Window.code, Window.listed_on))}


def test_dates_as_excel_and_as_typed_are_read_and_an_empty_cell_is_the_import_day(db, district):
    rows = [["CD-SW-201", "甲", "CD-SW", datetime(2026, 3, 1)],
            ["CD-SW-202", "乙", "CD-SW", "2026-03-02"],
            ["CD-SW-203", "丙", "CD-SW", "2026年3月3日"],
            ["CD-SW-204", "丁", "CD-SW", "2026/3/4"],
            ["CD-SW-205", "戊", "CD-SW", 46087],  # the serial of 2026-03-06, a number-formatted cell
            ["CD-SW-206", "己", "CD-SW", None]]
    with db() as s:
        report = ledger.import_ledger(None, _xlsx(rows), "台账.xlsx")
        assert report.errors == [] and len(report.created) == 6
    with db() as s:
        listed = _listed(s)
        assert [listed[f"CD-SW-20{n}"] for n in range(1, 6)] == [
            date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 6)]
        assert listed["CD-SW-206"] == workdays.local_today()


def test_the_awarding_header_is_read_as_the_listing_date_too(db, district):
    csv = "窗口编号,窗口名称,所属单位,授牌日期\nCD-SW-207,庚,CD-SW,2025-12-20\n"
    with db():
        assert ledger.import_ledger(None, csv.encode(), "台账.csv").errors == []
    with db() as s:
        assert _listed(s)["CD-SW-207"] == date(2025, 12, 20)


@pytest.mark.parametrize(("cell", "reason"), [
    ("2026-02-30", "无法识别"),
    ("下个月", "无法识别"),
    ("2099-01-01", "晚于今天"),
    (f"{PROGRAMME_FIRST_YEAR - 1}-12-31", f"早于{PROGRAMME_FIRST_YEAR}年"),
])
def test_a_bad_listing_date_refuses_its_row_in_chinese_and_the_rest_import(db, district, cell, reason):
    csv = (f"窗口编号,窗口名称,所属单位,挂牌日期\nCD-SW-208,辛,CD-SW,{cell}\n"
           "CD-SW-209,壬,CD-SW,2026-01-05\n")
    with db():
        report = ledger.import_ledger(None, csv.encode(), "台账.csv")
        assert report.created == ["CD-SW-209"]
        [error] = report.errors
        assert (error.line, error.code) == (2, "CD-SW-208")
        assert "挂牌日期" in error.reason and reason in error.reason, error.reason
    with db() as s:
        assert "CD-SW-208" not in _listed(s)


def test_re_import_keeps_a_stored_date_when_the_cell_is_empty_and_the_office_corrects_it(db, district):
    with db():
        ledger.import_ledger(None, "窗口编号,窗口名称,所属单位,挂牌日期\nCD-SW-210,癸,CD-SW,2026-02-01\n"
                             .encode(), "台账.csv")
    with db() as s:
        office = users.get_user("office")
        report = ledger.import_ledger(office, "窗口编号,窗口名称,所属单位,挂牌日期\nCD-SW-210,癸,CD-SW,\n"
                                      .encode(), "台账.csv")
        assert report.unchanged == ["CD-SW-210"] and _listed(s)["CD-SW-210"] == date(2026, 2, 1)
        report = ledger.import_ledger(office, "窗口编号,窗口名称,所属单位,挂牌日期\nCD-SW-210,癸,CD-SW,2026-01-20\n"
                                      .encode(), "台账.csv")
        assert report.updated == ["CD-SW-210"]
    with db() as s:
        assert _listed(s)["CD-SW-210"] == date(2026, 1, 20)
        entry = s.scalars(sa.select(AuditLog).where(AuditLog.entity_id == "CD-SW-210",
                                                    AuditLog.action == "update")).one()
        assert (entry.before, entry.after) == ({"listed_on": "2026-02-01"}, {"listed_on": "2026-01-20"})


def test_only_the_office_sets_the_listing_date(db, district):
    with db():
        window_service.update_window(None, "CD-RMYY-001", {"listed_on": "2026-01-10"})
    with db():
        authority = users.get_user("authority")
        with pytest.raises(PermissionDenied, match="挂牌日期"):
            window_service.update_window(authority, "CD-RMYY-001", {"listed_on": "2026-01-11"})
        # The window as stored, sent back whole (an export imported again), is no change.
        window_service.update_window(authority, "CD-RMYY-001", {"listed_on": "2026-01-10", "staff_count": 3})
        with pytest.raises(PermissionDenied, match="挂牌日期"):
            window_service.create_window(authority, {"code": "CD-RMYY-009", "name": "新", "unit": "CD-RMYY",
                                                     "listed_on": "2026-01-10"})
        created = window_service.create_window(authority, {"code": "CD-RMYY-010", "name": "新",
                                                           "unit": "CD-RMYY"})
        assert created.listed_on == workdays.local_today()
        csv = "窗口编号,窗口名称,所属单位,挂牌日期\nCD-RMYY-011,新,CD-RMYY,2026-01-10\n"
        [error] = ledger.import_ledger(authority, csv.encode(), "台账.csv").errors
        assert "挂牌日期仅区联席办可修改" in error.reason or "挂牌日期" in error.reason


def test_the_template_and_the_export_carry_the_listing_date(db, district):
    template = load_workbook(io.BytesIO(ledger_template.template_xlsx()))
    header = [c.value for c in template["登记台账"][1]]
    assert "挂牌日期" in header
    notes = " ".join(str(c.value) for row in template["填写说明"].iter_rows() for c in row)
    assert "挂牌日期" in notes and "2026-03-01" in notes
    with db():
        window_service.update_window(None, "CD-SW-001", {"listed_on": "2025-06-30"})
    with db():
        book = load_workbook(io.BytesIO(ledger.export_xlsx(ledger.all_windows())))
        sheet = book["登记台账"]
        col = [c.value for c in sheet[1]].index("挂牌日期")
        values = {row[0].value: row[col].value for row in sheet.iter_rows(min_row=2)}
        assert values["CD-SW-001"] == datetime(2025, 6, 30)  # a date cell, as Excel keeps it
        assert "2025-06-30" in ledger.export_csv(ledger.all_windows())


def test_the_api_gives_and_takes_the_listing_date_with_json_errors(client, district, token_for):
    office, authority = token_for("office"), token_for("authority")
    resp = client.patch("/api/v1/windows/CD-RMYY-001", headers=office, json={"listed_on": "2026-02-03"})
    assert resp.status_code == 200 and resp.get_json()["listed_on"] == "2026-02-03"
    resp = client.patch("/api/v1/windows/CD-RMYY-001", headers=office, json={"listed_on": "2099-02-03"})
    assert resp.status_code in (400, 422) and "晚于今天" in str(resp.get_json())
    resp = client.patch("/api/v1/windows/CD-RMYY-001", headers=authority, json={"listed_on": "2026-02-04"})
    assert resp.status_code == 403 and "挂牌日期" in str(resp.get_json())
    resp = client.get("/api/v1/windows/CD-RMYY-001", headers=authority)
    assert resp.get_json()["listed_on"] == "2026-02-03"
