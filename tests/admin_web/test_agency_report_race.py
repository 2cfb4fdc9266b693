"""Two agency users generate the same quarter's evaluation report at the same moment: the second
waits for the first and is told the report already exists, never a 500 from the unique key on
the quarter, never two reports (PostgreSQL: the second's insert waits on the key; SQLite: the
second request waits for the write lock)."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import AgencyReport, AuditLog
from feedback_api.services import agency_reports, users
from tests.admin_web.test_tickets_pages import signed_in
from tests.race_helpers import request_while_held


def test_the_second_generation_is_told_the_report_exists(app, district, db):
    with db():
        users.create_user(None, "agency2", role="agency", password="agency2-password", scopes=[])
    client, auth = signed_in(app, "agency2")
    token = auth.csrf_token("/agency-reports/")
    resp = request_while_held(
        app, lambda: agency_reports.create(users.get_user("agency"), "2026Q3", {}, {}),
        lambda: client.post("/agency-reports/", data={"period": "2026Q3", "csrf_token": token}),
        reach=1.5, wait=30)  # the second request computes the figures and reaches the insert
    assert resp.status_code == 200, resp.status_code
    assert "2026Q3 的测评报告已生成" in resp.get_data(as_text=True)
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AgencyReport)) == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
            AuditLog.entity_type == "agency_report")) == 1
