"""The programme cycle's JSON API: the year's phases, recommendations, the experts' scores and
the objections, each scoped like its pages (roles, scopes, errors)."""

from __future__ import annotations

from datetime import date

import pytest

from feedback_api.services import cycle as svc
from feedback_api.services import users
from tests.feedback_api.test_cycle import YEAR, points, rec


@pytest.fixture
def cycle_year(db, district):
    """Health's two recommendations accepted (expert1 on both, expert2 on the first) and a draft."""
    with db():
        for name in ("expert1", "expert2"):
            users.create_user(None, name, role="expert", password=f"{name}-password",
                              display_name=f"专家{name[-1]}")
        users.create_user(None, "authority-tax", role="authority",
                          password="authority-tax-password", scopes=["tax"])
        office, health = users.get_user("office"), users.get_user("authority")
        c = svc.create_cycle(office, YEAR)
        ids = []
        for code in ("CD-RMYY-001", "CD-RMYY-002"):
            sub = svc.submit(health, svc.save_draft(health, c, "recommendation", rec(code)))
            svc.accept(office, sub)
            svc.assign_expert(office, sub, users.get_user("expert1"))
            ids.append(sub.id)
        svc.assign_expert(office, svc.get_submission(office, ids[0]), users.get_user("expert2"))
        draft = svc.save_draft(health, c, "creation_plan", {"industry": "health", "goals": "目标"})
    return {"first": ids[0], "second": ids[1], "draft": draft.id}


def _error(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["message"] and (code is None or error["code"] == code)
    return error


def test_the_cycle_year_and_its_phases(client, cycle_year, token_for):
    for who in ("authority", "unit", "expert1", "office"):
        body = client.get(f"/api/v1/cycles/{YEAR}", headers=token_for(who)).get_json()
        phases = {p["kind"]: p for p in body["phases"]}
        assert list(phases) == ["management_rules", "recommendation", "review", "publicity"]
        assert phases["recommendation"]["kind_name"] == "推荐申报"
        assert (phases["review"]["starts_on"], phases["review"]["ends_on"]) == (
            f"{YEAR}-06-06", f"{YEAR}-07-15")
        assert body["deadlines"]["recommendation"] == f"{YEAR}-06-05"
    _error(client.get(f"/api/v1/cycles/{YEAR}", headers=token_for("agency")), 403, "forbidden")
    _error(client.get("/api/v1/cycles/1999", headers=token_for("office")), 404, "not_found")
    _error(client.get(f"/api/v1/cycles/{YEAR}?x=1", headers=token_for("office")), 400,
           "unknown_parameter")
    _error(client.get(f"/api/v1/cycles/{YEAR}"), 401)


@pytest.mark.parametrize("who, visible", [
    ("office", {"first", "second"}), ("authority", {"first", "second"}), ("authority-tax", set()),
    ("unit", set()), ("expert1", {"first", "second"}), ("expert2", {"first"}),
])
def test_recommendations_are_scoped_like_the_pages(client, cycle_year, token_for, who, visible):
    headers = token_for(who)
    body = client.get("/api/v1/recommendations", headers=headers).get_json()
    assert {k for k, v in cycle_year.items() if v in {i["id"] for i in body["items"]}} == visible
    assert body["total"] == len(visible)
    for key in ("first", "second"):
        resp = client.get(f"/api/v1/recommendations/{cycle_year[key]}", headers=headers)
        assert resp.status_code == (200 if key in visible else 404)
    if visible:
        item = body["items"][0]
        assert (item["year"], item["state"], item["industry"], item["reasons"]) == (
            YEAR, "accepted", "health", "服务规范")
        assert item["late"] is True  # submitted in the test's today, after 5 June


def test_recommendation_filters_and_errors(client, cycle_year, token_for):
    h = token_for("authority")
    assert client.get("/api/v1/recommendations?state=accepted", headers=h).get_json()["total"] == 2
    assert client.get("/api/v1/recommendations?state=draft", headers=h).get_json()["total"] == 0
    assert client.get(f"/api/v1/recommendations?year={YEAR - 1}", headers=h).get_json()["total"] == 0
    assert client.get("/api/v1/recommendations?industry=tax", headers=h).get_json()["total"] == 0
    _error(client.get("/api/v1/recommendations?state=lost", headers=h), 400, "invalid_parameter")
    _error(client.get("/api/v1/recommendations?year=12", headers=h), 400, "invalid_parameter")
    _error(client.get("/api/v1/recommendations", headers=token_for("agency")), 403)
    # The draft plan is a submission, not a recommendation: not found here.
    _error(client.get(f"/api/v1/recommendations/{cycle_year['draft']}", headers=h), 404)


def test_experts_score_against_the_standard_and_see_their_own(client, cycle_year, token_for):
    e1, first = token_for("expert1"), cycle_year["first"]
    resp = client.post("/api/v1/reviews", headers=e1,
                       json={"submission_id": first, "items": points(90), "comment": "材料完整"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["total"], body["expert"], body["items"]["服务态度"]) == (90.0, "expert1", 13.5)
    over = _error(client.post("/api/v1/reviews", headers=e1, json={
        "submission_id": first, "items": {**points(90), "服务态度": 16}}), 400, "invalid")
    assert over["details"] == {"服务态度": "得分应在 0–15 之间"}
    _error(client.post("/api/v1/reviews", headers=e1, json={
        "submission_id": first, "items": {**points(90), "A1": 3}}), 400)
    _error(client.post("/api/v1/reviews", headers=e1, json={
        "submission_id": first, "items": {"服务态度": "很好"}}), 400)
    _error(client.post("/api/v1/reviews", headers=e1, json={"submission_id": first}), 400)
    # Not assigned: it does not exist for expert2; others do not score at all.
    _error(client.post("/api/v1/reviews", headers=token_for("expert2"), json={
        "submission_id": cycle_year["second"], "items": points(80)}), 404)
    _error(client.post("/api/v1/reviews", headers=token_for("office"), json={
        "submission_id": first, "items": points(80)}), 403)

    office = client.get("/api/v1/reviews", headers=token_for("office")).get_json()
    assert office["total"] == 3
    assert [r["total"] for r in office["items"] if r["expert"] == "expert1" and
            r["submission_id"] == first] == [90.0]
    mine = client.get("/api/v1/reviews", headers=token_for("expert2")).get_json()
    assert [(r["expert"], r["total"], r["items"]) for r in mine["items"]] == [("expert2", None, None)]
    assert client.get(f"/api/v1/reviews?submission={cycle_year['second']}",
                      headers=token_for("office")).get_json()["total"] == 1
    for who in ("authority", "unit", "agency"):
        _error(client.get("/api/v1/reviews", headers=token_for(who)), 403)


def test_objections_are_the_offices(client, db, cycle_year, token_for):
    with db():
        office = users.get_user("office")
        expert = users.get_user("expert1")
        svc.score(expert, svc.get_submission(expert, cycle_year["first"]), points(88))
        publicity = svc.open_publicity(office, svc.get_cycle(YEAR), date(YEAR, 7, 16),
                                       date(YEAR, 7, 22), not_before=date(YEAR, 7, 16))
        entry = publicity.entries[0].id
    h = token_for("office")
    resp = client.post("/api/v1/objections", headers=h, json={
        "entry_id": entry, "text": "该窗口曾多次被投诉", "channel": "来信",
        "received_on": f"{YEAR}-07-18"})
    assert resp.status_code == 201, resp.get_json()
    objection = resp.get_json()
    assert (objection["outcome"], objection["year"], objection["window"]) == (
        "pending", YEAR, "CD-RMYY-001")
    _error(client.post("/api/v1/objections", headers=h, json={
        "entry_id": entry, "text": "晚了", "received_on": f"{YEAR}-08-30"}), 400)
    _error(client.post("/api/v1/objections", headers=h, json={"entry_id": 999999, "text": "无"}), 404)
    _error(client.post("/api/v1/objections", headers=h, json={"entry_id": entry, "text": ""}), 400)
    for who in ("authority", "expert1"):
        _error(client.post("/api/v1/objections", headers=token_for(who), json={
            "entry_id": entry, "text": "异议", "received_on": f"{YEAR}-07-18"}), 403)
        _error(client.get("/api/v1/objections", headers=token_for(who)), 403)
    listed = client.get(f"/api/v1/objections?year={YEAR}&outcome=pending", headers=h).get_json()
    assert [o["id"] for o in listed["items"]] == [objection["id"]]

    url = f"/api/v1/objections/{objection['id']}/answer"
    _error(client.post(url, headers=h, json={"outcome": "pending", "answer": "x"}), 400)
    _error(client.post(url, headers=token_for("authority"), json={
        "outcome": "dismissed", "answer": "经核查不属实"}), 403)
    _error(client.post("/api/v1/objections/999999/answer", headers=h, json={
        "outcome": "dismissed", "answer": "经核查不属实"}), 404)
    answered = client.post(url, headers=h, json={"outcome": "dismissed", "answer": "经核查不属实"})
    assert answered.status_code == 200 and answered.get_json()["outcome_name"] == "异议不成立"
    assert client.get("/api/v1/objections?outcome=pending", headers=h).get_json()["total"] == 0


def test_an_expert_declares_a_conflict_through_the_api(client, cycle_year, token_for):
    e2, first = token_for("expert2"), cycle_year["first"]
    _error(client.post("/api/v1/reviews/recusal", headers=e2,
                       json={"submission_id": first}), 400)
    _error(client.post("/api/v1/reviews/recusal", headers=e2,
                       json={"submission_id": first, "reason": "   "}), 400)
    _error(client.post("/api/v1/reviews/recusal", headers=token_for("office"),
                       json={"submission_id": first, "reason": "x"}), 403)
    _error(client.post("/api/v1/reviews/recusal", headers=e2,  # not assigned to expert2
                       json={"submission_id": cycle_year["second"], "reason": "亲属"}), 404)
    resp = client.post("/api/v1/reviews/recusal", headers=e2,
                       json={"submission_id": first, "reason": "近亲属在该窗口工作"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["recusal_reason"] == "近亲属在该窗口工作" and body["recused_at"]
    # Withdrawn: no score, no materials; the record stays in the expert's own list.
    _error(client.post("/api/v1/reviews", headers=e2,
                       json={"submission_id": first, "items": points(80)}), 404)
    _error(client.get(f"/api/v1/recommendations/{first}", headers=e2), 404)
    mine = client.get("/api/v1/reviews", headers=e2).get_json()["items"]
    assert [(r["submission_id"], r["recusal_reason"]) for r in mine] == [
        (first, "近亲属在该窗口工作")]
    # Scored first: the expert can no longer declare (the office withdraws if need be).
    e1 = token_for("expert1")
    client.post("/api/v1/reviews", headers=e1, json={"submission_id": first, "items": points(90)})
    _error(client.post("/api/v1/reviews/recusal", headers=e1,
                       json={"submission_id": first, "reason": "迟报"}), 409)
