"""Ledger import is checked like the same write through the form or the API (issue 12, item 1).

An authority could take another industry's unit by importing a row naming it with its own
industry: the import created or updated the unit before any permission check."""

import csv
import io

import sqlalchemy as sa

from feedback_api.models import AuditLog, Unit, Window
from feedback_api.services import ledger, scope, users

HEADER = ["窗口编号", "窗口名称", "所属单位", "单位编号", "行业", "主管部门"]


def _csv(*rows, header=HEADER):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode()


def _import(db, username, *rows, header=HEADER):
    """Import ``rows`` under ``header`` as ``username`` (None: the command line)."""
    with db():
        user = users.get_user(username) if username else None
        return ledger.import_ledger(user, _csv(*rows, header=header), "台账.csv")


def test_authority_cannot_take_another_industrys_unit(db, district):
    # The health authority names the tax hall with industry health, and a new window in it.
    report = _import(db, "authority",
                     ["CD-SW-009", "挪用窗口", "城东区税务局办税服务厅", "CD-SW", "health", "城东区卫生健康局"],
                     ["CD-SW-001", "综合办税窗口（改）", "城东区税务局办税服务厅", "CD-SW", "", ""])
    assert [e.line for e in report.errors] == [2, 3]
    assert "城东区税务局办税服务厅" in report.errors[0].reason
    assert report.created == [] and report.updated == []
    with db() as s:
        unit = s.scalars(sa.select(Unit).where(Unit.code == "CD-SW")).one()
        assert (unit.industry, unit.authority) == ("tax", "城东区税务局")
        assert s.scalar(sa.select(Window).where(Window.code == "CD-SW-009")) is None
        assert s.scalars(sa.select(Window.name).where(Window.code == "CD-SW-001")).one() == "综合办税窗口"
        authority = users.get_user("authority")
        tax_hall_window = s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        assert not scope.can_see_window(authority, tax_hall_window)
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                        .where(AuditLog.entity_type == "unit", AuditLog.action == "update")) == 0


def test_authority_cannot_move_its_own_unit_to_another_industry(db, district):
    report = _import(db, "authority",
                     ["CD-RMYY-003", "新窗口", "城东区人民医院", "CD-RMYY", "tax", ""])
    assert [e.line for e in report.errors] == [2]
    assert "行业" in report.errors[0].reason
    with db() as s:
        assert s.scalars(sa.select(Unit.industry).where(Unit.code == "CD-RMYY")).one() == "health"
        assert s.scalar(sa.select(Window).where(Window.code == "CD-RMYY-003")) is None


def test_new_unit_must_fall_inside_the_authoritys_scope(db, district):
    report = _import(db, "authority",
                     ["XQ-GA-001", "户籍窗口", "西区公安分局", "XQ-GA", "public_security", ""],
                     ["XQ-WSY-001", "挂号窗口", "西区卫生院", "XQ-WSY", "health", ""])
    assert [e.line for e in report.errors] == [2]
    assert "无权新建单位“西区公安分局”" in report.errors[0].reason
    assert report.created == ["XQ-WSY-001"]
    with db() as s:
        assert s.scalar(sa.select(Unit).where(Unit.code == "XQ-GA")) is None
        assert s.scalars(sa.select(Unit.industry).where(Unit.code == "XQ-WSY")).one() == "health"


def test_authority_keeps_its_own_industrys_ledger(db, district):
    report = _import(db, "authority",
                     ["CD-RMYY-001", "门诊挂号收费处（一楼）", "城东区人民医院", "CD-RMYY", "health", ""])
    assert report.errors == [] and report.updated == ["CD-RMYY-001"]


def test_unit_users_and_the_agency_cannot_import(db, district):
    for username in ("unit", "agency"):
        report = _import(db, username,
                         ["CD-SW-001", "综合办税窗口（改）", "城东区税务局办税服务厅", "CD-SW", "", ""])
        assert [e.line for e in report.errors] == [2], username
    with db() as s:
        assert s.scalars(sa.select(Window.name).where(Window.code == "CD-SW-001")).one() == "综合办税窗口"


def test_only_the_office_changes_a_units_industry(db, district):
    report = _import(db, "office",
                     ["CD-SW-001", "综合办税窗口", "城东区税务局办税服务厅", "CD-SW", "health", "城东区卫生健康局"])
    assert report.errors == []
    with db() as s:
        unit = s.scalars(sa.select(Unit).where(Unit.code == "CD-SW")).one()
        assert (unit.industry, unit.authority) == ("health", "城东区卫生健康局")
