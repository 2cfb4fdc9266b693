"""A window's title history in the JSON API (GET /api/v1/windows/CODE/status-history), as its
page shows it: oldest first, within the caller's scope (else a JSON 404), and in the OpenAPI
document."""

from __future__ import annotations


def test_the_history_of_a_window_through_the_api(client, district, token_for):
    office = token_for("office")
    resp = client.patch("/api/v1/windows/CD-SW-001", headers=office, json={
        "status": "demonstration", "status_year": 2025, "status_date": "2025-12-30",
        "status_reason": "2025年度评审命名"})
    assert resp.status_code == 200, resp.get_json()
    resp = client.get("/api/v1/windows/CD-SW-001/status-history", headers=token_for("unit"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["window"] == "CD-SW-001"
    first, last = body["items"]
    assert (first["from_status"], first["to_status"], first["to_status_name"]) == (
        None, "candidate", "创建中")
    assert {k: last[k] for k in ("from_status", "from_status_name", "to_status", "to_status_name",
                                 "status_year", "effective_on", "reason", "actor", "via",
                                 "via_name")} == {
        "from_status": "candidate", "from_status_name": "创建中", "to_status": "demonstration",
        "to_status_name": "示范", "status_year": 2025, "effective_on": "2025-12-30",
        "reason": "2025年度评审命名", "actor": "office", "via": "api", "via_name": "接口"}
    assert last["recorded_at"].endswith("+00:00")


def test_outside_the_scope_or_unknown_it_is_a_json_404(client, district, token_for):
    unit = token_for("unit")  # CD-SW's staff
    for code in ("CD-RMYY-001", "NOPE"):
        resp = client.get(f"/api/v1/windows/{code}/status-history", headers=unit)
        assert resp.status_code == 404 and resp.get_json()["error"]["message"]
    resp = client.get("/api/v1/windows/CD-SW-001/status-history?page=2", headers=unit)
    assert resp.status_code == 400 and "error" in resp.get_json()


def test_the_route_is_documented(client, district):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/windows/{code}/status-history"]["get"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    items = spec["components"]["schemas"][schema]["properties"]["items"]["items"]["$ref"]
    fields = spec["components"]["schemas"][items.rsplit("/", 1)[1]]["properties"]
    assert {"from_status", "to_status", "status_year", "effective_on", "reason", "actor", "via",
            "recorded_at"} <= set(fields)
