"""The office's settings (the holiday calendar, the year's standard, alert contacts, the audit
log) are the office's alone: every other role, typing the URL or posting the form, changes
nothing; the office's own writes are audited with who, when and what."""

import pytest
import sqlalchemy as sa

from feedback_api.models import AuditLog, CalendarDay, UnitContact
from tests.assessment_helpers import standard_form


def _count(db, model) -> int:
    with db() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("role", ["agency", "authority", "unit"])
def test_no_other_role_changes_the_offices_settings(client, auth, db, district, role):
    auth.login("office")
    client.get("/assessment/standard?year=2026")  # the office's page stores the year's standard
    data, _rows = standard_form(auth, db)
    client.post("/logout", data={"csrf_token": auth.csrf_token("/assessment/standard?year=2026")})
    auth.login(role)
    before = _count(db, AuditLog)  # after the sign-in, which is audited
    token = auth.csrf_token("/")
    assert client.get("/calendar").status_code == 403
    assert client.post("/calendar", data={"csrf_token": token, "day": "2026-10-08",
                                          "kind": "holiday", "name": "国庆"}).status_code == 403
    assert client.post("/assessment/standard?year=2026",
                       data={**data, "csrf_token": token}).status_code == 403
    client.post("/alert-contacts", data={"csrf_token": token, "unit": "CD-SW",
                                         "email": "x@example.cn"})
    assert client.get("/audit/export.xlsx").status_code == 403
    assert _count(db, CalendarDay) == 0 and _count(db, UnitContact) == 0
    assert _count(db, AuditLog) == before


def test_the_offices_settings_are_audited_with_who_and_what(client, auth, db, district):
    auth.login("office")
    token = auth.csrf_token("/calendar")
    client.post("/calendar", data={"csrf_token": token, "day": "2026-10-08", "kind": "holiday",
                                   "name": "国庆"})
    client.post("/alert-contacts", data={"csrf_token": token, "unit": "CD-SW",
                                         "email": "desk@example.cn"})
    with db() as s:
        entries = s.scalars(sa.select(AuditLog).where(AuditLog.actor == "office")).all()
    assert {(e.action, e.entity_type) for e in entries} >= {("set_calendar", "calendar"),
                                                           ("create", "unit")}
    page = client.get("/audit?actor=office").get_data(as_text=True)
    assert "设置节假日" in page and "desk@example.cn" in page and "提醒邮箱" in page
