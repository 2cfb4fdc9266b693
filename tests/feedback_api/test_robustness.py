"""Hostile or absurd input answers 4xx with a clear message on every engine, never a 500."""

import pytest
import sqlalchemy as sa

from feedback_api.models import Window
from feedback_api.services import ledger

API_PATHS = [
    ("/api/v1/feedback/99999999999999999999", 404),
    ("/api/v1/feedback?page=100000000000000000000", 400),
    ("/api/v1/windows?page=99999999999999", 400),
    ("/api/v1/windows/%00", 400),
    ("/api/v1/windows/" + "A" * 5000, 404),
    ("/api/v1/feedback?window=%00", 400),
    ("/api/v1/feedback?rating=99999999999999999999", 400),
    ("/api/v1/windows?q=%00", 400),
    ("/api/v1/windows?q=" + "%E6%B5%8B" * 2000, 200),
    ("/api/v1/windows?unit=%27%3B%20DROP%20TABLE%20windows%3B--", 200),
    ("/api/v1/feedback?unit=%00x", 400),
]


@pytest.mark.parametrize("path,status", API_PATHS)
def test_api_edges(client, district, token_for, path, status):
    resp = client.get(path, headers=token_for("office"))
    assert resp.status_code == status
    assert resp.get_json()["error"]["message"] if status >= 400 else resp.get_json()["items"] == []


@pytest.mark.parametrize("payload,code", [
    ({"code": "X-1", "name": "a\x00b", "unit": "CD-SW"}, "invalid_character"),
    ({"code": "X-2", "name": "ok", "unit": "CD-SW", "staff_count": 10**30}, "invalid"),
    ({"code": "X-3", "name": "ok", "unit": "CD-SW", "status_year": 2026.5}, "invalid"),
    ({"code": "X-4", "name": "ok" * 500, "unit": "CD-SW"}, "invalid"),
])
def test_api_body_edges(client, db, district, token_for, payload, code):
    resp = client.post("/api/v1/windows", headers=token_for("office"), json=payload)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == code
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Window)) == 4


@pytest.mark.parametrize("body,code", [
    ('{"code": "X-5", "name": "\\ud800", "unit": "CD-SW"}', "invalid_character"),  # lone surrogate
    ('{"code": "X-6", "name": "ok", "unit": "CD-SW", "remarks": ["\\udfff"]}', "invalid_character"),
    ("[" * 100_000 + "]" * 100_000, "bad_json"),  # deeper than any parser's recursion
    ('{"a":' * 5_000 + "1" + "}" * 5_000, "bad_json"),
])
def test_api_raw_body_edges(client, db, district, token_for, body, code):
    resp = client.post("/api/v1/windows", headers=token_for("office"), data=body,
                       content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == code
    assert resp.get_json()["error"]["message"]
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Window)) == 4


@pytest.mark.parametrize("path,status", [
    ("/feedback/99999999999999999999", 404), ("/windows?page=99999999999999999999", 200),
    ("/feedback?page=99999999999999999999", 200), ("/windows/%00", 400),
    ("/feedback?window=%00&rating=99999999999999999999", 400), ("/f/%00", 400),
    ("/f/" + "B" * 3000, 404),
])
def test_page_edges(client, auth, district, path, status):
    auth.login("office")
    assert client.get(path).status_code == status


def test_nul_in_a_ledger_cell_is_dropped_not_a_500(db, district):
    data = "窗口编号,窗口名称,所属单位\nCD-SW-003,退\x00税窗口,CD-SW\n".encode()
    with db() as s:
        # Past the first 4 KiB a NUL is not taken for a binary file; pad the header row.
        report = ledger.import_ledger(None, b" " * 5000 + b"\n" + data, "t.csv")
        assert report.errors == [] and report.created == ["CD-SW-003"]
        assert s.scalars(sa.select(Window.name).where(Window.code == "CD-SW-003")).one() == "退税窗口"


def test_every_response_carries_the_security_headers(client, app):
    resp = client.get("/healthz")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert len(resp.headers.getlist("X-Frame-Options")) == 1


def test_a_views_own_security_header_is_kept(app):
    from flask import Flask, Response

    from feedback_api.app import create_app
    from feedback_api.db import dispose_engines

    own: Flask = create_app(dict(app.config))

    @own.get("/embed-test")
    def embed() -> Response:
        resp = Response("x")
        resp.headers["x-frame-options"] = "DENY"  # another spelling of the name
        return resp

    try:
        resp = own.test_client().get("/embed-test")
    finally:
        dispose_engines(own)
    assert resp.headers.getlist("X-Frame-Options") == ["DENY"]
    assert resp.headers["Referrer-Policy"] == "same-origin"
