"""The inspection import offers an Excel template beside the CSV one: the same columns, and,
filled in with one row, it imports."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from openpyxl import load_workbook

from feedback_api.models import Inspection


def test_the_xlsx_template_has_the_csv_columns_and_imports_when_filled(client, auth, db, district):
    auth.login("office")
    page = client.get("/assessment/inspections/import?year=2026").get_data(as_text=True)
    assert 'href="/assessment/inspections/template.xlsx?year=2026"' in page
    assert 'href="/assessment/inspections/template.csv?year=2026"' in page
    csv_headers = next(csv.reader(io.StringIO(
        client.get("/assessment/inspections/template.csv?year=2026").get_data(as_text=True).lstrip("\ufeff"))))
    resp = client.get("/assessment/inspections/template.xlsx?year=2026")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(resp.data))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers == csv_headers and ws.max_row == 1
    # Fill one row: the window, the quarter, the date, the inspectors, then full marks per
    # indicator (the maximum is in the header, "服务态度（15分）"), then the note.
    assert headers[-1] == "备注"
    row = ["CD-SW-001", "2026Q3", "2026-09-01", "赵六"]
    row += [int(h.split("（")[1].rstrip("分）")) for h in headers[4:-1]] + ["模板导入"]
    for col, value in enumerate(row, start=1):
        ws.cell(row=2, column=col, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    resp = client.post("/assessment/inspections/import?year=2026", data={
        "csrf_token": auth.csrf_token("/assessment/inspections/import"),
        "file": (io.BytesIO(buf.getvalue()), "检查.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 200 and "新增 1 条，更新 0 条，错误 0 行" in resp.get_data(as_text=True)
    with db() as s:
        insp = s.scalars(sa.select(Inspection)).one()
        assert (insp.window.code, insp.quarter, insp.total, insp.inspectors) == ("CD-SW-001", 3, 100, "赵六")
