"""After sign-in: ``next=`` never leaves the site; the session changes at sign-in, and a cookie
held before it never becomes a signed-in session (session fixation)."""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit

import pytest

from tests.security.conftest import USERS

BASE = "http://localhost/"
#: What browsers do to a Location before resolving it (WHATWG URL parsing): tabs and newlines
#: vanish, and in http(s) URLs a backslash is a slash.
STRIPPED = str.maketrans("", "", "\t\n\r")

HOSTILE_NEXT = [
    "http://evil.example/", "https://evil.example", "//evil.example", "///evil.example",
    "\\\\evil.example", "/\\evil.example", "\\/evil.example", "/\\/evil.example",
    "/\t/evil.example", "/%09/evil.example", "javascript:alert(1)", "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "https:evil.example", "http:/evil.example",
    " //evil.example", "evil.example", "/%2F%2Fevil.example", "//evil.example@localhost",
    "/@evil.example", "ftp://evil.example", "//localhost@evil.example", "\x00//evil.example",
    "/\u3002evil.example", "//evil%2Eexample", "/\u200b/evil.example", "/\n/evil.example",
]


def test_safe_next_itself_refuses_what_browsers_would_read_as_another_host(app):
    from admin_web.auth import _safe_next

    with app.test_request_context():
        for target in HOSTILE_NEXT:
            assert _safe_next(target) in ("/", target) and not _safe_next(target).startswith("//")
            if "evil" in target:
                assert _safe_next(target) == "/" or _where_the_browser_goes(
                    _safe_next(target))[1] == "localhost", target
        assert _safe_next("/windows?page=2") == "/windows?page=2"


def _where_the_browser_goes(location: str) -> tuple[str, str]:
    resolved = urljoin(BASE, location.translate(STRIPPED).replace("\\", "/").lstrip(" \x00"))
    parts = urlsplit(resolved)
    return parts.scheme, parts.netloc


def _csrf(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _session_cookie(client):
    return client.get_cookie("session")


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_never_sends_the_user_to_another_site(app, world, target):
    client = app.test_client()
    username, password = USERS["office"]
    resp = client.post("/login?next=" + quote(target, safe=""),
                       data={"username": username, "password": password,
                             "csrf_token": _csrf(client)})
    if resp.status_code == 400:  # refused outright (a NUL byte in the URL)
        return
    assert resp.status_code == 302
    scheme, host = _where_the_browser_goes(resp.headers["Location"])
    assert (scheme, host) == ("http", "localhost"), resp.headers["Location"]


def test_a_local_next_is_followed(app, world):
    client = app.test_client()
    username, password = USERS["office"]
    resp = client.post("/login?next=" + quote("/windows?industry=health"),
                       data={"username": username, "password": password,
                             "csrf_token": _csrf(client)})
    assert resp.headers["Location"] == "/windows?industry=health"


def test_the_session_changes_at_sign_in_and_a_planted_one_stays_signed_out(app, world):
    victim = app.test_client()
    token = _csrf(victim)
    planted = _session_cookie(victim).value  # what an attacker could have set in the victim's browser
    username, password = USERS["office"]
    resp = victim.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})
    assert resp.status_code == 302
    signed_in = _session_cookie(victim).value
    assert signed_in != planted
    assert victim.get("/windows").status_code == 200

    attacker = app.test_client()
    attacker.set_cookie("session", planted)
    resp = attacker.get("/windows")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    # The token of the pre-sign-in page died with that session.
    resp = victim.post("/logout", data={"csrf_token": token})
    assert resp.status_code == 400


def test_a_forged_or_tampered_session_cookie_is_not_signed_in(app, world):
    client = app.test_client()
    username, password = USERS["office"]
    client.post("/login", data={"username": username, "password": password,
                                "csrf_token": _csrf(client)})
    good = _session_cookie(client).value
    for forged in ("x", good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
                   "eyJfdXNlcl9pZCI6IjE6MCJ9.AAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAA"):
        other = app.test_client()
        other.set_cookie("session", forged)
        resp = other.get("/windows")
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], forged
