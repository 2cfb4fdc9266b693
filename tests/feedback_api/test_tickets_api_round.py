"""The API's answer to two people on one ticket: a response or verdict that names the round it
was made on (``round``, optional) is refused with 409 once the ticket has moved to another round;
without it the call acts on the current round, as before."""

from __future__ import annotations

from tests.feedback_api.test_tickets_api import make_feedback


def test_a_verdict_on_an_earlier_round_is_refused(client, db, district, token_for):
    fid = make_feedback(db)
    agency, unit = token_for("agency"), token_for("unit")
    tid = client.post("/api/v1/tickets", headers=agency, json={"feedback_id": fid}).get_json()["id"]
    assert client.post(f"/api/v1/tickets/{tid}/respond", headers=unit,
                       json={"text": "已整改", "round": 1}).status_code == 200
    assert client.post(f"/api/v1/tickets/{tid}/send-back", headers=agency,
                       json={"reason": "未附照片", "round": 1}).status_code == 200
    resp = client.post(f"/api/v1/tickets/{tid}/respond", headers=unit,
                       json={"text": "第一轮的补充", "round": 1})
    assert resp.status_code == 409 and "第 2 轮" in resp.get_data(as_text=True)
    assert client.post(f"/api/v1/tickets/{tid}/respond", headers=unit,
                       json={"text": "第二轮：已附照片"}).status_code == 200
    resp = client.post(f"/api/v1/tickets/{tid}/verify", headers=agency,
                       json={"reason": "第一轮到位", "round": 1})
    assert resp.status_code == 409 and "第 2 轮" in resp.get_data(as_text=True)
    assert client.post(f"/api/v1/tickets/{tid}/verify", headers=agency,
                       json={"round": 0}).status_code == 400
    resp = client.post(f"/api/v1/tickets/{tid}/verify", headers=agency, json={"round": 2})
    assert resp.status_code == 200 and resp.get_json()["state"] == "closed"
