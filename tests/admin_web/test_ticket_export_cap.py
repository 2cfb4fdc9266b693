"""An export the cap cut says so, in the workbook and on the desk (lowered cap: no 50,000 rows)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from feedback_api.services import ticket_export, ticket_open, users
from tests.admin_web.test_tickets_pages import bad_review, signed_in


def _tickets(db, count: int) -> None:
    for n in range(count):
        fid = bad_review(db, openid=f"oCap{n:022d}")
        with db():
            ticket_open.open_from_feedback(users.get_user("agency"), fid, problem="请整改")


def test_a_cut_export_says_so_in_the_workbook_and_on_the_desk(app, district, db, monkeypatch):
    _tickets(db, 3)
    office, _ = signed_in(app, "office")
    monkeypatch.setattr(ticket_export, "MAX_EXPORT", 2)
    wb = load_workbook(io.BytesIO(office.get("/tickets/export.xlsx").data))
    ws = wb["督办单"]
    rows = list(ws.values)
    assert len(rows) == 1 + 2  # the header and the first two tickets only
    note = wb["说明"]
    assert "仅导出前 2 条，请缩小筛选范围" in note["A1"].value and "共 3 条" in note["A1"].value
    page = office.get("/tickets").get_data(as_text=True)
    assert "导出 Excel 仅含前 2 条，请缩小筛选范围" in page
    # Within the cap: no note sheet, no notice.
    monkeypatch.setattr(ticket_export, "MAX_EXPORT", 3)
    wb = load_workbook(io.BytesIO(office.get("/tickets/export.xlsx").data))
    assert wb.sheetnames == ["督办单"] and len(list(wb.active.values)) == 4
    assert "请缩小筛选范围" not in office.get("/tickets").get_data(as_text=True)
