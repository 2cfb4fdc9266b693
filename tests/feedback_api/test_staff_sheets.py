"""The ledger and inspection imports read the sheets staff really save in Excel or WPS: a title
row above the header, headers broken over lines or with a unit in brackets, a two-row header,
an instructions sheet in front, cells merged down a column, dates and scores as people type them."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from feedback_api.models import Inspection, Window
from feedback_api.services import inspection_sheets, ledger, sheets
from feedback_api.services.errors import ValidationError

LEDGER_HEADER = ["序号", "窗口编号", "窗口名称", "所属单位", "行业", "窗口人数", "状态", "状态日期",
                 "命名/摘牌年度"]
SCORES = [14, 14, 14, 9, 14, 9, 9, 9]
INDICATORS = ["服务态度", "办事效率", "业务能力", "环境设施", "廉洁诚信", "制度流程", "便民措施", "信息公开"]
INSPECTION_HEADER = (["序号", "窗口编号", "窗口名称", "季度", "检查日期", "检查人员"]
                     + [f"{n}（{w}分）" for n, w in zip(INDICATORS, [15, 15, 15, 10, 15, 10, 10, 10],
                                                      strict=True)] + ["总分", "备注"])


def _ledger_row(n: int, **cells: object) -> list[object]:
    row = dict(zip(LEDGER_HEADER, [n, f"XQ-YB-{n:03d}", f"医保窗口{n}", "西区医疗保障服务中心",
                                   "人力资源和社会保障", 3, "创建中", None, None], strict=True))
    row.update(cells)
    return list(row.values())


def _inspection_row(n: int, code: str, **cells: object) -> list[object]:
    row = dict(zip(INSPECTION_HEADER[:6], [n, code, "窗口", "2026Q3", "2026-09-20", "王五"], strict=True))
    row.update(cells)
    return list(row.values()) + SCORES + [sum(SCORES), ""]


def _xlsx(rows: list[list[object]], *, title: str | None = None, merges: tuple[str, ...] = (),
          notes_first: bool = False) -> bytes:
    wb = Workbook()
    ws = wb.active
    if notes_first:
        ws.title = "填写说明"
        ws.append(["1. 每个窗口一行。"])
        ws = wb.create_sheet("台账")
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    for row in rows:
        ws.append(row)
    for ref in merges:
        ws.merge_cells(ref)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _codes(s) -> set[str]:
    return set(s.scalars(sa.select(Window.code)))


def test_a_title_row_above_the_ledger_header_is_skipped(db):
    data = _xlsx([LEDGER_HEADER, _ledger_row(1), _ledger_row(2)], title="2026年西区文明诚信示范窗口登记台账")
    with db() as s:
        report = ledger.import_ledger(None, data, "台账.xlsx")
        assert report.errors == [] and sorted(report.created) == ["XQ-YB-001", "XQ-YB-002"]
        assert _codes(s) == {"XQ-YB-001", "XQ-YB-002"}


def test_headers_with_line_breaks_spaces_and_a_unit_in_brackets_are_recognised(db):
    header = ["序号", "窗口\n编号", " 窗口名称 ", "所属\u3000单位", "行业", "窗口人数（人）", "状态",
              "状态日期(年月日)", "命名/摘牌年度"]
    with db() as s:
        report = ledger.import_ledger(None, _xlsx([header, _ledger_row(1)]), "台账.xlsx")
        assert report.errors == [] and report.created == ["XQ-YB-001"]
        assert s.scalars(sa.select(Window.staff_count)).one() == 3


def test_a_two_row_header_with_cells_merged_down_reads_the_lower_row(db):
    top = ["序号", "窗口编号", "窗口名称", "所属单位", "行业", "窗口人数", "状态信息", None, None]
    below = [None, None, None, None, None, None, "状态", "状态日期", "命名/摘牌年度"]
    merges = ("A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:E2", "F1:F2", "G1:I1")
    row = _ledger_row(1, 状态="示范", 状态日期=datetime(2026, 3, 5), **{"命名/摘牌年度": 2026})
    with db() as s:
        report = ledger.import_ledger(None, _xlsx([top, below, row], merges=merges), "台账.xlsx")
        assert report.errors == [] and report.created == ["XQ-YB-001"]
        window = s.scalars(sa.select(Window)).one()
        assert (window.status, window.status_year, str(window.status_date)) == (
            "demonstration", 2026, "2026-03-05")


def test_the_ledger_is_found_behind_an_instructions_sheet(db):
    data = _xlsx([LEDGER_HEADER, _ledger_row(1)], notes_first=True)
    with db() as s:
        assert ledger.import_ledger(None, data, "台账.xlsx").created == ["XQ-YB-001"]
        assert _codes(s) == {"XQ-YB-001"}


def test_a_sheet_without_the_header_names_the_missing_columns_and_stores_nothing(db):
    data = _xlsx([["窗口编号", "季度", "检查日期", "检查人员"], ["CD-SW-001", "2026Q3", "2026-09-01", "王"]],
                 title="2026年第三季度综合检查")
    with db() as s, pytest.raises(ValidationError) as err:
        ledger.import_ledger(None, data, "检查.xlsx")
    # The row that looked most like a header is the one named, with what it lacks.
    assert "第 2 行" in err.value.message and "窗口名称、所属单位" in err.value.message
    with db() as s:
        assert _codes(s) == set()


def test_an_inspection_sheet_with_a_title_row_and_broken_headers_imports(db, district):
    header = [h.replace("（", "\n（") for h in INSPECTION_HEADER]
    header[1], header[4], header[7] = "窗口\n编号", "检查 日期", "办事效率\n（满分15）"
    data = _xlsx([header, _inspection_row(1, "CD-SW-001"), _inspection_row(2, "CD-SW-002")],
                 title="2026年第三季度综合检查评分表")
    with db() as s:
        report = inspection_sheets.import_inspections(None, data, "检查.xlsx")
        assert report.errors == [] and sorted(report.created) == ["CD-SW-001 2026Q3", "CD-SW-002 2026Q3"]
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 2


def test_a_unit_merged_down_its_windows_belongs_to_every_row_of_the_merge(db):
    rows = [LEDGER_HEADER, _ledger_row(1), _ledger_row(2, 所属单位=None), _ledger_row(3, 所属单位=None)]
    with db() as s:
        report = ledger.import_ledger(None, _xlsx(rows, merges=("D2:D4",)), "台账.xlsx")
        assert report.errors == [] and len(report.created) == 3
        units = {w.code: w.unit.name for w in s.scalars(sa.select(Window))}
        assert set(units.values()) == {"西区医疗保障服务中心"}


def test_an_inspection_date_and_inspectors_merged_down_apply_to_each_row(db, district):
    rows = [INSPECTION_HEADER, _inspection_row(1, "CD-SW-001"),
            _inspection_row(2, "CD-SW-002", 检查日期=None, 检查人员=None)]
    with db() as s:
        report = inspection_sheets.import_inspections(None, _xlsx(rows, merges=("E2:E3", "F2:F3")),
                                                      "检查.xlsx")
        assert report.errors == [] and len(report.created) == 2
        assert {i.inspectors for i in s.scalars(sa.select(Inspection))} == {"王五"}


def test_a_damaged_excel_97_file_is_refused_with_how_to_save_it(db):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # an .xls starts so
    for importer in (ledger.import_ledger, inspection_sheets.import_inspections):
        with db(), pytest.raises(ValidationError, match=r"\.xls.*另存为 \.xlsx"):
            importer(None, ole, "台账.xls")


@pytest.mark.parametrize("typed", ["2026/3/5", "2026年3月5日", "2026.03.05", "２０２６年３月５日",
                                   "2026-3-5", "20260305", " 2026-03-05 "])
def test_a_status_date_typed_as_people_type_it_is_read(db, typed):
    row = _ledger_row(1, 状态="摘牌", 状态日期=typed)
    row.append("连续两个季度考核不合格")
    with db() as s:
        report = ledger.import_ledger(None, _xlsx([LEDGER_HEADER + ["状态原因"], row]), "台账.xlsx")
        assert report.errors == [], report.errors
        assert str(s.scalars(sa.select(Window.status_date)).one()) == "2026-03-05"


def test_an_inspection_date_typed_without_separators_is_read(db, district):
    rows = [INSPECTION_HEADER, _inspection_row(1, "CD-SW-001", 检查日期="20260920")]
    with db() as s:
        report = inspection_sheets.import_inspections(None, _xlsx(rows), "检查.xlsx")
        assert report.errors == [] and report.created == ["CD-SW-001 2026Q3"]
        assert str(s.scalars(sa.select(Inspection.inspected_on)).one()) == "2026-09-20"


def test_a_date_that_is_no_date_names_the_column(db):
    row = _ledger_row(1, 状态="摘牌", 状态日期="三月五日")
    row.append("原因")
    with db():
        report = ledger.import_ledger(None, _xlsx([LEDGER_HEADER + ["状态原因"], row]), "台账.xlsx")
    assert [e.line for e in report.errors] == [2] and "状态日期" in report.errors[0].reason


def test_scores_written_with_their_unit_are_read_as_numbers(db, district):
    row = _inspection_row(1, "CD-SW-001")
    row[6:14] = ["14分", "１４", " 14.5 分", 9, 14, 9, 9, "9分"]
    with db() as s:
        report = inspection_sheets.import_inspections(None, _xlsx([INSPECTION_HEADER, row]), "检查.xlsx")
        assert report.errors == [] and report.created == ["CD-SW-001 2026Q3"]
        assert s.scalars(sa.select(Inspection.total)).one() == 92.5


def test_a_score_that_is_no_number_names_the_row_and_the_indicator(db, district):
    row = _inspection_row(1, "CD-SW-001")
    row[6] = "良好"
    with db() as s:
        report = inspection_sheets.import_inspections(None, _xlsx([INSPECTION_HEADER, row]), "检查.xlsx")
        assert [e.line for e in report.errors] == [2]
        assert "服务态度" in report.errors[0].reason and "良好" in report.errors[0].reason
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0


def test_a_sheet_with_only_its_header_says_there_are_no_rows(db):
    # The downloaded template, sent back unfilled, is not an import of nothing that "succeeded".
    for importer, header in ((ledger.import_ledger, LEDGER_HEADER),
                             (inspection_sheets.import_inspections, INSPECTION_HEADER)):
        with db(), pytest.raises(ValidationError, match="第 2 行是表头，其下没有数据行"):
            importer(None, _xlsx([header, [None] * len(header)], title="模板"), "模板.xlsx")


@pytest.mark.parametrize("typed", ["２０２６Ｑ３", "2026年第３季度", "２０２６年三季度", "2026 q3"])
def test_a_quarter_in_full_width_characters_is_read(typed):
    assert inspection_sheets.parse_quarter(typed) == (2026, 3)


def test_an_inspection_row_without_a_window_code_says_so(db, district):
    rows = [INSPECTION_HEADER, _inspection_row(1, "  ")]
    with db():
        report = inspection_sheets.import_inspections(None, _xlsx(rows), "检查.xlsx")
    assert [(e.line, e.reason) for e in report.errors] == [(2, "窗口编号为空")]


def test_an_inspection_sheet_with_indicators_grouped_under_a_merged_heading_imports(db, district):
    fixed = INSPECTION_HEADER[:6]
    top = fixed + ["检查得分"] + [None] * 7 + ["总分", "备注"]
    below = [None] * 6 + INSPECTION_HEADER[6:14] + [None, None]
    merges = tuple(f"{c}2:{c}3" for c in "ABCDEFOP") + ("G2:N2",)  # under the title row
    rows = [top, below, _inspection_row(1, "CD-SW-001"), _inspection_row(2, "CD-SW-002")]
    with db():
        report = inspection_sheets.import_inspections(None, _xlsx(rows, merges=merges,
                                                                  title="综合检查评分表"), "检查.xlsx")
    assert report.errors == [] and len(report.created) == 2


def test_a_workbook_too_long_is_refused_before_it_is_loaded_whole():
    # Loading a sheet whole (to see its merged cells) costs memory by the row: a 16 MB upload of
    # a few hundred thousand rows is refused from a streamed count instead.
    data = _xlsx([LEDGER_HEADER] + [_ledger_row(n) for n in range(1, 40)], title="台账")
    with pytest.raises(ValidationError, match="太长"):
        sheets.read_tables(data, "台账.xlsx", max_rows=20, too_long=lambda: ValidationError("太长"))
    assert len(sheets.read_tables(data, "台账.xlsx", max_rows=39, too_long=lambda: ValidationError("太长"))[0]) == 41


def test_a_csv_too_long_is_refused_as_it_is_read():
    text = "窗口编号,窗口名称,所属单位\n" + "".join(f"XQ-A-{n},窗口,单位\n" for n in range(40))
    with pytest.raises(ValidationError, match="太长"):
        sheets.read_tables(text.encode(), "台账.csv", max_rows=20, too_long=lambda: ValidationError("太长"))


def test_the_template_of_a_standard_with_brackets_in_an_indicator_name_imports(db, district):
    from feedback_api.services import standards
    from tests.assessment_helpers import user

    with db():
        std = standards.ensure_standard(2026)
        items = [{"id": i.id, "category": i.category, "name": i.name, "weight": i.weight,
                  "pass_line": i.pass_line} for i in std.indicators]
        items[6]["name"] = "便民措施（含预约服务）"
        standards.update_standard(user("office"), 2026, {"indicators": items})
    with db():
        header = inspection_sheets.template_headers(2026)
        assert "便民措施（含预约服务）（10分）" in header
        row = ["CD-SW-001", "2026Q3", "2026-09-20", "王五", *SCORES, ""]
        report = inspection_sheets.import_inspections(None, _xlsx([header, row]), "检查.xlsx")
        assert report.errors == [] and report.created == ["CD-SW-001 2026Q3"]
