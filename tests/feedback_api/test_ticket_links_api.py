"""Attaching a feedback to a running ticket and detaching one with a reason, through the API:
roles (403), scope (404), the ticket's own rules (400 / 409) and the record it keeps."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import AuditLog

from .test_tickets_api import make_feedback


def _ticket(client, token, fid) -> int:
    resp = client.post("/api/v1/tickets", headers=token, json={"feedback_id": fid, "topic": "attitude"})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def test_attach_and_detach_through_the_api(client, db, district, token_for):
    first = make_feedback(db)
    second = make_feedback(db, openid="oLinksApi000000000000002")
    agency, office, unit = token_for("agency"), token_for("office"), token_for("unit")
    tid = _ticket(client, agency, first)

    # A unit reads the ticket but attaches nothing.
    assert client.post(f"/api/v1/tickets/{tid}/attach", headers=unit,
                       json={"feedback_id": second}).status_code == 403
    resp = client.post(f"/api/v1/tickets/{tid}/attach", headers=agency, json={"feedback_id": second})
    assert resp.status_code == 200, resp.get_json()
    assert [f["id"] for f in resp.get_json()["feedback"]] == [first, second]
    assert [f["id"] for f in client.get(f"/api/v1/tickets/{tid}", headers=unit).get_json()["feedback"]] \
        == [first, second]
    # Once is enough: attached already (409).
    again = client.post(f"/api/v1/tickets/{tid}/attach", headers=office, json={"feedback_id": second})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"

    # Detaching needs a reason; the unit may not; a feedback not on the ticket is not found.
    for body in ({"feedback_id": second}, {"feedback_id": second, "reason": ""}):
        resp = client.post(f"/api/v1/tickets/{tid}/detach", headers=agency, json=body)
        assert resp.status_code == 400 and "reason" in resp.get_json()["error"]["details"], body
    blank = client.post(f"/api/v1/tickets/{tid}/detach", headers=agency,
                        json={"feedback_id": second, "reason": "   "})
    assert blank.status_code == 400
    assert client.post(f"/api/v1/tickets/{tid}/detach", headers=unit,
                       json={"feedback_id": second, "reason": "无关"}).status_code == 403
    assert client.post(f"/api/v1/tickets/{tid}/detach", headers=agency,
                       json={"feedback_id": 999999, "reason": "无关"}).status_code == 404
    resp = client.post(f"/api/v1/tickets/{tid}/detach", headers=office,
                       json={"feedback_id": second, "reason": "反映的是另一窗口的问题"})
    assert resp.status_code == 200, resp.get_json()
    assert [f["id"] for f in resp.get_json()["feedback"]] == [first]
    # The last feedback of a ticket born from feedback stays: cancelling is the office's call.
    last = client.post(f"/api/v1/tickets/{tid}/detach", headers=office,
                       json={"feedback_id": first, "reason": "无关"})
    assert last.status_code == 409 and "撤销" in last.get_json()["error"]["message"]
    with db():
        record = Session.scalars(sa.select(AuditLog.after).where(
            AuditLog.action.in_(["attach", "detach"]), AuditLog.entity_id == str(tid))
            .order_by(AuditLog.id)).all()
    assert [r["feedback"] for r in record] == [second, None]
    assert record[1]["reason"] == "反映的是另一窗口的问题"
    # Detached, it may be attached again.
    assert client.post(f"/api/v1/tickets/{tid}/attach", headers=agency,
                       json={"feedback_id": second}).status_code == 200


def test_attach_and_detach_keep_scope_and_the_tickets_rules(client, db, district, token_for):
    own = make_feedback(db, "CD-SW-001")
    other_window = make_feedback(db, "CD-SW-002", openid="oLinksApi000000000000003")
    health = make_feedback(db, "CD-RMYY-001", openid="oLinksApi000000000000004")
    agency, unit, authority = token_for("agency"), token_for("unit"), token_for("authority")
    tid = _ticket(client, agency, own)
    health_tid = _ticket(client, agency, health)

    # Outside the caller's scope the ticket does not exist (404), before any role check.
    for who in (unit, authority):
        tid_out = health_tid if who is unit else tid
        for action, body in (("attach", {"feedback_id": own}),
                             ("detach", {"feedback_id": own, "reason": "x"})):
            resp = client.post(f"/api/v1/tickets/{tid_out}/{action}", headers=who, json=body)
            assert resp.status_code == 404, (action, resp.get_json())
    # A feedback of another window (400), one that does not exist (404), bad bodies (400).
    resp = client.post(f"/api/v1/tickets/{tid}/attach", headers=agency, json={"feedback_id": other_window})
    assert resp.status_code == 400 and "不是该窗口" in resp.get_json()["error"]["message"]
    assert client.post(f"/api/v1/tickets/{tid}/attach", headers=agency,
                       json={"feedback_id": 999999}).status_code == 404
    for body in ({}, {"feedback_id": "x"}, {"feedback_id": 0}, {"feedback_id": own, "colour": 1}):
        assert client.post(f"/api/v1/tickets/{tid}/attach", headers=agency, json=body).status_code == 400
    assert client.post(f"/api/v1/tickets/{tid}/attach", headers=agency, json={"feedback_id": own},
                       query_string={"x": "1"}).status_code == 400
    # A ticket that no longer runs takes no feedback and gives none back (409).
    assert client.post(f"/api/v1/tickets/{health_tid}/cancel", headers=token_for("office"),
                       json={"reason": "重复督办"}).status_code == 200
    health2 = make_feedback(db, "CD-RMYY-001", openid="oLinksApi000000000000005")
    for action, body in (("attach", {"feedback_id": health2}),
                         ("detach", {"feedback_id": health, "reason": "x"})):
        resp = client.post(f"/api/v1/tickets/{health_tid}/{action}", headers=agency, json=body)
        assert resp.status_code == 409, (action, resp.get_json())
