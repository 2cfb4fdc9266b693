"""Ledger import: encodings, XLSX, bad rows reported by line, nothing half-written, re-import."""

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from feedback_api.models import AuditLog, Unit, Window
from feedback_api.services import ledger
from feedback_api.services.errors import ValidationError

HEADER = ["序号", "窗口编号", "窗口名称", "所属单位", "行业", "主管部门", "窗口人数", "状态", "命名/摘牌年度",
          "服务事项"]
ROWS = [
    ["1", "XQ-YB-001", "医保报销窗口", "西区医疗保障服务中心", "人力资源和社会保障", "西区医保局", "4", "示范", "2025",
     "报销；备案"],
    ["2", "XQ-YB-002", "医保登记窗口", "西区医疗保障服务中心", "social_security", "", "3", "创建中", "", "参保登记"],
    ["3", "XQ-GJJ-001", "公积金提取窗口", "西区公积金中心", "住房和不动产", "西区住建局", "5", "", "", ""],
]


def _csv(rows, header=HEADER):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _codes(s):
    return set(s.scalars(sa.select(Window.code)))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding_imports_every_row(db, encoding):
    with db() as s:
        report = ledger.import_ledger(None, _csv(ROWS).encode(encoding), "台账.csv")
        assert report.errors == []
        assert sorted(report.created) == ["XQ-GJJ-001", "XQ-YB-001", "XQ-YB-002"]
    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "XQ-YB-001")).one()
        assert (w.name, w.status, w.status_year, w.staff_count) == ("医保报销窗口", "demonstration", 2025, 4)
        assert w.unit.name == "西区医疗保障服务中心" and w.unit.industry == "social_security"
        assert w.unit.code == "XQ-YB" and w.unit.authority == "西区医保局"


def test_excel_unicode_text_export_utf16_tab_separated_imports(db):
    text = "\n".join("\t".join(r) for r in [HEADER, *ROWS])
    with db():
        report = ledger.import_ledger(None, text.encode("utf-16"), "台账.txt")
        assert report.errors == [] and len(report.created) == 3


def test_xlsx_imports(db):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in ROWS:
        ws.append([int(v) if v.isdigit() else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    with db() as s:
        report = ledger.import_ledger(None, buf.getvalue(), "ledger.xlsx")
        assert report.errors == [] and len(report.created) == 3
        assert s.scalars(sa.select(Window).where(Window.code == "XQ-GJJ-001")).one().staff_count == 5


def test_bad_rows_are_reported_by_line_and_good_rows_kept(db):
    rows = [
        ROWS[0],
        ["2", "XQ-YB-001", "重复编号", "西区医疗保障服务中心", "", "", "1", "", "", ""],      # duplicate
        ["3", "XQ-YB-003", "人数不对", "西区医疗保障服务中心", "", "", "很多", "", "", ""],    # bad int
        ["4", "坏 编号", "编号不合法", "西区医疗保障服务中心", "", "", "1", "", "", ""],       # bad code
        ["5", "XQ-YB-005", "", "西区医疗保障服务中心", "", "", "1", "", "", ""],             # no name
        ["6", "NEW-U-001", "新单位无行业", "全新单位", "", "", "1", "", "", ""],             # new unit w/o industry
        ["7", "XQ-YB-007", "状态不对", "西区医疗保障服务中心", "", "", "1", "已取消", "", ""],  # bad status
        ROWS[1],
    ]
    with db() as s:
        report = ledger.import_ledger(None, _csv(rows).encode(), "t.csv")
    by_line = {e.line: e for e in report.errors}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8]
    assert "第 2 行重复" in by_line[3].reason
    assert "窗口人数" in by_line[4].reason
    assert "窗口编号" in by_line[5].reason
    assert "窗口名称" in by_line[6].reason
    assert "行业" in by_line[7].reason
    assert "状态" in by_line[8].reason
    assert sorted(report.created) == ["XQ-YB-001", "XQ-YB-002"]
    with db() as s:
        assert _codes(s) == {"XQ-YB-001", "XQ-YB-002"}
        # The refused row for a new unit left no half-made unit behind.
        assert s.scalar(sa.select(Unit).where(Unit.name == "全新单位")) is None


def test_missing_required_column_refuses_the_whole_file(db):
    header = [h for h in HEADER if h != "窗口名称"]
    rows = [[v for i, v in enumerate(r) if HEADER[i] != "窗口名称"] for r in ROWS]
    with db() as s, pytest.raises(ValidationError) as err:
        ledger.import_ledger(None, _csv(rows, header).encode(), "t.csv")
    assert "第 1 行" in err.value.message and "窗口名称" in err.value.message
    with db() as s:
        assert _codes(s) == set()


def test_reimport_updates_instead_of_duplicating(db):
    with db():
        ledger.import_ledger(None, _csv(ROWS).encode(), "t.csv")
    changed = [list(r) for r in ROWS]
    changed[0][2] = "医保报销综合窗口"
    changed[0][7] = ""  # an empty cell keeps the stored status
    with db() as s:
        report = ledger.import_ledger(None, _csv(changed).encode(), "t.csv")
        assert report.updated == ["XQ-YB-001"]
        assert sorted(report.unchanged) == ["XQ-GJJ-001", "XQ-YB-002"]
        assert report.created == []
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Window)) == 3
        w = s.scalars(sa.select(Window).where(Window.code == "XQ-YB-001")).one()
        assert w.name == "医保报销综合窗口" and w.status == "demonstration"
        change = s.scalars(sa.select(AuditLog).where(AuditLog.entity_id == "XQ-YB-001",
                                                     AuditLog.action == "update")).one()
        assert change.before == {"name": "医保报销窗口"} and change.after == {"name": "医保报销综合窗口"}


def test_export_round_trips_through_import(db):
    with db():
        ledger.import_ledger(None, _csv(ROWS).encode("gb18030"), "t.csv")
    with db():
        exported = ledger.export_csv(ledger.all_windows())
    assert exported.splitlines()[0].startswith("窗口编号,窗口名称,所属单位")
    with db():
        report = ledger.import_ledger(None, exported.encode(), "export.csv")
        assert report.errors == [] and sorted(report.unchanged) == ["XQ-GJJ-001", "XQ-YB-001", "XQ-YB-002"]


@pytest.mark.parametrize("payload,name,message", [
    (b"", "t.csv", "文件为空"),
    (b"PK\x03\x04broken", "t.xlsx", "无法读取 Excel"),
    ("窗口编号,窗口名称\nA-1,一号\n".encode(), "t.csv", "缺少必填列：所属单位"),
    (b"\x81\x20\xff\xfe\xfe", "t.csv", "无法识别文件编码"),
    (b"\x00\x01\x02binary", "t.csv", "不是文本格式"),
])
def test_unreadable_files_get_a_clear_message(db, payload, name, message):
    with db(), pytest.raises(ValidationError) as err:
        ledger.import_ledger(None, payload, name)
    assert message in err.value.message


def test_a_duplicate_is_told_against_the_row_that_was_imported(db):
    """A refused row does not count as the first of its code: the next row with that code is
    imported, and a third is told against that one, not against the refused row."""
    rows = [
        ["1", "XQ-YB-001", "人数不对", "西区医疗保障服务中心", "人力资源和社会保障", "", "很多", "", "", ""],
        ROWS[0],
        ["3", "XQ-YB-001", "重复编号", "西区医疗保障服务中心", "", "", "1", "", "", ""],
    ]
    with db():
        report = ledger.import_ledger(None, _csv(rows).encode(), "t.csv")
    by_line = {e.line: e.reason for e in report.errors}
    assert sorted(by_line) == [2, 4] and report.created == ["XQ-YB-001"]
    assert "窗口人数" in by_line[2] and "与第 3 行重复" in by_line[4]

