"""Hostile values in every query-string filter of every admin list page and API list: never a
server error, never a row outside the caller's scope. The filters are discovered at run time:
the GET forms of each page, and the query parameters the OpenAPI document declares."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

from tests.security.conftest import sign_in
from tests.security.routes import PUBLIC, admin_rules

HOSTILE = [
    "'", '"', "' OR 1=1 --", "' OR '1'='1", '" OR "1"="1', "1 OR 1=1", "1; DROP TABLE windows; --",
    "' UNION SELECT username, password_hash FROM users --", "%", "_", "%_%", "\\", "\\'",
    "%' OR '%'='", "CD-SW%", "CD-SW-00_", "窗口' --", "𠀀😀\u202e", "\u0000", "\x00' OR 1=1",
    "x" * 5000, "-1", "0", "99999999999999999999999", "1e309", "NaN", "2026-13-45", "[]",
    "{\"$ne\": null}", "<script>alert(1)</script>",
]


class _GetForms(HTMLParser):
    """The field names of every GET form on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = (a.get("method") or "get").lower() == "get"
        elif self.inside and tag in ("input", "select", "textarea") and a.get("name"):
            self.names.add(a["name"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def _filters(html: str) -> set[str]:
    parser = _GetForms()
    parser.feed(html)
    return parser.names | {"page"}


def test_admin_list_filters_take_hostile_values(app, world, capsys):
    office = app.test_client()
    sign_in(office, "office")
    unit = app.test_client()
    sign_in(unit, "unit")
    foreign = world.foreign_codes("unit")
    lists = [r.rule for r in admin_rules(app)
             if "GET" in r.methods and not r.arguments and r.rule not in PUBLIC]
    requests = errors = 0
    failures: list[str] = []
    filters_seen: dict[str, set[str]] = {}
    for path in lists:
        first = office.get(path)
        first.close()
        names = _filters(first.get_data(as_text=True)) if first.mimetype == "text/html" else {"page"}
        filters_seen[path] = names
        for name in sorted(names):
            for value in HOSTILE:
                url = f"{path}?{urlencode({name: value})}"
                for role, client in (("office", office), ("unit", unit)):
                    resp = client.get(url)
                    resp.close()
                    requests += 1
                    if resp.status_code >= 500:
                        errors += 1
                        failures.append(f"{role} {path} {name}={value[:30]!r}: {resp.status_code}")
                    elif role == "unit" and resp.status_code == 200 and resp.mimetype.startswith("text/"):
                        body = resp.get_data(as_text=True)
                        shown = [c for c in foreign if c in body]
                        if shown:
                            failures.append(f"unit {path} {name}={value[:30]!r} shows {shown[:3]}")
    n_filters = sum(len(v) for v in filters_seen.values())
    with capsys.disabled():
        print(f"\ninjection (admin): {len(lists)} list pages, {n_filters} filters, "
              f"{len(HOSTILE)} hostile values, {requests} requests, {errors} server errors, "
              f"{len(failures) - errors} scope leaks")
    assert n_filters > len(lists)  # the forms were found, not just ?page=
    # Known holes (tests/security/test_scope_matrix.py::KNOWN_5XX_HOLES) answer 500 to anything.
    from tests.security.test_scope_matrix import KNOWN_5XX_HOLES

    assert [f for f in failures if f.split()[1] not in KNOWN_5XX_HOLES] == []


def _api_lists(app) -> list[tuple[str, list[str]]]:
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    out = []
    for path, item in doc["paths"].items():
        op = item.get("get")
        if op is None or "{" in path:
            continue
        params = [p["name"] for p in op.get("parameters", []) + item.get("parameters", [])
                  if p["in"] == "query"]
        if params:
            out.append((path if path.startswith("/api/") else "/api/v1" + path, params))
    return out


def _window_codes(payload: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(payload, dict):
        for k, v in payload.items():
            if k in ("code", "window", "window_code") and isinstance(v, str):
                found.add(v)
            found |= _window_codes(v)
    elif isinstance(payload, list):
        for v in payload:
            found |= _window_codes(v)
    return found


def test_api_list_filters_take_hostile_values(app, world, token_for, capsys):
    client = app.test_client()
    lists = _api_lists(app)
    assert {p for p, _ in lists} >= {"/api/v1/windows", "/api/v1/feedback"}
    with app.app_context():
        unit_h = token_for("unit-sw")
        office_h = token_for("office")
    allowed = {c for c in world.windows if world.visible("unit", c)}
    unfiltered = {p: client.get(p, headers=unit_h).get_json() for p, _ in lists}
    # The detector sees codes: the unit's unfiltered lists name its own windows, and only them.
    assert _window_codes(unfiltered["/api/v1/windows"]) and \
        _window_codes(unfiltered["/api/v1/windows"]) <= allowed
    requests = 0
    failures: list[str] = []
    for path, params in lists:
        cap = unfiltered[path].get("total")
        for name in params:
            for value in HOSTILE:
                for role, headers in (("office", office_h), ("unit", unit_h)):
                    resp = client.get(f"{path}?{urlencode({name: value})}", headers=headers)
                    requests += 1
                    if resp.status_code >= 500 or not resp.is_json:
                        failures.append(f"{role} {path} {name}={value[:30]!r}: {resp.status_code}")
                        continue
                    if role == "unit" and resp.status_code == 200:
                        body = resp.get_json()
                        outside = _window_codes(body) - allowed
                        if outside:
                            failures.append(f"unit {path} {name}={value[:30]!r} shows {outside}")
                        if cap is not None and body.get("total", 0) > cap:
                            failures.append(f"unit {path} {name}={value[:30]!r}: "
                                            f"{body['total']} rows > {cap}")
    with capsys.disabled():
        print(f"\ninjection (API): {len(lists)} lists, {sum(len(p) for _, p in lists)} filters, "
              f"{requests} requests, {len(failures)} failures")
    assert failures == []
