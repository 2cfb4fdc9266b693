"""The year's inspections as an Excel workbook, as each role may see them: the rows of the list
(its scope, year and quarter), each indicator's points, total and result in Chinese; the file
imports again as it is (the import template's columns)."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from openpyxl import load_workbook

from feedback_api.models import AuditLog, Inspection
from feedback_api.services import inspection_sheets, inspections
from tests.assessment_helpers import inspection, user


def _rows(body: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(body)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_each_role_exports_the_inspections_it_sees(client, auth, db, district):
    with db():
        inspection("CD-RMYY-001", 2026, 2, passed=False)
        inspection("CD-RMYY-001", 2026, 3)
        inspection("CD-SW-001", 2026, 3)
        inspection("CD-SW-001", 2025, 4)
    auth.login("authority")
    page = client.get("/assessment/inspections?year=2026&quarter=3").get_data(as_text=True)
    assert "/assessment/inspections/export.xlsx?year=2026&amp;quarter=3" in page
    resp = client.get("/assessment/inspections/export.xlsx?year=2026")
    assert resp.status_code == 200 and "filename*=UTF-8''2026" in resp.headers["Content-Disposition"]
    header, *rows = _rows(resp.data)
    assert header[:6] == ["窗口编号", "窗口名称", "所属单位", "季度", "检查日期", "检查人员"]
    assert header[6] == "服务态度（15分）" and header[-3:] == ["总分", "是否合格", "备注"]
    assert [(r[0], r[3], r[-3], r[-2]) for r in rows] == [
        ("CD-RMYY-001", "2026Q3", 95, "合格"), ("CD-RMYY-001", "2026Q2", 60, "不合格")]
    assert rows[0][4] == date(2026, 7, 15) or rows[0][4].date() == date(2026, 7, 15)
    assert rows[0][6] == 14.25
    one = _rows(client.get("/assessment/inspections/export.xlsx?year=2026&quarter=2").data)
    assert [r[3] for r in one[1:]] == ["2026Q2"]
    client.post("/logout", data={"csrf_token": auth.csrf_token("/assessment/inspections")})
    auth.login("unit")
    _header, *rows = _rows(client.get("/assessment/inspections/export.xlsx?year=2026").data)
    assert [r[0] for r in rows] == ["CD-SW-001"]


def test_an_exported_workbook_imports_again_unchanged(client, auth, db, district):
    with db():
        inspection("CD-RMYY-001", 2026, 2, passed=False)
        inspection("CD-RMYY-002", 2026, 3)
    auth.login("office")
    body = client.get("/assessment/inspections/export.xlsx?year=2026").data
    with db() as s:
        before = {i.id: inspections.inspection_to_dict(i) for i in s.scalars(sa.select(Inspection))}
        report = inspection_sheets.import_inspections(user("authority"), body, "导出.xlsx")
        # Nothing changed, and the report says so (not "updated"), nor is anything audited.
        assert report.ok and report.updated == []
        assert sorted(report.unchanged) == ["CD-RMYY-001 2026Q2", "CD-RMYY-002 2026Q3"]
        assert report.summary() == "新增 0 条，更新 0 条，未变 2 条，错误 0 行"
        after = {i.id: inspections.inspection_to_dict(i) for i in s.scalars(sa.select(Inspection))}
        assert after == before
        assert s.scalars(sa.select(AuditLog).where(AuditLog.action == "update")).all() == []


def test_the_import_page_names_the_records_a_sheet_changed(client, auth, db, district):
    with db():
        inspection("CD-RMYY-001", 2026, 2, passed=False)
        inspection("CD-RMYY-002", 2026, 2)
    auth.login("authority")
    body = client.get("/assessment/inspections/export.xlsx?year=2026").data
    wb = load_workbook(io.BytesIO(body))
    wb.active["F2"] = "王五"  # 检查人员 of the first row (CD-RMYY-001, 60 points) corrected
    buf = io.BytesIO()
    wb.save(buf)
    resp = client.post("/assessment/inspections/import", data={
        "csrf_token": auth.csrf_token("/assessment/inspections/import"),
        "file": (io.BytesIO(buf.getvalue()), "检查.xlsx")}, content_type="multipart/form-data")
    text = resp.get_data(as_text=True)
    assert "新增 0 条，更新 1 条，未变 1 条，错误 0 行" in text
    assert "按导入表更新了已录入的记录：CD-RMYY-001 2026Q2" in text


def test_the_export_is_what_the_filtered_list_shows(client, auth, db, district):
    """Staff export what they see: the list's window filter (typed, as the list reads it), its
    result and quarter carry over to the export link and the export honours them."""
    with db():
        inspection("CD-RMYY-001", 2026, 3, passed=False)
        inspection("CD-RMYY-002", 2026, 3, passed=False)
        inspection("CD-RMYY-001", 2026, 2)
        inspection("CD-SW-001", 2026, 3, passed=False)
    auth.login("office")
    page = client.get("/assessment/inspections?year=2026&quarter=3&passed=0&window=cd-rmyy-00"
                      ).get_data(as_text=True)
    link = "/assessment/inspections/export.xlsx?year=2026&amp;quarter=3&amp;passed=0&amp;window=cd-rmyy-00"
    assert link in page
    _header, *rows = _rows(client.get(link.replace("&amp;", "&")).data)
    assert sorted((r[0], r[3]) for r in rows) == [("CD-RMYY-001", "2026Q3"), ("CD-RMYY-002", "2026Q3")]
    # A whole code names that window alone, as on the list.
    _header, *rows = _rows(client.get("/assessment/inspections/export.xlsx?year=2026&window=CD-RMYY-001").data)
    assert sorted(r[3] for r in rows) == ["2026Q2", "2026Q3"] and {r[0] for r in rows} == {"CD-RMYY-001"}
    # An empty or blank box filters nothing.
    _header, *rows = _rows(client.get("/assessment/inspections/export.xlsx?year=2026&window=+").data)
    assert len(rows) == 4
