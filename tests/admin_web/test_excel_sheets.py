"""Every Excel export is a table a clerk sorts and filters: a frozen header row with an
auto-filter, columns as wide as their contents, and numbers and dates as Excel numbers and dates,
never as text ("第 1 / 5 名", "2026-07-01")."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from feedback_api.services import cells, ledger, ticket_open, windows
from tests.assessment_helpers import add_feedback, inspection

Q3 = "2026Q3"
#: Text a clerk would want as a number or a date (a code or a phone number stays text).
NUMBER_AS_TEXT = re.compile(r"^(第\s*\d+\s*/\s*\d+\s*名|\d+(\.\d+)?%?|\d{4}-\d{2}-\d{2}([ T][\d:]+)?)$")


@pytest.fixture()
def rated(db, district):
    with db():
        add_feedback("CD-SW-001", [5] * 12 + [4] * 5 + [1] * 3)
        add_feedback("CD-SW-002", [4] * 6)
        add_feedback("CD-RMYY-001", [5] * 4 + [1])
        inspection("CD-SW-001", 2026, 3)
        inspection("CD-SW-002", 2026, 3)
        window = windows.get_window(None, "CD-SW-001")
        ticket_open.open_ticket(None, window, topic="attitude", problem="服务态度生硬" * 20,
                                source="office", now=datetime(2026, 8, 12, 2, tzinfo=UTC))


def _table_checks(ws, header_row: int = 1) -> None:
    header = [c.value for c in ws[header_row]]
    assert ws.freeze_panes == f"A{header_row + 1}", ws.title
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith(f"A{header_row}:"), ws.title
    for i, title in enumerate(header, 1):
        dim = ws.column_dimensions[get_column_letter(i)]
        assert dim.customWidth and dim.width >= cells.text_width(str(title)), (ws.title, title, dim.width)
    for row in ws.iter_rows(min_row=header_row + 1):
        for cell, title in zip(row, header, strict=False):
            if isinstance(cell.value, str) and "电话" not in str(title) and "编号" not in str(title):
                assert not NUMBER_AS_TEXT.match(cell.value), (ws.title, title, cell.value)


def test_the_report_ranks_are_numbers_with_the_count_ranked_beside_them(client, auth, rated):
    auth.login("office")
    for path in (f"/reports/windows/CD-SW-001/report.xlsx?period={Q3}",
                 f"/reports/units/CD-SW/report.xlsx?period={Q3}"):
        wb = load_workbook(io.BytesIO(client.get(path).data))
        ws = wb["综合得分"]
        header, *rows = list(ws.values)
        at = {h: i for i, h in enumerate(header)}
        assert {"行业排名", "行业参评窗口数", "区内排名", "区内参评窗口数"} <= set(at)
        for row in rows:
            assert isinstance(row[at["行业排名"]], int) and isinstance(row[at["行业参评窗口数"]], int)
            assert 1 <= row[at["行业排名"]] <= row[at["行业参评窗口数"]]
            assert 1 <= row[at["区内排名"]] <= row[at["区内参评窗口数"]]
        _table_checks(ws)
        for name in ("评分分布", "月度趋势", "问题类别", "督办"):
            _table_checks(wb[name])


def test_the_ticket_export_has_widths_a_frozen_header_and_a_filter(client, auth, rated):
    auth.login("office")
    ws = load_workbook(io.BytesIO(client.get("/tickets/export.xlsx").data)).active
    _table_checks(ws)
    widths = {ws.cell(1, i).value: ws.column_dimensions[get_column_letter(i)].width
              for i in range(1, ws.max_column + 1)}
    # The long text is wide but bounded; a date column fits a date and time.
    assert widths["整改要求"] == cells.MAX_WIDTH and widths["开单时间"] >= len("2026-08-12 10:00")


def test_the_ledger_export_holds_numbers_and_dates(db, district):
    with db():
        windows.update_window(None, "CD-SW-001", {"status_date": "2026-03-01", "status_year": 2026,
                                                  "status": "demonstration", "staff_count": 6})
        ws = load_workbook(io.BytesIO(ledger.export_xlsx(ledger.all_windows()))).active
        _table_checks(ws)
        header, *rows = list(ws.values)
        row = next(r for r in rows if r[0] == "CD-SW-001")
        assert row[header.index("状态日期")] == datetime(2026, 3, 1)
        assert row[header.index("窗口人数")] == 6 and row[header.index("命名/摘牌年度")] == 2026
        # What is exported imports back unchanged.
        report = ledger.import_ledger(None, ledger.export_xlsx(ledger.all_windows()), "台账.xlsx")
        assert report.errors == [] and report.updated == []


def test_the_assessment_ranks_are_numbers_with_the_count_ranked_beside_them(client, auth, rated):
    auth.login("office")
    ws = load_workbook(io.BytesIO(client.get(f"/assessment/export.xlsx?period={Q3}").data)).worksheets[0]
    header, *rows = list(ws.values)
    at = {h: i for i, h in enumerate(header)}
    assert header[:3] == ("区内排名", "行业排名", "行业参评窗口数")
    ranked = [r for r in rows if r[at["行业排名"]] is not None]
    assert ranked
    for row in ranked:  # "1/5" as text sorts 10/12 before 2/12
        assert isinstance(row[at["行业排名"]], int) and isinstance(row[at["行业参评窗口数"]], int)
        assert 1 <= row[at["行业排名"]] <= row[at["行业参评窗口数"]]
    _table_checks(ws)
