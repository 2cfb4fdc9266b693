"""Delisting walked past its rules' edges: a window delisted, back to 创建中, titled again the
next year is not judged again on a year before its new title."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from analytics import delisting
from feedback_api.models import DelistingProposal
from feedback_api.services import covert, windows
from feedback_api.services import delisting as proposals
from tests.assessment_helpers import award, inspection, user


def _retitle(code: str, year: int, on: str) -> None:
    windows.update_window(user("office"), code, {
        "status": "demonstration", "status_year": year, "status_date": on,
        "status_reason": f"{year}年度评审命名"})


def test_a_window_titled_after_the_year_is_not_judged_on_it(db, district):
    with db() as s:
        award("CD-SW-001", "CD-SW-002")  # titled for 2025
        covert.save_incident(None, {"window": "CD-SW-001", "occurred_on": "2026-04-10",
                                    "kind": "safety", "severity": "major",
                                    "description": "电梯故障致群众受伤", "source": "群众举报"})
        for quarter in (1, 2, 3):
            inspection("CD-SW-001", 2026, quarter, passed=False)
        for quarter in (1, 2):
            inspection("CD-SW-002", 2026, quarter, passed=False)
        # The incident is confirmed at once; the inspections' rule is not looked at that year.
        (p,) = [p for p in delisting.evaluate(2026) if p.rule == 4]
        for other in s.scalars(sa.select(DelistingProposal).where(DelistingProposal.id != p.id)):
            proposals.dismiss(user("office"), other.id, "已按规则 4 处理")
        proposals.confirm(user("office"), p.id, on=date(2026, 4, 20))
        s.flush()
        # 2027: back to 创建中, recommended and awarded again (August); CD-SW-002 keeps its title.
        windows.update_window(user("office"), "CD-SW-001", {
            "status": "candidate", "status_date": "2027-03-01", "status_reason": "整改验收合格"})
        _retitle("CD-SW-001", 2027, "2027-08-20")
        s.execute(sa.delete(DelistingProposal))  # a year whose proposals were never opened
        # Looking at 2026 again judges only the windows that held the title in it.
        assert delisting.evaluate(2026) == []
        assert [(w.window_id, w.rule) for w in delisting.early_warnings(2026)] == [
            (windows.get_window(None, "CD-SW-002").id, 1)]


def test_a_title_imported_this_year_is_judged_by_its_award_year(db, district):
    """A ledger imported in January 2027 names windows titled in 2024 (状态日期 left empty, so
    the import's day): 2026's record is still theirs to answer for; one with no award year is
    taken from its status date."""
    with db():
        for quarter in (1, 2, 3):
            inspection("CD-SW-001", 2026, quarter, passed=False)
            inspection("CD-SW-002", 2026, quarter, passed=False)
        _retitle("CD-SW-001", 2024, "2027-01-12")
        windows.update_window(user("office"), "CD-SW-002", {
            "status": "demonstration", "status_date": "2027-01-12", "status_reason": "台账导入"})
        assert [p.window.code for p in delisting.evaluate(2026)] == ["CD-SW-001"]


def test_a_proposal_left_open_from_before_a_new_title_cannot_be_confirmed(client, auth, db,
                                                                         district):
    """A 2026 proposal left open, its window delisted on another rule, back to 创建中 and titled
    again in 2027: 2026's record cannot take the new title. (Delisting now withdraws a window's
    open proposals; one left open from before that is written here after the new title.)"""
    from feedback_api.services.errors import Conflict

    with db():
        award("CD-SW-001")
        windows.update_window(user("office"), "CD-SW-001", {
            "status": "delisted", "status_date": "2026-05-01", "status_reason": "重大安全事故"})
        _retitle("CD-SW-001", 2027, "2027-08-20")
        left = proposals.propose(windows.get_window(None, "CD-SW-001").id, 2026, 3,
                                 {"summary": "2026年暗查不合格：“服务态度” 4 次", "items": []})
        with pytest.raises(Conflict, match="2027-08-20"):
            proposals.confirm(user("office"), left.id, on=date(2027, 9, 1))
        assert left.window.status == "demonstration" and left.state == "open"
        pid = left.id
    auth.login("office")
    page = client.get("/assessment/delisting").get_data(as_text=True)
    assert "2026年暗查不合格" in page and "确认摘牌</button>" not in page
    assert "2027-08-20 起重新持有称号" in page
    resp = client.post(f"/assessment/delisting/{pid}/dismiss", follow_redirects=True, data={
        "csrf_token": auth.csrf_token("/assessment/delisting"), "note": "已于 2026 年按规则 4 摘牌"})
    assert "已不予采纳该摘牌建议" in resp.get_data(as_text=True)
