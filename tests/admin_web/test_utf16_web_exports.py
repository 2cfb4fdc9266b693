""".xls" files that are really a web page in UTF-16, as some government systems' "导出 Excel"
writes them (an HTML table with Office's namespaces, charset=unicode), with or without a byte order
mark, either byte order: refused on both import pages and by the command line with the same
Chinese message as the UTF-8 web page, and nothing stored. Excel's "Unicode text" (UTF-16,
tab-separated) still imports."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from feedback_api.models import Inspection, Window

PAGE = """\r
<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">
<head><meta http-equiv="Content-Type" content="text/html; charset=unicode">
<!--[if gte mso 9]><xml><x:ExcelWorkbook><x:ExcelWorksheets><x:ExcelWorksheet>
<x:Name>{title}</x:Name></x:ExcelWorksheet></x:ExcelWorksheets></x:ExcelWorkbook></xml><![endif]-->
</head><body><table border="1">
<tr>{header}</tr>
<tr>{row}</tr>
</table></body></html>
"""
LEDGER = PAGE.format(title="台账", header="<td>窗口编号</td><td>窗口名称</td><td>所属单位</td>",
                     row="<td>CD-SW-008</td><td>新窗口</td><td>城东区税务局办税服务厅</td>")
INSPECTIONS = PAGE.format(title="检查", header="<td>窗口编号</td><td>季度</td><td>检查日期</td><td>检查人员</td>",
                          row="<td>CD-SW-001</td><td>2026Q3</td><td>2026-09-01</td><td>王五</td>")
#: The four ways UTF-16 comes: the byte order mark and then either order, or no mark.
ENCODINGS = {"le-bom": lambda t: b"\xff\xfe" + t.encode("utf-16-le"),
             "be-bom": lambda t: b"\xfe\xff" + t.encode("utf-16-be"),
             "le": lambda t: t.encode("utf-16-le"),
             "be": lambda t: t.encode("utf-16-be")}
REFUSAL = "文件是网页或 XML 格式，并非 Excel 表格"


def _upload(client, auth, path: str, data: bytes, name: str) -> str:
    resp = client.post(path, data={"csrf_token": auth.csrf_token(path), "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_the_import_pages_refuse_a_utf16_web_page_named_xls(client, auth, db, district, encoding):
    encode = ENCODINGS[encoding]
    auth.login("office")
    with db() as s:
        before = set(s.scalars(sa.select(Window.code)))
    html = _upload(client, auth, "/windows/import", encode(LEDGER), "台账导出.xls")
    assert REFUSAL in html and "另存为 .xlsx" in html
    html = _upload(client, auth, "/assessment/inspections/import", encode(INSPECTIONS), "检查导出.xls")
    assert REFUSAL in html and "另存为 .xlsx" in html
    with db() as s:
        assert set(s.scalars(sa.select(Window.code))) == before
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0


@pytest.mark.parametrize("encoding", ["le-bom", "be"])
def test_the_ledger_command_refuses_a_utf16_web_page(runner, db, district, tmp_path, encoding):
    path = tmp_path / "台账导出.xls"
    path.write_bytes(ENCODINGS[encoding](LEDGER))
    result = runner.invoke(args=["windows", "import", str(path)])
    assert result.exit_code != 0 and REFUSAL in result.output
    with db() as s:
        assert "CD-SW-008" not in set(s.scalars(sa.select(Window.code)))


def test_excel_unicode_text_still_imports_on_the_page(client, auth, db, district):
    auth.login("office")
    text = "窗口编号\t窗口名称\t所属单位\r\nCD-SW-008\t新窗口\t城东区税务局办税服务厅\r\n"
    html = _upload(client, auth, "/windows/import", text.encode("utf-16"), "台账.csv")
    assert "新增 1 个" in html
