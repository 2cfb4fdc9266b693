"""Every change of a window's title status is written, by the window registry alone, to its
history: from, to, the year, the day of effect, the reason, who, and through what (the award,
a confirmed delisting, the office's edit, the API, a ledger import). Other edits write none."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from feedback_api.models import WindowStatusChange
from feedback_api.services import cycle as svc
from feedback_api.services import delisting as proposals
from feedback_api.services import ledger, users, window_status, windows
from tests.cycle_helpers import scored_recommendation


def _rows(code: str) -> list[tuple]:
    w = windows.get_window(None, code)
    return [(c.from_status, c.to_status, c.status_year,
             c.effective_on.isoformat() if c.effective_on else None, c.actor, c.via)
            for c in window_status.history(w)]


def test_a_window_walked_from_registration_to_award_to_delisting(db, district):
    with db():
        office = users.get_user("office")
        programme, _sub = scored_recommendation(2026)  # CD-RMYY-001
        publicity = svc.open_publicity(office, programme, date(2026, 7, 16), date(2026, 7, 25),
                                       not_before=date(2026, 7, 16))
        svc.award(office, publicity.entries[0], today=date(2026, 7, 26))
        windows.update_window(users.get_user("authority"), "CD-RMYY-001",
                              {"contact_person": "王主任", "status": "demonstration"})  # no change
        p = proposals.propose(windows.get_window(None, "CD-RMYY-001").id, 2026, 1,
                              {"summary": "2026年 3 次季度综合检查不合格", "items": []})
        proposals.confirm(office, p.id, on=date(2026, 12, 20))
        assert _rows("CD-RMYY-001") == [
            (None, "candidate", None, None, "cli", "edit"),
            ("candidate", "demonstration", 2026, "2026-07-26", "office", "award"),
            ("demonstration", "delisted", 2026, "2026-12-20", "office", "delisting")]
        last = window_status.history(windows.get_window(None, "CD-RMYY-001"))[-1]
        assert last.reason.startswith("2026年摘牌：自然年内三次季度综合检查不合格")
        assert last.user_id == office.id
        assert _rows("CD-SW-001") == [(None, "candidate", None, None, "cli", "edit")]


def test_the_api_and_an_import_say_so(client, db, district, token_for):
    headers = token_for("office")
    resp = client.patch("/api/v1/windows/CD-SW-001", headers=headers, json={
        "status": "demonstration", "status_year": 2024, "status_date": "2024-12-30",
        "status_reason": "2024年度评审命名"})
    assert resp.status_code == 200, resp.get_json()
    resp = client.patch("/api/v1/windows/CD-SW-001", headers=headers, json={"remarks": "改备注"})
    assert resp.status_code == 200
    with db():
        report = ledger.import_ledger(users.get_user("office"), (
            "窗口编号,窗口名称,所属单位,状态,状态日期,命名/摘牌年度,状态原因\n"
            "CD-SW-002,发票领用窗口,城东区税务局办税服务厅,示范,2025-01-10,2024,台账补录\n"
            "CD-SW-009,新窗口,城东区税务局办税服务厅,,,,\n").encode(), "ledger.csv")
        assert report.ok, report.summary()
    with db():
        assert _rows("CD-SW-001") == [
            (None, "candidate", None, None, "cli", "edit"),
            ("candidate", "demonstration", 2024, "2024-12-30", "office", "api")]
        assert _rows("CD-SW-002")[-1] == ("candidate", "demonstration", 2024, "2025-01-10",
                                          "office", "import")
        assert _rows("CD-SW-009") == [(None, "candidate", None, None, "office", "import")]


def test_a_correction_of_the_year_or_day_is_a_change_the_reason_alone_is_not(db, district):
    with db():
        office = users.get_user("office")
        windows.update_window(office, "CD-SW-001", {
            "status": "demonstration", "status_year": 2025, "status_date": "2025-12-30",
            "status_reason": "2025年度评审命名"})
        windows.update_window(office, "CD-SW-001", {"status_reason": "2025年度评审命名（更正）"})
        windows.update_window(office, "CD-SW-001", {"status_date": "2025-12-28"})
        assert [r[1:4] for r in _rows("CD-SW-001")] == [
            ("candidate", None, None), ("demonstration", 2025, "2025-12-30"),
            ("demonstration", 2025, "2025-12-28")]


def test_the_history_goes_with_nothing_else(db, district):
    with db() as s:
        total = s.scalar(sa.select(sa.func.count()).select_from(WindowStatusChange))
        assert total == 4  # the district's four registrations
        windows.update_window(None, "CD-SW-001", {"address": "一楼"})
        assert s.scalar(sa.select(sa.func.count()).select_from(WindowStatusChange)) == 4


def test_the_history_reads_in_the_order_recorded_not_of_ids(db, district):
    # Migration 0042 adds a delisting confirmed before 0040 after the entries 0040 wrote: it is
    # recorded at its decision's time and read before them, on the page and in the ledger.
    with db() as s:
        w = windows.get_window(None, "CD-SW-001")
        first = window_status.history(w)[0]
        s.add(WindowStatusChange(
            window_id=w.id, from_status="demonstration", to_status="delisted", status_year=2024,
            effective_on=date(2024, 6, 1), reason="2024年摘牌", actor="office", via="delisting",
            created_at=first.created_at - timedelta(days=400)))
    with db():
        w = windows.get_window(None, "CD-SW-001")
        assert [r[1] for r in _rows("CD-SW-001")] == ["delisted", "candidate"]
        assert [r[3] for r in window_status.history_rows([w])] == ["摘牌", "创建中"]
