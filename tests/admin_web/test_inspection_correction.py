"""Correcting a quarterly inspection on its page, as the authority that entered it meets it: the
same quarter entered twice says where to correct it; the 更正 form keeps the window and quarter,
takes the new scores and date, is audited, and is the entering roles' only (in their scope)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from analytics import delisting
from feedback_api.models import AuditLog, Inspection, Standard
from tests.assessment_helpers import full_scores, inspection


def _scores(db, points: float) -> dict[str, str]:
    with db() as s:
        std = s.scalars(sa.select(Standard).where(Standard.year == 2026)).one()
        ids = {i.name: i.id for i in std.indicators}
    return {f"score_{ids[name]}": str(v) for name, v in full_scores(points).items()}


def test_the_authority_corrects_an_inspection_on_its_page(client, auth, db, titled_district):
    with db():
        for q in (1, 2, 3):
            inspection("CD-RMYY-001", 2026, q, passed=False)
        delisting.evaluate(2026)
        insp_id = inspection("CD-RMYY-001", 2026, 4, passed=True).id
        q2 = next(i.id for i in db_inspections() if i.quarter == 2)
    auth.login("authority")
    detail = client.get(f"/assessment/inspections/{q2}").get_data(as_text=True)
    assert f"/assessment/inspections/{q2}/edit" in detail and "更正" in detail
    form = client.get(f"/assessment/inspections/{q2}/edit")
    page = form.get_data(as_text=True)
    assert form.status_code == 200 and "更正季度综合检查" in page
    assert "CD-RMYY-001" in page and "2026 年第 2 季度" in page and "张三、李四" in page
    token = auth.csrf_token(f"/assessment/inspections/{q2}/edit")
    bad = client.post(f"/assessment/inspections/{q2}/edit", data={
        "csrf_token": token, "inspected_on": "2026-03-20", "inspectors": "王五", **_scores(db, 0.9)})
    assert bad.status_code == 200 and "不在 2026 年第 2 季度" in bad.get_data(as_text=True)
    resp = client.post(f"/assessment/inspections/{q2}/edit", follow_redirects=True, data={
        "csrf_token": token, "inspected_on": "2026-05-20", "inspectors": "王五",
        "window": "CD-RMYY-002", "quarter": "1", **_scores(db, 0.9)})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "已更正" in text and "90 分，合格" in text
    assert "摘牌建议已撤回" in text
    with db() as s:
        insp = s.get(Inspection, q2)
        # The window and quarter are the record's own: the form cannot move it.
        assert (insp.window.code, insp.quarter, insp.total, insp.passed, insp.inspectors) == (
            "CD-RMYY-001", 2, 90, True, "王五")
        (entry,) = s.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "inspection",
                                                       AuditLog.action == "update"))
        assert entry.actor == "authority" and entry.before["total"] == 60
    assert insp_id != q2


def db_inspections():
    from feedback_api.db import Session

    return list(Session.scalars(sa.select(Inspection)))


def test_the_same_quarter_twice_says_where_to_correct_it(client, auth, db, district):
    with db():
        insp_id = inspection("CD-RMYY-001", 2026, 3).id
    auth.login("authority")
    token = auth.csrf_token("/assessment/inspections/new?year=2026")
    resp = client.post("/assessment/inspections/new?year=2026", data={
        "csrf_token": token, "window": "CD-RMYY-001", "quarter": "3", "inspected_on": "2026-09-10",
        "inspectors": "王五", **_scores(db, 0.7)})
    text = resp.get_data(as_text=True)
    assert "已录入" in text and f"/assessment/inspections/{insp_id}/edit" in text


def test_only_the_entering_roles_in_scope_may_correct(app, db, district):
    from tests.conftest import AuthActions

    with db():
        health = inspection("CD-RMYY-001", 2026, 3).id
        tax = inspection("CD-SW-001", 2026, 3).id
    expected = {"authority": {health: 200, tax: 404}, "office": {health: 200, tax: 200},
                "agency": {health: 403, tax: 403}, "unit": {health: 403, tax: 403}}
    for who, codes in expected.items():
        client = app.test_client()
        AuthActions(client).login(who)
        for insp_id, status in codes.items():
            assert client.get(f"/assessment/inspections/{insp_id}/edit").status_code == status, who
            page = client.get(f"/assessment/inspections/{insp_id}")
            if page.status_code == 200:
                shown = f"/assessment/inspections/{insp_id}/edit" in page.get_data(as_text=True)
                assert shown is (status == 200), who
        assert client.get("/assessment/inspections/99999999999/edit").status_code in (403, 404)


def test_the_office_deletes_an_inspection_entered_for_the_wrong_window(client, auth, db,
                                                                       titled_district):
    from feedback_api.models import DelistingProposal
    from feedback_api.services import inspection_tickets, inspections
    from feedback_api.services.errors import Conflict, PermissionDenied, ValidationError
    from tests.assessment_helpers import user

    with db() as s:
        for q in (1, 2, 3):
            inspection("CD-RMYY-001", 2026, q, passed=False)
        delisting.evaluate(2026)
        q1, q2, q3 = (i.id for i in sorted(db_inspections(), key=lambda i: i.quarter))
        with pytest.raises(PermissionDenied):
            inspections.delete_inspection(user("authority"), q1, "录错窗口")
        with pytest.raises(ValidationError, match="删除原因"):
            inspections.delete_inspection(user("office"), q1, " ")
        insp3, _ = inspections.save_inspection(None, {
            "window": "CD-RMYY-001", "year": 2026, "quarter": 3, "inspected_on": "2026-07-15",
            "inspectors": "张三", "scores": full_scores(0.6, 服务态度=0)}, replace=True)
        failed = next(sc.indicator_id for sc in insp3.scores if not sc.passed)
        ticket = inspection_tickets.open_ticket_for_finding(user("office"), insp3, failed)
        with pytest.raises(Conflict, match=ticket.number):
            inspections.delete_inspection(user("office"), q3, "录错窗口")
    auth.login("office")
    page = client.get(f"/assessment/inspections/{q2}").get_data(as_text=True)
    assert f"/assessment/inspections/{q2}/delete" in page and "删除原因" in page
    page = client.get(f"/assessment/inspections/{q3}").get_data(as_text=True)  # says why instead
    assert f"已据此检查开督办单 {ticket.number}，不能删除" in page and "/delete" not in page
    resp = client.post(f"/assessment/inspections/{q2}/delete", follow_redirects=True, data={
        "csrf_token": auth.csrf_token(f"/assessment/inspections/{q2}"), "note": "录错窗口，应为 CD-RMYY-002"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "已删除" in text and "摘牌建议已撤回" in text
    with db() as s:
        assert s.get(Inspection, q2) is None
        entry = s.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "inspection",
                                                    AuditLog.action == "delete")).one()
        assert entry.actor == "office" and entry.before["quarter"] == 2
        assert entry.after["reason"] == "录错窗口，应为 CD-RMYY-002"
        assert s.scalars(sa.select(DelistingProposal.state)).one() == "withdrawn"
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("authority")
    assert "/delete" not in client.get(f"/assessment/inspections/{q1}").get_data(as_text=True)
    assert client.post(f"/assessment/inspections/{q1}/delete", data={"note": "x"}).status_code in (400, 403)
