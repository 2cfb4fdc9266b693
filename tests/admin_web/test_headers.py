"""Headers and sessions: a Content-Security-Policy everywhere, nothing of a signed-in user in caches,
HSTS with secure cookies, CSRF tokens that end with the session."""

import time
from datetime import timedelta

from feedback_api.app import CONTENT_SECURITY_POLICY


def test_every_response_carries_the_content_security_policy(client, auth, district, token_for):
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY
    for resp in (client.get("/login"), client.get("/f/CD-SW-001"), client.get("/static/style.css"),
                 client.get("/api/v1/windows", headers=token_for("office")), client.get("/nope")):
        resp.close()  # the static file's
        assert resp.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, resp.request.path
    auth.login("office")
    assert client.get("/windows").headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_signed_in_pages_are_not_stored(client, auth, district):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    auth.login("office")
    for path in ("/", "/windows", "/windows/CD-SW-001", "/feedback", "/windows/export.csv",
                 "/api/v1/windows"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    static = client.get("/static/style.css")
    static.close()
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_hsts_goes_with_secure_cookies(app_config, client):
    from admin_web.app import create_app
    from feedback_api.db import dispose_engines

    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = create_app({**app_config, "SESSION_COOKIE_SECURE": True})
    try:
        resp = secure.test_client().get("/login", base_url="https://localhost")
        assert resp.headers["Strict-Transport-Security"] == "max-age=31536000"
    finally:
        dispose_engines(secure)


def test_csrf_tokens_of_one_sign_in_stop_working_after_it(client, auth, district):
    auth.login("office")
    office_token = auth.csrf_token("/windows")
    assert client.post("/logout", data={"csrf_token": office_token}).status_code == 302
    auth.login("unit")  # the same browser, the next user
    resp = client.post("/logout", data={"csrf_token": office_token})
    assert resp.status_code == 400 and "CSRF" in resp.get_data(as_text=True)
    assert client.get("/windows").status_code == 200  # still signed in


def test_a_session_ends_after_its_lifetime_and_its_csrf_tokens_with_it(app, client, auth, district,
                                                                         monkeypatch):
    from feedback_api.config import load_config

    monkeypatch.setenv("WW_SESSION_MINUTES", "30")
    assert load_config({"WW_ENV": "testing"})["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=30)
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", timedelta(seconds=1))
    auth.login("office")
    token = auth.csrf_token("/windows")
    time.sleep(2.2)  # signed timestamps count whole seconds
    assert client.get("/windows").status_code == 302
    resp = client.post("/logout", data={"csrf_token": token})
    assert resp.status_code in (302, 400) and client.get("/windows").status_code == 302
    assert client.post("/login", data={"username": "office", "password": "office-password",
                                       "csrf_token": token}).status_code == 400


def test_the_demo_refuses_production_unless_forced(app_config, db):
    import sqlalchemy as sa

    from feedback_api.app import create_app as create_core_app
    from feedback_api.db import dispose_engines
    from feedback_api.models import User

    production = create_core_app({**app_config, "WW_ENV": "production",
                                  "WW_CITIZEN_HASH_KEY": "citizen-key-" + "c" * 40})
    try:
        runner = production.test_cli_runner()
        refused = runner.invoke(args=["demo", "--feedback-per-window", "1"])
        assert refused.exit_code == 1 and "--force" in refused.output
        with db() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(User)) == 0
        forced = runner.invoke(args=["demo", "--feedback-per-window", "1", "--force"])
        assert forced.exit_code == 0, forced.output
        with db() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(User)) > 0
    finally:
        dispose_engines(production)
