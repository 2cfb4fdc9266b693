"""The office takes a quarter's scores off the public page (撤下公示), the reverse of 在公开页面公布:
office only, audited; the public page then shows nothing for that quarter, and a recompute
does not put them back."""

from __future__ import annotations

import sqlalchemy as sa

from analytics import snapshots
from analytics.assessment import Period
from feedback_api.models import AuditLog, PublishedSnapshot, Window
from tests.assessment_helpers import add_feedback, user
from tests.conftest import AuthActions

Q3 = Period("quarter", 2026, 3)


def _public_rows(db) -> int:
    with db() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(PublishedSnapshot).where(
            PublishedSnapshot.kind == "assessment", PublishedSnapshot.period == "2026Q3"))


def test_the_office_takes_a_quarter_off_the_public_page(app, db, client, auth, district):
    with db() as s:
        for w in s.scalars(sa.select(Window).where(Window.code.in_(["CD-SW-001", "CD-SW-002"]))):
            w.status, w.status_year = "demonstration", 2025
        add_feedback("CD-SW-001", [5] * 10)
        add_feedback("CD-SW-002", [4] * 10)
    with db():
        snapshots.publish(user("office"), Q3)
    auth.login("office")
    table = client.get("/assessment/?period=2026Q3").get_data(as_text=True)
    assert "撤下公示" not in table  # nothing on the public page yet
    token = auth.csrf_token("/assessment/?period=2026Q3")
    client.post("/assessment/publish-public", data={"period": "2026Q3", "csrf_token": token})
    assert _public_rows(db) == 2 and "2026年第三季度 考核" in client.get("/public").get_data(as_text=True)
    assert "撤下公示" in client.get("/assessment/?period=2026Q3").get_data(as_text=True)
    for who in ("agency", "authority", "unit"):
        other = AuthActions(app.test_client())
        other.login(who)
        assert other.client.post("/assessment/withdraw-public", data={
            "period": "2026Q3", "csrf_token": other.csrf_token("/assessment/")}).status_code == 403
    assert _public_rows(db) == 2
    done = client.post("/assessment/withdraw-public", data={"period": "2026Q3", "csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "已从公开页面撤下2026年第三季度 2 个示范窗口的考核结果" in done
    assert _public_rows(db) == 0
    public = client.get("/public").get_data(as_text=True)
    assert "2026年第三季度" not in public and "考核：" not in public
    with db() as s:
        log = s.scalars(sa.select(AuditLog).where(AuditLog.action == "withdraw_public")).one()
        assert log.entity_id == "assessment:2026Q3" and log.after is None
        assert sorted(log.before["windows"]) == ["CD-SW-001", "CD-SW-002"]
    again = client.post("/assessment/withdraw-public", data={"period": "2026Q3", "csrf_token": token},
                        follow_redirects=True).get_data(as_text=True)
    assert "未在公开页面公布" in again
    with db():
        snapshots.recompute(user("office"), Q3, "补录检查")
    assert _public_rows(db) == 0
