"""The ledger as a clerk downloads it: an Excel workbook (a CSV opened in Excel shows a phone
number as 1.38E+10), named for the day, holding only the windows of the user's scope."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook

from feedback_api.services import windows, workdays
from tests.admin_web.test_downloads import saved_name

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ledger(client, path="/windows/export.xlsx"):
    resp = client.get(path)
    assert resp.status_code == 200 and resp.mimetype == XLSX
    ws = load_workbook(io.BytesIO(resp.data)).active
    header, *rows = list(ws.values)
    return resp, ws, header, rows


def test_the_ledger_downloads_as_a_workbook_named_for_the_day(client, auth, district, db):
    with db():
        windows.update_window(None, "CD-SW-001", {"contact_phone": "13800000000", "status": "demonstration",
                                                  "status_date": "2026-03-01", "status_year": 2026})
    auth.login("office")
    resp, ws, header, rows = _ledger(client)
    assert saved_name(resp) == f"窗口登记台账-{workdays.local_today():%Y%m%d}.xlsx"
    assert ws.freeze_panes == "A2" and header[:3] == ("窗口编号", "窗口名称", "所属单位")
    row = next(r for r in rows if r[0] == "CD-SW-001")
    assert row[header.index("联系电话")] == "13800000000"  # text, every digit kept
    assert row[header.index("状态日期")] == datetime(2026, 3, 1)
    assert {r[0] for r in rows} == {"CD-SW-001", "CD-SW-002", "CD-RMYY-001", "CD-RMYY-002"}
    assert "/windows/export.xlsx" in client.get("/windows").get_data(as_text=True)


def test_a_unit_downloads_only_its_own_windows(client, auth, district):
    auth.login("unit")
    _resp, _ws, _header, rows = _ledger(client)
    assert {r[0] for r in rows} == {"CD-SW-001", "CD-SW-002"}


def test_the_ledger_csv_is_named_for_the_day_too(client, auth, district):
    auth.login("office")
    assert saved_name(client.get("/windows/export.csv")) == (
        f"窗口登记台账-{workdays.local_today():%Y%m%d}.csv")
