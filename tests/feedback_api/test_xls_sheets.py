"""Excel 97-2003 (.xls) uploads, as WPS still saves by default, read as their .xlsx would be: the
fixtures under tests/data/sheets/ were saved by LibreOffice from workbooks built as staff lay theirs
out (tests/data/sheets/make_fixtures.py). Also: a date kept as Excel's serial number."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from feedback_api.models import Inspection, Window
from feedback_api.services import inspection_sheets, ledger, sheets
from feedback_api.services.dates import parse_date
from feedback_api.services.errors import ValidationError
from tests.feedback_api.test_staff_sheets import (
    INSPECTION_HEADER,
    LEDGER_HEADER,
    _inspection_row,
    _ledger_row,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "sheets"


def _fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def _builders():
    spec = importlib.util.spec_from_file_location("make_fixtures", DATA / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["ledger", "inspections"])
def test_an_xls_reads_as_the_same_workbook_saved_as_xlsx(name):
    wb = Workbook()
    getattr(_builders(), f"_{name}")(wb)
    buf = io.BytesIO()
    wb.save(buf)
    assert sheets.read_tables(_fixture(f"{name}.xls"), f"{name}.xls") == sheets.read_tables(
        buf.getvalue(), f"{name}.xlsx")


def test_an_xls_ledger_with_a_title_a_two_row_header_merges_and_a_date_imports(db):
    with db() as s:
        report = ledger.import_ledger(None, _fixture("ledger.xls"), "台账.xls")
        # The third window's 2.5 people stays the number it is, and is refused as no count.
        assert report.created == ["XQ-YB-001", "XQ-YB-002"]
        assert [e.line for e in report.errors] == [6] and "窗口人数" in report.errors[0].reason
        windows = {w.code: w for w in s.scalars(sa.select(Window))}
        assert {w.unit.name for w in windows.values()} == {"西区医疗保障服务中心"}
        first = windows["XQ-YB-001"]
        assert (first.status, first.status_year, str(first.status_date), first.staff_count) == (
            "demonstration", 2026, "2026-03-05", 3)


def test_an_xls_inspection_sheet_with_a_merged_date_imports(db, district):
    with db() as s:
        report = inspection_sheets.import_inspections(None, _fixture("inspections.xls"), "检查.xls")
        assert report.errors == [] and sorted(report.created) == ["CD-SW-001 2026Q3", "CD-SW-002 2026Q3"]
        rows = s.scalars(sa.select(Inspection)).all()
        assert {(str(i.inspected_on), i.inspectors) for i in rows} == {("2026-09-20", "王五")}


def test_a_file_named_xls_that_is_an_xlsx_or_a_csv_is_read_for_what_it_is():
    wb = Workbook()
    wb.active.append(["窗口编号", "窗口名称"])
    buf = io.BytesIO()
    wb.save(buf)
    assert sheets.read_tables(buf.getvalue(), "台账.xls")[0][0] == (1, ["窗口编号", "窗口名称"])
    assert sheets.read_tables("窗口编号,窗口名称\n".encode(), "台账.xls")[0][0] == (1, ["窗口编号", "窗口名称"])


@pytest.mark.parametrize(("data", "message"), [
    (_fixture("ledger.xls")[:3000], "无法读取 .xls 文件：文件可能已损坏"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "无法读取 .xls 文件：文件可能已损坏"),
    (_fixture("note.doc"), "文件不是 Excel 表格（可能是 Word 或 WPS 文字文档）"),
    (_fixture("locked.xls"), "该 .xls 文件设有打开密码"),
])
def test_a_damaged_xls_or_a_word_file_is_refused_in_chinese_and_stores_nothing(db, data, message):
    for importer in (ledger.import_ledger, inspection_sheets.import_inspections):
        with db(), pytest.raises(ValidationError, match=message):
            importer(None, data, "台账.xls")
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Window)) == 0


def test_an_xls_too_long_is_refused_before_its_rows_are_built():
    # read_tables passes max_rows + HEADER_SCAN as the limit; the ledger's sheet has six filled
    # rows (a title, two header rows, three windows).
    data = _fixture("ledger.xls")
    with pytest.raises(ValidationError, match="太长"):
        sheets.xls_tables(data, 5, lambda: ValidationError("太长"))
    assert len(sheets.xls_tables(data, 6, lambda: ValidationError("太长"))[1]) == 6


@pytest.mark.parametrize(("serial", "day"), [(46086, "2026-03-05"), ("46086", "2026-03-05"),
                                             ("46086.5", "2026-03-05"), (32874, "1990-01-01"),
                                             (73415, "2100-12-31")])
def test_an_excel_date_serial_in_range_is_a_date(serial, day):
    assert str(parse_date(serial)) == day


@pytest.mark.parametrize("number", [32873, 73416, 123, 2026, "4608", "460860", -46086, "46086e0"])
def test_other_numbers_stay_refused_as_dates(number):
    with pytest.raises(ValueError, match="无法识别"):
        parse_date(number)


def test_a_date_column_formatted_as_number_in_an_xlsx_imports(db, district):
    wb = Workbook()
    wb.active.append(INSPECTION_HEADER)
    wb.active.append(_inspection_row(1, "CD-SW-001", 检查日期=46285))
    buf = io.BytesIO()
    wb.save(buf)
    ledger_wb = Workbook()
    ledger_wb.active.append(LEDGER_HEADER)
    ledger_wb.active.append(_ledger_row(1, 状态="示范", 状态日期=46086.0, **{"命名/摘牌年度": 2026}))
    ledger_wb.active.append(_ledger_row(2, 状态="示范", 状态日期=2026, **{"命名/摘牌年度": 2026}))
    ledger_buf = io.BytesIO()
    ledger_wb.save(ledger_buf)
    with db() as s:
        report = inspection_sheets.import_inspections(None, buf.getvalue(), "检查.xlsx")
        assert report.errors == [] and report.created == ["CD-SW-001 2026Q3"]
        assert str(s.scalars(sa.select(Inspection.inspected_on)).one()) == "2026-09-20"
        report = ledger.import_ledger(None, ledger_buf.getvalue(), "台账.xlsx")
        assert report.created == ["XQ-YB-001"] and [e.line for e in report.errors] == [3]
        assert "状态日期" in report.errors[0].reason
        assert str(s.scalars(sa.select(Window.status_date).where(Window.code == "XQ-YB-001")).one()) == "2026-03-05"


@pytest.mark.parametrize("data", [
    '<html><head><meta charset="utf-8"></head><body><table><tr><td>窗口编号</td></tr></table></body></html>'.encode(),
    b"\xef\xbb\xbf\r\n<table border=1><tr><td>x</td></tr></table>",
    b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
])
def test_a_web_page_or_xml_saved_as_xls_says_what_it_is(db, data):
    # What many online systems' "导出 Excel" gives: a page or an XML Spreadsheet 2003 named .xls.
    with db(), pytest.raises(ValidationError, match="网页或 XML 格式.*另存为 .xlsx"):
        ledger.import_ledger(None, data, "导出.xls")
