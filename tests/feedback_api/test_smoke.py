"""The core alone (no admin_web) starts on a migrated database, answers health checks and serves
the API to bearer tokens; the pages and their sign-in belong to the composition root."""


def test_healthz_reports_database_and_revision(core_client):
    resp = core_client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["database"] == "ok"
    assert body["schema_revision"] == body["schema_head"]
    assert body["schema_revision"] is not None


def test_api_requires_token(core_client, district):
    resp = core_client.get("/api/v1/windows")
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "unauthorized"


def test_the_core_alone_serves_the_api_and_no_pages(core_app, core_client, district, token_for):
    assert core_client.get("/api/v1/me", headers=token_for("office")).get_json()["role"] == "office"
    assert {bp.split(".")[0] for bp in core_app.blueprints} == {"api"}
    page = core_client.get("/login")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "页面或数据不存在" in page.get_data(as_text=True)
    missing = core_client.get("/api/v1/windows/NOPE", headers=token_for("office"))
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    assert "serve" not in core_app.cli.commands and "users" in core_app.cli.commands


def test_log_lines_lose_secrets_and_openids():
    import logging

    from feedback_api.redact import RedactingFilter, redact

    url = ("GET /cgi-bin/token?grant_type=client_credential&appid=wx1&secret=s3cr3t "
           "/cgi-bin/message/custom/send?access_token=tok_123 /wechat?openid=o6_bm&signature=abc")
    assert redact(url) == ("GET /cgi-bin/token?grant_type=client_credential&appid=wx1&secret=*** "
                           "/cgi-bin/message/custom/send?access_token=*** /wechat?openid=***&signature=***")
    assert redact('{"access_token": "tok_456", "expires_in": 7200}') == '{"access_token": "***", "expires_in": 7200}'
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "failed: %s", (url,), None)
    assert RedactingFilter().filter(record) and "s3cr3t" not in record.getMessage()
