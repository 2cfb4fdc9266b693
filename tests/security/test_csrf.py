"""CSRF: every state-changing admin route refuses a request without a valid token (400) and
changes nothing; the JSON API asks browser sessions for X-CSRFToken and bearer tokens for none."""

from __future__ import annotations

import re

from tests.db_compare import table_rows
from tests.security.conftest import sign_in
from tests.security.routes import WRITES, admin_rules, build

ROLES = ("office", "agency", "authority", "unit", "expert")
#: Whatever a form of these routes might read: only the token is missing.
FORM = {"text": "改进", "reason": "理由", "name": "窗口", "code": "CD-SW-099", "unit": "CD-SW",
        "window": "CD-SW-001", "kind": "malicious", "upheld": "y", "score": "80", "email": "a@b.cn",
        "username": "office", "password": "office-demo-2026", "outcome": "satisfied"}


def _token(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _values(world, rule) -> dict:
    values = {"year": world.year, "kind": "recommendation", "decision": "confirm"}
    for arg in rule.arguments:
        if arg not in values:
            found = world.objects.get(arg)
            values[arg] = found[0][0] if found else 1
    return values


def test_every_admin_write_without_a_valid_token_is_refused_and_changes_nothing(app, world, capsys):
    rules = [(r, m) for r in admin_rules(app) for m in sorted(r.methods & WRITES)]
    assert len(rules) >= 40
    clients = {}
    for role in ROLES:
        clients[role] = app.test_client()
        sign_in(clients[role], role)
    stranger = app.test_client()
    sign_in(stranger, "office")
    foreign_token = _token(stranger)  # valid, but for another session
    engine = app.extensions["ww_engine"]
    before = table_rows(engine)
    refused, wrong = 0, []
    for role, client in clients.items():
        for rule, method in rules:
            url = build(rule, _values(world, rule))
            for label, extra in (("none", {}), ("garbage", {"csrf_token": "x" * 40}),
                                 ("foreign", {"csrf_token": foreign_token})):
                resp = client.open(url, method=method, data={**FORM, **extra})
                resp.close()
                if resp.status_code == 400:
                    refused += 1
                else:
                    wrong.append(f"{role} {method} {url} token={label}: {resp.status_code}")
    after = table_rows(engine)
    changed = [t for t in before if before[t] != after[t]]
    with capsys.disabled():
        print(f"\nCSRF: {len(rules)} write routes x {len(ROLES)} roles x 3 bad tokens = "
              f"{refused + len(wrong)} requests, {refused} refused, {len(wrong)} not refused, "
              f"tables changed: {changed}")
    assert wrong == []
    assert changed == []


def test_sign_in_without_a_token_is_refused(app, world):
    client = app.test_client()
    resp = client.post("/login", data={"username": "office", "password": "office-demo-2026"})
    assert resp.status_code == 400
    assert client.get("/windows").status_code == 302  # still signed out


def test_api_session_writes_need_the_csrf_header_bearer_writes_do_not(app, world, token_for):
    api_writes = [(r, m) for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")
                  for m in sorted(r.methods & WRITES)]
    assert len(api_writes) >= 5
    client = app.test_client()
    sign_in(client, "office")
    engine = app.extensions["ww_engine"]
    before = table_rows(engine)
    for rule, method in api_writes:
        url = build(rule, _values(world, rule))
        resp = client.open(url, method=method, json={"text": "x", "name": "新窗口"})
        assert resp.status_code == 400, (method, url, resp.status_code)
        assert resp.get_json()["error"]["code"] == "csrf_failed"
        resp = client.open(url, method=method, json={"text": "x"},
                           headers={"X-CSRFToken": "forged-token"})
        assert resp.status_code == 400, (method, url)
    assert table_rows(engine) == before
    new = {"code": "CD-SW-090", "name": "会话新建窗口", "unit": "CD-SW"}
    ok = client.post("/api/v1/windows", json=new, headers={"X-CSRFToken": _token(client)})
    assert ok.status_code == 201, ok.get_json()
    bearer = app.test_client()  # no cookie at all: the bearer token alone
    new = {"code": "CD-SW-091", "name": "令牌新建窗口", "unit": "CD-SW"}
    with app.app_context():
        headers = token_for("office")
    ok = bearer.post("/api/v1/windows", json=new, headers=headers)
    assert ok.status_code == 201, ok.get_json()
