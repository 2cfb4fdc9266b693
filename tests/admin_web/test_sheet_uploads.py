"""The two import pages with the files staff send: a ledger under a title row, an old .xls, the
template sent back unfilled, a sheet over the web's row limit. Each answer is a page in Chinese
(never a 500), and a refused file stores nothing."""

from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import Workbook

from feedback_api.models import Inspection, Window
from feedback_api.services import ledger


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


def test_the_pages_refuse_what_they_cannot_read_in_chinese_and_store_nothing(client, auth, db, district):
    auth.login("office")
    before = _windows(db)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    assert "只支持 CSV 或 XLSX 文件" in _upload(client, auth, "/windows/import", ole, "台账.xls")
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
