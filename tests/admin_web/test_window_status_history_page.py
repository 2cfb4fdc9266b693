"""The window's page shows its title status history to whoever may see the window: the office
everywhere, an authority or a unit its own windows only; a withdrawn proposal shows on the
proposals page as 无需处理 with its note, with nothing left to confirm or dismiss."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from openpyxl import load_workbook

from analytics import delisting
from feedback_api.models import DelistingProposal, WindowStatusChange
from feedback_api.services import covert, ledger, users, windows
from feedback_api.services import delisting as proposals
from tests.assessment_helpers import inspection

INCIDENT = {"kind": "safety", "description": "电梯故障致群众受伤", "source": "群众举报",
            "severity": "major"}


def _delist_by_rule_4(db, code: str) -> None:
    with db() as s:
        office = users.get_user("office")
        windows.update_window(office, code, {
            "status": "demonstration", "status_year": 2025, "status_date": "2025-12-30",
            "status_reason": "2025年度评审命名"})
        for q in (1, 2, 3):
            inspection(code, 2026, q, passed=False)
        covert.save_incident(None, {**INCIDENT, "window": code, "occurred_on": "2026-09-01"})
        delisting.evaluate(2026)
        (p,) = [p for p in s.scalars(sa.select(DelistingProposal)) if p.rule == 4]
        proposals.confirm(office, p.id, on=date(2026, 9, 10))


def _history_section(page: str) -> str:
    start = page.index("称号状态记录")
    return page[start:page.index("评分分布", start)]


def test_the_office_reads_a_windows_history(client, auth, db, district):
    _delist_by_rule_4(db, "CD-SW-001")
    auth.login("office")
    section = _history_section(client.get("/windows/CD-SW-001").get_data(as_text=True))
    assert "共 3 次" in section
    for text in ("创建中 → 示范", "2025-12-30", "2025年度评审命名", "页面编辑",
                 "示范 → 摘牌", "2026-09-10", "2026年摘牌：发生重大安全事故", "确认摘牌建议",
                 "office", "命令行"):
        assert text in section, text


def test_units_and_authorities_read_their_own_windows_history_only(client, auth, db, district):
    _delist_by_rule_4(db, "CD-SW-001")
    auth.login("unit")  # CD-SW
    section = _history_section(client.get("/windows/CD-SW-001").get_data(as_text=True))
    assert "示范 → 摘牌" in section
    assert client.get("/windows/CD-RMYY-001").status_code == 404
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("authority")  # health
    assert "共 1 次" in _history_section(client.get("/windows/CD-RMYY-001").get_data(as_text=True))
    assert client.get("/windows/CD-SW-001").status_code == 404


def test_a_withdrawn_proposal_reads_as_such_on_the_proposals_page(client, auth, db, district):
    _delist_by_rule_4(db, "CD-SW-001")
    auth.login("office")
    page = client.get("/assessment/delisting?state=withdrawn").get_data(as_text=True)
    assert "无需处理" in page
    assert "已因2026年规则 4（发生重大安全事故或造成不良社会影响的事件）于 2026-09-10 摘牌，无需处理" in page
    assert "3 次季度综合检查不合格" in page and "下载通报" not in page  # not the confirmed one
    assert "确认摘牌</button>" not in page and "不予采纳</button>" not in page
    assert '<option value="withdrawn" selected>无需处理</option>' in page
    with db() as s:
        pid = s.scalars(sa.select(DelistingProposal.id).where(
            DelistingProposal.state == "withdrawn")).one()
    resp = client.post(f"/assessment/delisting/{pid}/dismiss", follow_redirects=True, data={
        "csrf_token": auth.csrf_token("/assessment/delisting"), "note": "补充"})
    assert "该摘牌建议已处理" in resp.get_data(as_text=True)
    audit = client.get("/audit?entity=delisting_proposal").get_data(as_text=True)
    assert "撤回（无需处理）" in audit


def test_the_ledger_workbook_carries_the_history_in_scope_and_imports_back(client, auth, db,
                                                                           district):
    _delist_by_rule_4(db, "CD-SW-001")
    auth.login("unit")  # CD-SW only
    body = client.get("/windows/export.xlsx").data
    wb = load_workbook(io.BytesIO(body))
    assert wb.sheetnames == ["登记台账", "称号状态记录"]
    header, *rows = list(wb["称号状态记录"].values)
    assert header[:4] == ("窗口编号", "窗口名称", "原状态", "新状态")
    assert [(r[0], r[2], r[3], r[4], r[8]) for r in rows] == [
        ("CD-SW-001", None, "创建中", None, "页面编辑"),
        ("CD-SW-001", "创建中", "示范", 2025, "页面编辑"),
        ("CD-SW-001", "示范", "摘牌", 2026, "确认摘牌建议"),
        ("CD-SW-002", None, "创建中", None, "页面编辑")]
    assert rows[0][7] == "命令行" and rows[2][7] == "office"
    with db():
        report = ledger.import_ledger(users.get_user("office"), body, "ledger.xlsx")
        assert report.ok and report.summary()
    with db() as s:  # the import changed no title: no new history row
        assert s.scalar(sa.select(sa.func.count()).select_from(WindowStatusChange)) == 6
