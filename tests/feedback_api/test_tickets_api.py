"""The tickets and appeals API: the loop through HTTP with real tokens, roles (403), scope
(a unit never sees another unit's tickets nor a citizen's identity: 404 and no pseudonym),
filters and bad input (400)."""

from __future__ import annotations

import base64
import json

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Feedback, Window
from feedback_api.services import files as file_store
from feedback_api.services import users
from feedback_api.services.feedback import record_feedback
from wechat_bot.contacts import get_or_create_citizen

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OPENID = "oTicketsApi0000000000001"


def make_feedback(db, code="CD-SW-001", rating=1, openid=OPENID) -> int:
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
        return record_feedback(window, citizen=get_or_create_citizen(openid), channel="wechat",
                               rating=rating, text="窗口人员态度很差").feedback.id


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_the_loop_through_the_api(client, db, district, token_for):
    fid = make_feedback(db)
    agency, unit, office = token_for("agency"), token_for("unit"), token_for("office")
    # A unit does not open tickets; the agency does, from the feedback.
    assert client.post("/api/v1/tickets", headers=unit, json={"feedback_id": fid}).status_code == 403
    resp = client.post("/api/v1/tickets", headers=agency, json={"feedback_id": fid, "topic": "attitude"})
    assert resp.status_code == 201, resp.get_json()
    ticket = resp.get_json()
    tid = ticket["id"]
    assert ticket["state"] == "open" and ticket["topic"] == "attitude" and ticket["window"] == "CD-SW-001"
    assert [f["id"] for f in ticket["feedback"]] == [fid] and len(ticket["rounds"]) == 1
    # The same feedback cannot open a second ticket.
    assert client.post("/api/v1/tickets", headers=agency, json={"feedback_id": fid}).status_code == 409

    listing = client.get("/api/v1/tickets", headers=unit).get_json()
    assert listing["total"] == 1 and [t["id"] for t in listing["items"]] == [tid]
    assert listing["items"][0]["round_count"] == 1

    # Only responders respond; only supervisors judge.
    body = {"text": "已批评教育当事人", "files": [{"name": "整改照片.png", "content": b64(PNG)}]}
    assert client.post(f"/api/v1/tickets/{tid}/respond", headers=agency, json=body).status_code == 403
    assert client.post(f"/api/v1/tickets/{tid}/verify", headers=agency, json={}).status_code == 409
    resp = client.post(f"/api/v1/tickets/{tid}/respond", headers=unit, json=body)
    assert resp.status_code == 200, resp.get_json()
    [evidence] = resp.get_json()["rounds"][0]["files"]
    assert evidence["name"] == "整改照片.png" and evidence["content_type"] == "image/png"
    assert evidence["size"] == len(PNG)
    with db():
        assert file_store.read(evidence["sha256"]) == PNG
    assert client.post(f"/api/v1/tickets/{tid}/verify", headers=unit, json={}).status_code == 403

    # Sent back once: a reason is required, and a second round opens.
    bad = client.post(f"/api/v1/tickets/{tid}/send-back", headers=agency, json={"reason": " "})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid"
    resp = client.post(f"/api/v1/tickets/{tid}/send-back", headers=agency,
                       json={"reason": "未说明如何避免再次发生"})
    assert resp.status_code == 200
    assert [(r["number"], r["verdict"]) for r in resp.get_json()["rounds"]] == [(1, "sent_back"), (2, None)]
    assert resp.get_json()["state"] == "open"

    resp = client.post(f"/api/v1/tickets/{tid}/respond", headers=unit,
                       json={"text": "已调整排班并开展服务礼仪培训"})
    assert resp.status_code == 200 and resp.get_json()["state"] == "responded"
    resp = client.post(f"/api/v1/tickets/{tid}/verify", headers=office, json={"reason": "整改到位"})
    assert resp.status_code == 200
    done = resp.get_json()
    assert done["state"] == "closed" and done["closed_at"] is not None
    assert [(r["number"], r["verdict"]) for r in done["rounds"]] == [(1, "sent_back"), (2, "verified")]
    assert client.post(f"/api/v1/tickets/{tid}/verify", headers=office, json={}).status_code == 409
    closed = client.get("/api/v1/tickets?state=closed", headers=unit).get_json()
    assert closed["total"] == 1
    assert client.get("/api/v1/tickets?state=active", headers=unit).get_json()["total"] == 0


def test_a_unit_never_sees_another_units_tickets_or_a_citizens_identity(client, db, district, token_for):
    own, other = make_feedback(db, "CD-SW-001"), make_feedback(db, "CD-RMYY-001", openid="oOther000000000000000001")
    agency, unit = token_for("agency"), token_for("unit")
    own_id = client.post("/api/v1/tickets", headers=agency, json={"feedback_id": own}).get_json()["id"]
    other_id = client.post("/api/v1/tickets", headers=agency, json={"feedback_id": other}).get_json()["id"]
    assert client.get("/api/v1/tickets", headers=agency).get_json()["total"] == 2

    listing = client.get("/api/v1/tickets", headers=unit).get_json()
    assert [t["id"] for t in listing["items"]] == [own_id] and listing["total"] == 1
    for url in (f"/api/v1/tickets/{other_id}", "/api/v1/tickets?window=CD-RMYY-001"):
        resp = client.get(url, headers=unit)
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    for action, body in (("respond", {"text": "不是我们的"}), ("verify", {}), ("send-back", {"reason": "x"})):
        assert client.post(f"/api/v1/tickets/{other_id}/{action}", headers=unit, json=body).status_code == 404
    # Not through the feedback either: the unit cannot open one on another unit's feedback.
    assert client.post("/api/v1/tickets", headers=token_for("office"),
                       json={"window": "CD-RMYY-001", "topic": "environment", "problem": "x"}).status_code == 201

    detail = client.get(f"/api/v1/tickets/{own_id}", headers=unit).get_data(as_text=True)
    with db():
        alias = Session.get(Feedback, own).citizen.pseudonym[:12]
    assert OPENID not in detail and alias not in detail
    assert alias in client.get(f"/api/v1/feedback/{own}", headers=agency).get_data(as_text=True)
    assert set(json.loads(detail)["feedback"][0]) == {"id", "receipt_no", "rating", "rating_name",
                                                      "fix_rating"}  # a rating and times, no one

    # The health authority reads its industry's ticket, never acts on it.
    authority = token_for("authority")
    assert [t["id"] for t in client.get("/api/v1/tickets", headers=authority).get_json()["items"]
            if t["id"] == other_id] == [other_id]
    assert client.post(f"/api/v1/tickets/{other_id}/verify", headers=authority, json={}).status_code == 403


def test_filters_and_bad_input_get_400(client, db, district, token_for):
    fid = make_feedback(db)
    agency = token_for("agency")
    tid = client.post("/api/v1/tickets", headers=agency, json={"feedback_id": fid}).get_json()["id"]
    assert client.get("/api/v1/tickets?overdue=false&window=CD-SW-001&state=open",
                      headers=agency).get_json()["total"] == 1
    assert client.get("/api/v1/tickets?overdue=true", headers=agency).get_json()["total"] == 0
    for query, code in (("overdue=yes", "invalid_parameter"), ("state=lost", "invalid_parameter"),
                        ("colour=red", "unknown_parameter"), ("page=0", "invalid_parameter")):
        resp = client.get(f"/api/v1/tickets?{query}", headers=agency)
        assert resp.status_code == 400 and resp.get_json()["error"]["code"] == code, query
    for body, field in (({}, "feedback_id"), ({"feedback_id": fid, "window": "CD-SW-001"}, "feedback_id"),
                        ({"window": "CD-SW-001"}, "topic"), ({"feedback_id": "1"}, "feedback_id"),
                        ({"feedback_id": fid, "topic": "nope"}, "topic")):
        resp = client.post("/api/v1/tickets", headers=agency, json=body)
        assert resp.status_code == 400 and field in resp.get_json()["error"]["details"], body
    resp = client.post("/api/v1/tickets", headers=agency,
                       json={"window": "NOPE-1", "topic": "other", "problem": "x"})
    assert resp.status_code == 404
    unit = token_for("unit")
    for files, message in (([{"name": "a.png", "content": "%%%"}], "Base64"),
                           ([{"name": "a.png", "content": b64(b"<html>")}], "不是图片")):
        resp = client.post(f"/api/v1/tickets/{tid}/respond", headers=unit,
                           json={"text": "见附件", "files": files})
        assert resp.status_code == 400 and message in resp.get_json()["error"]["message"]
    assert client.get(f"/api/v1/tickets/{tid}", headers=unit).get_json()["state"] == "open"
    assert client.get("/api/v1/tickets/999999", headers=unit).status_code == 404


def test_appeals_through_the_api(client, db, district, token_for):
    fid = make_feedback(db)
    unit, agency, office = token_for("unit"), token_for("agency"), token_for("office")
    body = {"feedback_id": fid, "kind": "malicious", "reason": "该群众当日未到窗口办理业务",
            "files": [{"name": "监控截图.png", "content": b64(PNG)}]}
    assert client.post("/api/v1/appeals", headers=agency, json=body).status_code == 403
    resp = client.post("/api/v1/appeals", headers=unit, json=body)
    assert resp.status_code == 201, resp.get_json()
    appeal = resp.get_json()
    assert appeal["state"] == "pending" and appeal["files"][0]["name"] == "监控截图.png"
    assert client.post("/api/v1/appeals", headers=unit, json=body).status_code == 409
    assert client.post("/api/v1/appeals", headers=unit, json={**body, "kind": "angry"}).status_code == 400
    good = make_feedback(db, rating=5, openid="oTicketsApiGood0000000000001")
    resp = client.post("/api/v1/appeals", headers=unit, json={**body, "feedback_id": good})
    assert resp.status_code == 400 and "只有差评" in resp.get_json()["error"]["message"]

    with db():
        users.create_user(None, "hospital", role="unit", password="hospital-password", scopes=["CD-RMYY"])
    hospital = token_for("hospital")
    assert client.get("/api/v1/appeals", headers=hospital).get_json()["total"] == 0
    assert client.get(f"/api/v1/appeals/{appeal['id']}", headers=hospital).status_code == 404
    assert client.get("/api/v1/appeals?window=CD-SW-001", headers=hospital).status_code == 404
    assert client.get("/api/v1/appeals?state=pending", headers=office).get_json()["total"] == 1

    decide = {"decision": "upheld", "reason": "监控显示该群众未到窗口"}
    assert client.post(f"/api/v1/appeals/{appeal['id']}/decide", headers=unit, json=decide).status_code == 403
    assert client.post(f"/api/v1/appeals/{appeal['id']}/decide", headers=agency,
                       json={"decision": "upheld"}).status_code == 400
    resp = client.post(f"/api/v1/appeals/{appeal['id']}/decide", headers=agency, json=decide)
    assert resp.status_code == 200 and resp.get_json()["state"] == "upheld"
    assert client.post(f"/api/v1/appeals/{appeal['id']}/decide", headers=agency, json=decide).status_code == 409
    with db():
        assert Session.get(Feedback, fid).rating_counts is False
    decided = client.get("/api/v1/appeals?state=upheld", headers=office).get_json()
    assert decided["items"][0]["decision_reason"] == "监控显示该群众未到窗口"
