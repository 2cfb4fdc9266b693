"""The ledger import reads the names staff write for industries and statuses (人社, 卫健, 已摘牌);
an unknown name is still a row error that lists the accepted names."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import Window
from feedback_api.models.reference import INDUSTRIES
from feedback_api.services import ledger
from tests.feedback_api.test_ledger_import import HEADER, _csv


def _row(n, code, unit, industry, status, year=""):
    return [str(n), code, f"窗口{n}", unit, industry, "", "2", status, year, "",
            "季度考核不合格" if "摘" in status else ""]


def _sheet(rows):
    return _csv(rows, header=[*HEADER, "状态原因"]).encode()


def test_staff_names_for_industries_and_statuses_import(db):
    rows = [
        _row(1, "XQ-RS-001", "西区人社服务中心", "人社", "示范窗口", "2025"),
        _row(2, "XQ-WJ-001", "西区卫健服务中心", "卫健委", "创建"),
        _row(3, "XQ-SW-001", "西区税务服务厅", "税务局", "已摘牌", "2026"),
        _row(4, "XQ-GA-001", "西区公安服务中心", "公安局", "已命名", "2024"),
        _row(5, "XQ-YB-001", "西区医保服务中心", "医保", "创建中"),
        _row(6, "XQ-SJ-001", "西区市场监管服务厅", "市场监督管理局", "示范"),
    ]
    with db():
        report = ledger.import_ledger(None, _sheet(rows), "台账.csv")
        assert report.errors == [], report.errors
    with db() as s:
        got = {w.code: (w.unit.industry, w.status)
               for w in s.scalars(sa.select(Window).where(Window.code.like("XQ-%")))}
        assert got == {"XQ-RS-001": ("social_security", "demonstration"),
                       "XQ-WJ-001": ("health", "candidate"),
                       "XQ-SW-001": ("tax", "delisted"),
                       "XQ-GA-001": ("public_security", "demonstration"),
                       "XQ-YB-001": ("social_security", "candidate"),
                       "XQ-SJ-001": ("market", "demonstration")}


def test_an_unknown_name_is_a_row_error_listing_the_accepted_names(db):
    rows = [_row(1, "XQ-ZZ-001", "西区某中心", "宇宙管理", ""),
            _row(2, "XQ-RS-001", "西区人社服务中心", "人社", "已取消")]
    with db():
        report = ledger.import_ledger(None, _sheet(rows), "台账.csv")
    by_line = {e.line: e.reason for e in report.errors}
    assert sorted(by_line) == [2, 3]
    assert "宇宙管理" in by_line[2] and "、".join(INDUSTRIES.values()) in by_line[2]
    assert "已取消" in by_line[3] and "创建中、示范、摘牌" in by_line[3]
    assert HEADER[4] == "行业"
