"""A sheet's quarter written without its year ("四季度") takes the year from the inspection date;
a fourth-quarter inspection held in January (allowed: up to 92 days after the quarter) is the
year before's, as the office means it, not a quarter that has not begun."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from feedback_api.models import Inspection
from feedback_api.services import inspection_sheets
from tests.assessment_helpers import user


@pytest.mark.parametrize("text, on, expected", [
    ("四季度", date(2026, 1, 15), (2025, 4)),
    ("Q4", date(2026, 3, 31), (2025, 4)),
    ("第三季度", date(2026, 11, 2), (2026, 3)),
    ("1", date(2026, 3, 1), (2026, 1)),
    ("2026Q4", date(2027, 1, 15), (2026, 4)),  # the year written wins
])
def test_a_quarter_without_its_year_is_the_one_the_date_follows(text, on, expected):
    assert inspection_sheets.parse_quarter(text, on) == expected


def test_a_january_row_of_the_fourth_quarter_imports_into_the_year_before(db, district):
    header = ["窗口编号", "季度", "检查日期", "检查人员", "服务态度", "办事效率", "业务能力", "环境设施",
              "廉洁诚信", "制度流程", "便民措施", "信息公开"]
    buf = io.StringIO()
    csv.writer(buf).writerows([header, ["CD-RMYY-001", "四季度", "2026-01-12", "赵六",
                                        "15", "15", "15", "10", "15", "10", "10", "10"]])
    with db() as s:
        report = inspection_sheets.import_inspections(user("authority"), buf.getvalue().encode(),
                                                      "检查.csv")
        assert report.ok and report.created == ["CD-RMYY-001 2025Q4"], report.errors
        insp = s.scalars(sa.select(Inspection)).one()
        assert (insp.year, insp.quarter, insp.inspected_on) == (2025, 4, date(2026, 1, 12))
