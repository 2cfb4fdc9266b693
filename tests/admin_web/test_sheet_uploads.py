"""The two import pages with the files staff send: a ledger under a title row, an Excel 97-2003
.xls (and a damaged one, a Word file named .xls), the template sent back unfilled, a sheet over the web's row limit. Each answer is a page in Chinese
(never a 500), and a refused file stores nothing."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook

from feedback_api.models import Inspection, Window
from feedback_api.services import ledger

SHEETS = Path(__file__).resolve().parents[1] / "data" / "sheets"  # see make_fixtures.py there


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, auth, path: str, data: bytes, name: str) -> str:
    resp = client.post(path, data={"csrf_token": auth.csrf_token(path), "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _windows(db) -> set[str]:
    with db() as s:
        return set(s.scalars(sa.select(Window.code)))


def test_the_ledger_page_reads_a_sheet_under_its_title(client, auth, db, district):
    auth.login("office")
    rows = [["城东区示范窗口登记台账（2026年）"], [], ["序号", "窗口\n编号", "窗口名称", "所属单位"],
            [1, "CD-SW-007", "新窗口", "城东区税务局办税服务厅"]]
    html = _upload(client, auth, "/windows/import", _xlsx(rows), "台账（定稿）.XLSX")
    assert "新增 1 个" in html and "CD-SW-007" in _windows(db)


def test_the_ledger_page_reads_an_excel_97_file_with_a_title_merges_and_a_date(client, auth, db, district):
    auth.login("office")
    html = _upload(client, auth, "/windows/import", (SHEETS / "ledger.xls").read_bytes(), "台账.xls")
    # The third window's 2.5 people is refused on its line.
    assert "新增 2 个" in html and '<td>6</td><td class="mono">XQ-YB-003</td>' in html
    with db() as s:
        first = s.scalars(sa.select(Window).where(Window.code == "XQ-YB-001")).one()
        assert (str(first.status_date), first.unit.name) == ("2026-03-05", "西区医疗保障服务中心")
        assert s.scalars(sa.select(Window).where(Window.code == "XQ-YB-002")).one().unit is first.unit


def test_the_inspection_page_reads_an_excel_97_file_with_a_merged_date(client, auth, db, district):
    auth.login("office")
    html = _upload(client, auth, "/assessment/inspections/import",
                   (SHEETS / "inspections.xls").read_bytes(), "检查.XLS")
    assert "导入结果" in html
    with db() as s:
        got = {(i.window.code, str(i.inspected_on), i.inspectors) for i in s.scalars(sa.select(Inspection))}
    assert got == {("CD-SW-001", "2026-09-20", "王五"), ("CD-SW-002", "2026-09-20", "王五")}


def test_the_pages_offer_xls(client, auth, district):
    auth.login("office")
    for path in ("/windows/import", "/assessment/inspections/import"):
        html = client.get(path).get_data(as_text=True)
        assert 'accept=".xlsx,.xls,.csv"' in html and "XLS" in html


def test_the_pages_refuse_what_they_cannot_read_in_chinese_and_store_nothing(client, auth, db, district):
    auth.login("office")
    before = _windows(db)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    assert "无法读取 .xls 文件" in _upload(client, auth, "/windows/import", ole, "台账.xls")
    word = (SHEETS / "note.doc").read_bytes()
    assert "文件不是 Excel 表格" in _upload(client, auth, "/windows/import", word, "台账.xls")
    locked = (SHEETS / "locked.xls").read_bytes()
    assert "设有打开密码" in _upload(client, auth, "/assessment/inspections/import", locked, "检查.xls")
    assert "只支持 CSV、XLSX 或 XLS 文件" in _upload(client, auth, "/windows/import", word, "整改说明.doc")
    unfilled = _xlsx([["窗口编号*", "窗口名称*", "所属单位*", "行业"]])
    assert "没有数据行" in _upload(client, auth, "/windows/import", unfilled, "模板.xlsx")
    assert "无法读取 Excel 文件" in _upload(client, auth, "/windows/import", b"PK\x03\x04broken", "台账.xlsx")
    too_long = _xlsx([["窗口编号", "季度", "检查日期", "检查人员"]]
                     + [["CD-SW-001", "2026Q3", "2026-09-01", "王五"]] * (ledger.UPLOAD_MAX_ROWS + 1))
    html = _upload(client, auth, "/assessment/inspections/import", too_long, "检查.xlsx")
    assert f"网页一次最多导入 {ledger.UPLOAD_MAX_ROWS} 行" in html
    assert _windows(db) == before
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0
