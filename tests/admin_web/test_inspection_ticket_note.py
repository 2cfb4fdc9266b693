"""A failed indicator corrected to passed after a ticket (督办) was opened from it: the ticket
stays as it is (the agency closes it), but its page notes, audited, that its source record was
corrected (who, when, from what to what); the correction page tells the office the ticket exists
and links it."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import AuditLog, Standard, Ticket
from feedback_api.services import inspection_tickets
from tests.assessment_helpers import full_scores, user


def inspection(code: str, year: int, quarter: int, passed: bool = False):
    from feedback_api.services import inspections

    insp, _ = inspections.save_inspection(None, {
        "window": code, "year": year, "quarter": quarter, "inspected_on": "2026-07-15",
        "inspectors": "张三", "scores": full_scores(0.6, 服务态度=6)})
    return insp


def test_correcting_a_failed_indicator_notes_its_ticket(client, auth, db, district):
    with db() as s:
        insp = inspection("CD-RMYY-001", 2026, 3, passed=False)
        failed = next(sc.indicator_id for sc in insp.scores if sc.indicator.name == "服务态度")
        ticket = inspection_tickets.open_ticket_for_finding(user("office"), insp, failed)
        insp_id, ticket_id, number = insp.id, ticket.id, ticket.number
        std = s.scalars(sa.select(Standard).where(Standard.year == 2026)).one()
        ids = {i.name: i.id for i in std.indicators}
    auth.login("authority")
    edit = f"/assessment/inspections/{insp_id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert number in page and f"/tickets/{ticket_id}" in page and "督办单" in page
    data = {f"score_{ids[n]}": str(v) for n, v in full_scores(0.95).items()}
    resp = client.post(edit, follow_redirects=True, data={
        "csrf_token": auth.csrf_token(edit), "inspected_on": "2026-07-15", "inspectors": "王五",
        **data})
    text = resp.get_data(as_text=True)
    assert "已更正" in text and number in text
    with db() as s:
        t = s.get(Ticket, ticket_id)
        assert t.state == "open"  # the agency's to close
        (entry,) = s.scalars(sa.select(AuditLog).where(
            AuditLog.entity_type == "ticket", AuditLog.entity_id == str(ticket_id),
            AuditLog.action == "source_fix"))
        assert entry.actor == "authority"
        assert (entry.before["score"], entry.before["passed"]) == (6, False)
        assert entry.after["score"] == 14.25 and entry.after["passed"] is True
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("office")
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "来源记录已更正" in page and "服务态度" in page and "不合格 → 合格" in page
    assert "6 → 14.25" in page


def test_a_correction_that_leaves_the_indicator_as_it_was_notes_nothing(db, district):
    from feedback_api.services import inspections

    with db() as s:
        insp = inspection("CD-RMYY-001", 2026, 3, passed=False)
        failed = next(sc.indicator_id for sc in insp.scores if sc.indicator.name == "服务态度")
        inspection_tickets.open_ticket_for_finding(user("office"), insp, failed)
        inspections.save_inspection(None, {
            "window": "CD-RMYY-001", "year": 2026, "quarter": 3, "inspected_on": "2026-07-20",
            "inspectors": "王五", "scores": full_scores(0.7, 服务态度=6)}, replace=True)
        assert s.scalars(sa.select(AuditLog).where(AuditLog.action == "source_fix")).all() == []
