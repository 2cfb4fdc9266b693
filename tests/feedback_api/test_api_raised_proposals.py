"""An API write of an inspection, covert visit or incident runs the delisting rules at once and
says in its answer which proposals it raised or reopened (id, window, year, rule); none, an
empty list. The OpenAPI document describes the field on each of those writes."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import DelistingProposal
from tests.assessment_helpers import full_scores


def _ids(db) -> list[int]:
    with db() as s:
        return list(s.scalars(sa.select(DelistingProposal.id).order_by(DelistingProposal.id)))


def _inspection(client, headers, q: int, points: float, **extra):
    return client.post("/api/v1/inspections", headers=headers, json={
        "window": "CD-RMYY-001", "year": 2026, "quarter": q, "inspected_on": f"2026-{3 * q - 1:02d}-10",
        "inspectors": "王五", "scores": full_scores(points), **extra})


def test_an_inspection_write_names_the_proposal_it_raised(client, db, titled_district, token_for):
    office = token_for("office")
    for q in (1, 2):
        resp = _inspection(client, office, q, 0.6)
        assert resp.status_code == 201 and resp.get_json()["raised_proposals"] == []
    resp = _inspection(client, office, 3, 0.6)
    assert resp.status_code == 201, resp.get_json()
    [pid] = _ids(db)
    [raised] = resp.get_json()["raised_proposals"]
    assert {k: raised[k] for k in ("id", "window", "year", "rule")} == {
        "id": pid, "window": "CD-RMYY-001", "year": 2026, "rule": 1}
    assert raised["rule_name"] == "自然年内三次季度综合检查不合格"
    assert resp.get_json()["quarter"] == 3 and len(resp.get_json()["indicators"]) > 1  # the record
    # Corrected to passed: the proposal is withdrawn, none raised; failed again: reopened.
    resp = _inspection(client, office, 3, 0.95, replace=True)
    assert resp.status_code == 200 and resp.get_json()["raised_proposals"] == []
    resp = _inspection(client, office, 3, 0.6, replace=True)
    assert resp.status_code == 200 and [p["id"] for p in resp.get_json()["raised_proposals"]] == [pid]


def test_covert_and_incident_writes_name_theirs(client, db, titled_district, token_for):
    office = token_for("office")
    ids = []
    for day in ("2026-03-02", "2026-05-04", "2026-07-06", "2026-09-08"):
        resp = client.post("/api/v1/covert-inspections", headers=office, json={
            "window": "CD-SW-001", "inspected_on": day, "results": {"服务态度": day == "2026-09-08"}})
        assert resp.status_code == 201 and resp.get_json()["raised_proposals"] == []
        ids.append(resp.get_json()["id"])
    resp = client.patch(f"/api/v1/covert-inspections/{ids[-1]}", headers=office,
                        json={"results": {"服务态度": False}})
    assert resp.status_code == 200, resp.get_json()
    assert [(p["window"], p["year"], p["rule"]) for p in resp.get_json()["raised_proposals"]] == [
        ("CD-SW-001", 2026, 3)]
    resp = client.post("/api/v1/incidents", headers=office, json={
        "window": "CD-SW-002", "occurred_on": "2026-04-02", "kind": "safety", "severity": "general",
        "source": "税务局通报", "description": "大厅吊顶脱落"})
    assert resp.status_code == 201 and resp.get_json()["raised_proposals"] == []
    resp = client.patch(f"/api/v1/incidents/{resp.get_json()['id']}", headers=office,
                        json={"severity": "major"})
    assert resp.status_code == 200, resp.get_json()
    [raised] = resp.get_json()["raised_proposals"]
    assert (raised["window"], raised["year"], raised["rule"]) == ("CD-SW-002", 2026, 4)
    assert raised["id"] == _ids(db)[-1]
    # A read of the record carries no such field: it belongs to the write's answer.
    assert "raised_proposals" not in client.get(f"/api/v1/incidents/{resp.get_json()['id']}",
                                                headers=office).get_json()


def test_the_document_describes_the_field_on_those_writes(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]

    def props(path: str, method: str, status: str) -> dict:
        ref = doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        return schemas[ref["$ref"].rsplit("/", 1)[1]]["properties"]

    for path, method, status in [("/api/v1/inspections", "post", "201"),
                                 ("/api/v1/inspections", "post", "200"),
                                 ("/api/v1/covert-inspections", "post", "201"),
                                 ("/api/v1/covert-inspections/{covert_id}", "patch", "200"),
                                 ("/api/v1/incidents", "post", "201"),
                                 ("/api/v1/incidents/{incident_id}", "patch", "200")]:
        field = props(path, method, status)["raised_proposals"]
        assert field["type"] == "array" and field.get("description"), (path, method)
    assert "raised_proposals" not in props("/api/v1/incidents/{incident_id}", "get", "200")
