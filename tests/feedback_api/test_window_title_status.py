"""A window's title status (创建中/示范/摘牌, with its date, year and reason) is the office's to
change: the annual cycle's award gives the title and a confirmed delisting takes it. An industry
authority keeps the rest of its windows' ledger, through the API and the ledger import, but a
write that would change the title is refused (the walkthrough saved 示范 by an authority's edit,
and put a delisted window back to 创建中)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api.models import AuditLog, Window
from feedback_api.services import ledger, users
from feedback_api.services import windows as window_service
from tests.feedback_api import test_ledger_scope as ledger_scope

HEADER = ["窗口编号", "窗口名称", "所属单位", "状态", "命名/摘牌年度", "状态原因"]


def _window(s, code):
    return s.scalars(sa.select(Window).where(Window.code == code)).one()


def _updates(s, code):
    return s.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "window",
                                               AuditLog.entity_id == code,
                                               AuditLog.action == "update")
                     .order_by(AuditLog.id)).all()


def _delist_as_office(db, code):
    with db():
        window_service.update_window(users.get_user("office"), code, {
            "status": "delisted", "status_date": "2026-03-31", "status_year": 2026,
            "status_reason": "一年内三次综合检查不合格"})


@pytest.mark.parametrize("change", [
    {"status": "demonstration"},
    {"status": "delisted", "status_reason": "自行摘牌"},
    {"status_year": 2027},
    {"status_date": "2026-01-01"},
    {"status_reason": "改写的原因"},
])
def test_api_refuses_an_authoritys_title_change(client, db, district, token_for, change):
    resp = client.patch("/api/v1/windows/CD-RMYY-001", headers=token_for("authority"),
                        json={"name": "门诊挂号收费处（一楼）", **change})
    assert resp.status_code == 403
    err = resp.get_json()["error"]
    assert err["code"] == "forbidden" and "区联席办" in err["message"]
    assert set(err["details"]) == set(change)
    with db() as s:
        w = _window(s, "CD-RMYY-001")
        assert (w.name, w.status, w.status_year, w.status_date) == ("门诊挂号收费处", "candidate", None, None)
        assert _updates(s, "CD-RMYY-001") == []


def test_api_refuses_an_authority_putting_a_delisted_window_back(client, db, district, token_for):
    _delist_as_office(db, "CD-RMYY-002")
    resp = client.patch("/api/v1/windows/CD-RMYY-002", headers=token_for("authority"),
                        json={"status": "candidate"})
    assert resp.status_code == 403 and "摘牌" in resp.get_json()["error"]["message"]
    with db() as s:
        assert _window(s, "CD-RMYY-002").status == "delisted"


def test_api_takes_an_authoritys_edit_that_repeats_the_title(client, db, district, token_for):
    _delist_as_office(db, "CD-RMYY-002")
    resp = client.patch("/api/v1/windows/CD-RMYY-002", headers=token_for("authority"), json={
        "name": "住院结算窗口（二楼）", "status": "delisted", "status_year": 2026,
        "status_date": "2026-03-31", "status_reason": "一年内三次综合检查不合格"})
    assert resp.status_code == 200, resp.get_json()
    with db() as s:
        w = _window(s, "CD-RMYY-002")
        assert (w.name, w.status) == ("住院结算窗口（二楼）", "delisted")


def test_api_creates_an_authoritys_window_only_as_candidate(client, db, district, token_for):
    h = token_for("authority")
    resp = client.post("/api/v1/windows", headers=h, json={
        "code": "CD-RMYY-008", "name": "新窗口", "unit": "CD-RMYY", "status": "demonstration",
        "status_year": 2026})
    assert resp.status_code == 403 and "创建中" in resp.get_json()["error"]["message"]
    resp = client.post("/api/v1/windows", headers=h, json={
        "code": "CD-RMYY-009", "name": "新窗口", "unit": "CD-RMYY", "status": "candidate",
        "status_year": None})
    assert resp.status_code == 201, resp.get_json()
    with db() as s:
        assert s.scalar(sa.select(Window).where(Window.code == "CD-RMYY-008")) is None
        assert _window(s, "CD-RMYY-009").status == "candidate"


def test_api_refuses_units_and_the_agency(client, db, district, token_for):
    for role in ("unit", "agency"):
        resp = client.patch("/api/v1/windows/CD-SW-001", headers=token_for(role),
                            json={"status": "demonstration"})
        assert resp.status_code == 403, role
    with db() as s:
        assert _window(s, "CD-SW-001").status == "candidate"


def test_the_office_keeps_changing_the_title_with_the_same_audit(client, db, district, token_for):
    resp = client.patch("/api/v1/windows/CD-RMYY-001", headers=token_for("office"),
                        json={"status": "demonstration", "status_year": 2026,
                              "status_date": "2026-12-01"})
    assert resp.status_code == 200, resp.get_json()
    with db() as s:
        [entry] = _updates(s, "CD-RMYY-001")
        assert entry.actor == "office"
        assert entry.before == {"status": "candidate", "status_date": None, "status_year": None}
        assert entry.after == {"status": "demonstration", "status_date": "2026-12-01",
                               "status_year": 2026}


def _import(db, username, *rows):
    return ledger_scope._import(db, username, *rows, header=HEADER)


def test_import_refuses_an_authoritys_rows_that_change_the_title(db, district):
    _delist_as_office(db, "CD-RMYY-002")
    report = _import(db, "authority",
                     ["CD-RMYY-001", "门诊挂号收费处（一楼）", "城东区人民医院", "示范", "2026", ""],
                     ["CD-RMYY-002", "住院结算窗口", "城东区人民医院", "创建中", "", ""],
                     ["CD-RMYY-007", "新示范窗口", "城东区人民医院", "示范窗口", "2026", ""],
                     ["CD-RMYY-002", "住院结算窗口", "城东区人民医院", "已摘牌", "2025", ""])
    by_line = {e.line: e.reason for e in report.errors}
    assert sorted(by_line) == [2, 3, 4, 5], by_line
    assert "创建中" in by_line[2] and "示范" in by_line[2] and "区联席办" in by_line[2]
    assert "摘牌" in by_line[3] and "创建中" in by_line[3]
    assert "创建中" in by_line[4] and "区联席办" in by_line[4]
    assert "命名/摘牌年度" in by_line[5]
    assert report.created == [] and report.updated == []
    with db() as s:
        assert _window(s, "CD-RMYY-001").name == "门诊挂号收费处"
        assert _window(s, "CD-RMYY-001").status == "candidate"
        assert _window(s, "CD-RMYY-002").status == "delisted"
        assert s.scalar(sa.select(Window).where(Window.code == "CD-RMYY-007")) is None


def test_import_takes_an_authoritys_rows_that_keep_the_title(db, district):
    _delist_as_office(db, "CD-RMYY-002")
    report = _import(db, "authority",
                     ["CD-RMYY-001", "门诊挂号收费处（一楼）", "城东区人民医院", "创建中", "", ""],
                     ["CD-RMYY-002", "住院结算窗口（二楼）", "城东区人民医院", "摘牌", "2026",
                      "一年内三次综合检查不合格"],
                     ["CD-RMYY-003", "新窗口", "城东区人民医院", "创建中", "", ""],
                     ["CD-RMYY-004", "另一新窗口", "城东区人民医院", "", "", ""])
    assert report.errors == [], report.errors
    assert report.updated == ["CD-RMYY-001", "CD-RMYY-002"]
    assert report.created == ["CD-RMYY-003", "CD-RMYY-004"]
    with db() as s:
        assert _window(s, "CD-RMYY-002").status == "delisted"
        assert {_window(s, c).status for c in ("CD-RMYY-003", "CD-RMYY-004")} == {"candidate"}


@pytest.mark.parametrize("username", ["office", None])  # None: the command line
def test_import_by_the_office_still_sets_the_title(db, district, username):
    _delist_as_office(db, "CD-RMYY-002")
    report = _import(db, username,
                     ["CD-RMYY-001", "门诊挂号收费处", "城东区人民医院", "示范", "2026", ""],
                     ["CD-RMYY-002", "住院结算窗口", "城东区人民医院", "创建中", "", ""],
                     ["CD-RMYY-007", "新示范窗口", "城东区人民医院", "示范", "2025", ""])
    assert report.errors == [], report.errors
    with db() as s:
        got = {c: _window(s, c).status for c in ("CD-RMYY-001", "CD-RMYY-002", "CD-RMYY-007")}
        assert got == {"CD-RMYY-001": "demonstration", "CD-RMYY-002": "candidate",
                       "CD-RMYY-007": "demonstration"}
        [entry] = _updates(s, "CD-RMYY-001")
        assert entry.before == {"status": "candidate", "status_date": None, "status_year": None}
        assert entry.after["status"] == "demonstration" and entry.after["status_year"] == 2026


def test_import_by_a_unit_is_still_refused(db, district):
    report = _import(db, "unit", ["CD-SW-001", "综合办税窗口", "城东区税务局办税服务厅", "示范", "", ""])
    assert [e.line for e in report.errors] == [2]
    with db() as s:
        assert _window(s, "CD-SW-001").status == "candidate"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_authoritys_own_export_imports_back_without_errors(db, district, kind):
    _delist_as_office(db, "CD-RMYY-002")
    with db():
        authority = users.get_user("authority")
        rows = ledger.all_windows(authority)
        body = (ledger.export_csv(rows).encode() if kind == "csv" else ledger.export_xlsx(rows))
        report = ledger.import_ledger(authority, body, f"台账.{kind}")
    assert report.errors == [] and sorted(report.unchanged) == ["CD-RMYY-001", "CD-RMYY-002"]
