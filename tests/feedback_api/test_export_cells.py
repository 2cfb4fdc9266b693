"""Exports neutralise cells a spreadsheet would run as formulas (CSV injection), and the ledger
import reads them back to the stored values (issue 12, item 9)."""

import csv
import io
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from feedback_api.models import Window
from feedback_api.services import cells, ledger, units
from feedback_api.services import windows as window_service

#: Values a spreadsheet would take for a formula (or a DDE payload), and harmless look-alikes.
HOSTILE = {
    "name": '=HYPERLINK("http://evil.example/","点此")',
    "address": "+cmd|' /C calc'!A0",
    "contact_person": "@SUM(1+1)*cmd|' /C calc'!A0",
    "contact_phone": "-",
    "service_items": "-2+3",
    "remarks": "'=already quoted",
}


def _seed(db):
    with db():
        units.ensure_unit(None, name="=1+1 单位", code="XQ-ZH", industry="tax", authority="-")
        window_service.create_window(None, {"code": "XQ-ZH-001", "unit": "XQ-ZH", "staff_count": 3,
                                            **HOSTILE})
        window_service.create_window(None, {"code": "XQ-ZH-002", "name": "普通窗口", "unit": "XQ-ZH",
                                            "contact_phone": "0571-88886666", "remarks": "a=b, c-d"})


def _stored(db):
    with db() as s:
        return {w.code: {**window_service.window_to_dict(w), "unit": w.unit.name,
                         "authority": w.unit.authority}
                for w in s.scalars(sa.select(Window))}


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("-", "'-"), ("'=1", "''=1"), ("''+x", "'''+x"),
    ("0571-88886666", "0571-88886666"), ("a=b", "a=b"), ("'quoted", "'quoted"), ("", ""),
    ("办税服务厅3号窗口", "办税服务厅3号窗口"), (-3, -3), (2.5, 2.5), (None, None),
])
def test_a_cell_is_neutralised_and_read_back(value, expected):
    assert cells.neutralise(value) == expected
    if isinstance(value, str):
        assert cells.restore(cells.neutralise(value)) == value


def test_csv_export_has_no_formula_cells_and_round_trips(db, district):
    _seed(db)
    with db():
        text = ledger.export_csv(ledger.all_windows())
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows[1:]:
        for value in row:
            assert not value or value[0] not in "=+-@\t\r", value
    by_code = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_code["XQ-ZH-001"]["窗口名称"] == "'" + HOSTILE["name"]
    assert by_code["XQ-ZH-001"]["联系电话"] == "'-"
    assert by_code["XQ-ZH-001"]["所属单位"] == "'=1+1 单位"
    assert by_code["XQ-ZH-001"]["窗口人数"] == "3"
    assert by_code["XQ-ZH-002"]["联系电话"] == "0571-88886666"

    before = _stored(db)
    with db():
        report = ledger.import_ledger(None, text.encode("utf-8"), "ledger.csv")
        assert report.errors == [] and report.created == []
    assert _stored(db) == before  # nothing changed: every value came back as stored


def test_xlsx_export_writes_text_cells_never_formulas_and_round_trips(db, district):
    _seed(db)
    with db():
        data = ledger.export_xlsx(ledger.all_windows())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula anywhere
    ws = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "XQ-ZH-001")
    cell = row[header.index("窗口名称")]
    # Excel's own quote prefix (what typing '= does): shown as text, kept text when edited.
    assert cell.data_type == "s" and cell.value == HOSTILE["name"] and cell.quotePrefix
    assert row[header.index("窗口人数")].value == 3  # numbers stay numbers

    before = _stored(db)
    with db():
        report = ledger.import_ledger(None, data, "ledger.xlsx")
        assert report.errors == [] and report.created == []
    assert _stored(db) == before


def test_the_web_export_is_neutralised_too(client, auth, db, district):
    _seed(db)
    auth.login("office")
    body = client.get("/windows/export.csv").get_data(as_text=True).removeprefix("\ufeff")
    values = [v for row in csv.reader(io.StringIO(body)) for v in row]
    assert "'" + HOSTILE["name"] in values and "'-" in values
    assert not [v for v in values if v and v[0] in "=+-@\t\r"]


def test_every_module_that_writes_a_spreadsheet_neutralises_its_cells(repo_root):
    """A new export (CSV or XLSX) goes through feedback_api/services/cells.py too."""
    writers = ("csv.writer(", "csv.DictWriter(", "Workbook(")
    offenders = []
    for folder in ("feedback_api", "wechat_bot", "analytics", "admin_web"):
        for path in (repo_root / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            if path.name != "cells.py" and any(w in source for w in writers) and "cells." not in source:
                offenders.append(str(path.relative_to(repo_root)))
    assert offenders == []
