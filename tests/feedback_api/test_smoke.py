"""The app starts on a migrated database and answers health checks."""


def test_healthz_reports_database_and_revision(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["database"] == "ok"
    assert body["schema_revision"] == body["schema_head"]
    assert body["schema_revision"] is not None


def test_api_requires_token(client, district):
    resp = client.get("/api/v1/windows")
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "unauthorized"
