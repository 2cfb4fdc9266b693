"""Transferring a ticket (转办) and the duplicate check through the API: JSON errors (400 / 403 /
404 / 409) and what a transfer leaves on the ticket."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import AuditLog

from .test_tickets_api import make_feedback


def test_transfer_through_the_api(client, db, district, token_for):
    fid = make_feedback(db)
    agency, unit, authority = token_for("agency"), token_for("unit"), token_for("authority")
    resp = client.post("/api/v1/tickets", headers=agency, json={"feedback_id": fid, "topic": "attitude"})
    assert resp.status_code == 201, resp.get_json()
    tid, number = resp.get_json()["id"], resp.get_json()["number"]
    url = f"/api/v1/tickets/{tid}/transfer"

    def error(resp, status):
        assert resp.status_code == status, resp.get_json()
        return resp.get_json()["error"]

    assert "reason" in error(client.post(url, headers=agency, json={"window": "CD-RMYY-001"}),
                             400)["details"]
    assert "window" in error(client.post(url, headers=agency, json={"reason": "错派"}), 400)["details"]
    assert error(client.post(url, headers=unit, json={"window": "CD-RMYY-001", "reason": "不是我们的"}),
                 403)["code"] == "forbidden"
    assert error(client.post(url, headers=agency, json={"window": "NOPE", "reason": "错派"}),
                 404)["code"] == "not_found"
    same = error(client.post(url, headers=agency, json={"window": "CD-SW-001", "reason": "错派"}), 409)
    assert "已在窗口" in same["message"]
    stale = error(client.post(url, headers=agency,
                              json={"window": "CD-RMYY-001", "reason": "错派", "round": 2}), 409)
    assert "第 2 轮" in stale["message"]

    resp = client.post(url, headers=agency, json={"window": "CD-RMYY-001", "reason": "属医院挂号处",
                                                  "round": 1})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["number"], body["window"], body["state"], body["round_count"]) == (
        number, "CD-RMYY-001", "open", 2)
    assert [(r["number"], r["window"], r["verdict"], r["verdict_name"], r["verdict_reason"])
            for r in body["rounds"]] == [(1, "CD-SW-001", "transferred", "已转办", "属医院挂号处"),
                                         (2, "CD-RMYY-001", None, None, "")]
    assert body["fix_due"] == body["rounds"][1]["due"]
    # The old unit lost it; the health authority now reads it.
    assert client.get(f"/api/v1/tickets/{tid}", headers=unit).status_code == 404
    assert client.get(f"/api/v1/tickets/{tid}", headers=authority).status_code == 200
    with db():
        after = Session.scalars(sa.select(AuditLog.after).where(
            AuditLog.action == "transfer", AuditLog.entity_id == str(tid))).one()
        assert (after["from_window"], after["window"], after["reason"]) == (
            "CD-SW-001", "CD-RMYY-001", "属医院挂号处")

    # Closed: nothing more to transfer.
    office = token_for("office")
    assert client.post(f"/api/v1/tickets/{tid}/cancel", headers=office,
                       json={"reason": "撤销"}).status_code == 200
    assert "已撤销" in error(client.post(url, headers=office,
                                        json={"window": "CD-SW-002", "reason": "错派"}), 409)["message"]


def test_a_duplicate_ticket_is_a_409_with_the_existing_ids_until_forced(client, db, district, token_for):
    office = token_for("office")
    body = {"window": "CD-SW-001", "topic": "attitude", "problem": "暗访发现态度问题"}
    first = client.post("/api/v1/tickets", headers=office, json=body)
    assert first.status_code == 201
    again = client.post("/api/v1/tickets", headers=office, json=body)
    assert again.status_code == 409, again.get_json()
    error = again.get_json()["error"]
    assert error["code"] == "duplicate"
    assert [t["id"] for t in error["details"]["existing"]] == [first.get_json()["id"]]
    # From a feedback of that window on that topic: the same answer.
    fid = make_feedback(db)
    from_feedback = client.post("/api/v1/tickets", headers=office,
                                json={"feedback_id": fid, "topic": "attitude"})
    assert from_feedback.status_code == 409
    assert client.post("/api/v1/tickets", headers=office,
                       json={**body, "force": "yes"}).status_code == 400
    forced = client.post("/api/v1/tickets", headers=office, json={**body, "force": True})
    assert forced.status_code == 201
    assert client.get("/api/v1/tickets?window=CD-SW-001", headers=office).get_json()["total"] == 2
