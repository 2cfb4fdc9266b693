"""Indicator columns are checked once per sheet: a column no indicator of the year bears, or an
indicator without a column, is one file-level error naming both, not the same error per row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api.models import Inspection
from feedback_api.services import inspection_sheets
from feedback_api.services.errors import ValidationError
from tests.feedback_api.test_inspections import HEADER, _csv, _row


def test_unknown_and_missing_indicator_columns_are_one_file_error(db, district, monkeypatch):
    header = [("礼貌用语" if h == "服务态度（15分）" else h) for h in HEADER]
    header = [h for h in header if h != "信息公开"]
    rows = [[c for i, c in enumerate(_row(n, "CD-RMYY-001", quarter=f"2026Q{n}",
                                          day=f"2026/{3 * n}/20")) if HEADER[i] != "信息公开"]
            for n in (1, 2, 3)]
    monkeypatch.setattr("tests.feedback_api.test_inspections.HEADER", header)
    with db() as s:
        with pytest.raises(ValidationError) as exc:
            inspection_sheets.import_inspections(None, _csv(rows).encode(), "检查.csv")
        message = exc.value.message
        assert message.count("礼貌用语") == 1 and "无法对应 2026 年度的测评指标" in message
        assert "缺少指标列：服务态度、信息公开" in message
        assert "2026 年度指标：服务态度、办事效率、业务能力、环境设施、廉洁诚信、制度流程、便民措施、信息公开" in message
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0


def test_matching_columns_still_import_row_by_row(db, district):
    with db():
        report = inspection_sheets.import_inspections(None, _csv([_row(1, "CD-RMYY-001")]).encode(),
                                                      "检查.csv")
        assert report.ok and report.created == ["CD-RMYY-001 2026Q3"]
