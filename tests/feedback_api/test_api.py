"""The JSON API: bearer auth, scope, JSON errors, pagination and the OpenAPI document."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from feedback_api.db import utcnow
from feedback_api.models import ApiToken, AuditLog, Window
from feedback_api.services import feedback as fb


@pytest.fixture
def seeded(db, district):
    with db() as s:
        for code, rating, text, day in (("CD-SW-001", 5, "很好", 1), ("CD-SW-001", 1, "太慢了", 2),
                                        ("CD-SW-002", 3, None, 3), ("CD-RMYY-001", 2, "态度差", 4)):
            w = s.scalars(sa.select(Window).where(Window.code == code)).one()
            fb.record_feedback(w, citizen=None, channel="h5", rating=rating, text=text,
                               received_at=datetime(2026, 6, day, 4, 0, tzinfo=UTC))


def test_missing_wrong_and_revoked_tokens_get_401(client, db, district, token_for):
    assert client.get("/api/v1/windows").status_code == 401
    bad = client.get("/api/v1/windows", headers={"Authorization": "Bearer ww_nope"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "unauthorized"
    basic = client.get("/api/v1/windows", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    headers = token_for("office")
    assert client.get("/api/v1/windows", headers=headers).status_code == 200
    with db() as s:
        s.execute(sa.update(ApiToken).values(revoked_at=utcnow()))
    assert client.get("/api/v1/windows", headers=headers).status_code == 401


def test_windows_list_with_total_filters_and_pages(client, district, token_for):
    h = token_for("office")
    body = client.get("/api/v1/windows", headers=h).get_json()
    assert body["total"] == 4 and len(body["items"]) == 4
    assert [w["code"] for w in body["items"]] == sorted(w["code"] for w in body["items"])
    page2 = client.get("/api/v1/windows?per_page=3&page=2", headers=h).get_json()
    assert page2["total"] == 4 and [w["code"] for w in page2["items"]] == ["CD-SW-002"]
    health = client.get("/api/v1/windows?industry=health", headers=h).get_json()
    assert {w["code"] for w in health["items"]} == {"CD-RMYY-001", "CD-RMYY-002"}
    q = client.get("/api/v1/windows?q=发票", headers=h).get_json()
    assert [w["code"] for w in q["items"]] == ["CD-SW-002"]


@pytest.mark.parametrize("user,visible", [
    ("office", {"CD-SW-001", "CD-SW-002", "CD-RMYY-001", "CD-RMYY-002"}),
    ("agency", {"CD-SW-001", "CD-SW-002", "CD-RMYY-001", "CD-RMYY-002"}),
    ("authority", {"CD-RMYY-001", "CD-RMYY-002"}),
    ("unit", {"CD-SW-001", "CD-SW-002"}),
])
def test_each_role_sees_its_scope(client, district, token_for, user, visible):
    h = token_for(user)
    body = client.get("/api/v1/windows", headers=h).get_json()
    assert {w["code"] for w in body["items"]} == visible and body["total"] == len(visible)
    for code in {"CD-SW-001", "CD-RMYY-001"}:
        expected = 200 if code in visible else 404
        assert client.get(f"/api/v1/windows/{code}", headers=h).status_code == expected
        assert client.get(f"/api/v1/feedback?window={code}", headers=h).status_code == expected


def test_feedback_list_filters_and_scope(client, seeded, token_for):
    h = token_for("office")
    body = client.get("/api/v1/feedback?window=CD-SW-001", headers=h).get_json()
    assert body["total"] == 2 and {f["rating"] for f in body["items"]} == {5, 1}
    assert client.get("/api/v1/feedback?rating=1", headers=h).get_json()["total"] == 1
    assert client.get("/api/v1/feedback?unit=CD-SW", headers=h).get_json()["total"] == 3
    ranged = client.get("/api/v1/feedback?date_from=2026-06-02&date_to=2026-06-03", headers=h).get_json()
    assert ranged["total"] == 2
    unit_view = client.get("/api/v1/feedback", headers=token_for("unit")).get_json()
    assert unit_view["total"] == 3 and {f["unit"] for f in unit_view["items"]} == {"CD-SW"}
    # Window units read masked opinions only; the raw text never reaches them.
    assert "太慢了" not in {f["text"] for f in unit_view["items"]}
    fid = body["items"][0]["id"]
    assert client.get(f"/api/v1/feedback/{fid}", headers=h).get_json()["id"] == fid
    assert client.get(f"/api/v1/feedback/{fid}", headers=token_for("authority")).status_code == 404
    assert client.get("/api/v1/feedback/999999", headers=h).status_code == 404


@pytest.mark.parametrize("query,code", [
    ("page=0", "invalid_parameter"), ("per_page=100000", "invalid_parameter"),
    ("page=abc", "invalid_parameter"), ("rating=9", "invalid_parameter"),
    ("date_from=2026-13-01", "invalid_parameter"), ("colour=red", "unknown_parameter"),
    ("review_state=lost", "invalid_parameter"),
])
def test_bad_query_parameters_get_400(client, district, token_for, query, code):
    resp = client.get(f"/api/v1/feedback?{query}", headers=token_for("office"))
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == code


@pytest.mark.parametrize("query,total", [
    ("date_from=0001-01-01&date_to=9999-12-31", 4), ("date_from=9999-12-31", 0),
    ("date_to=0001-01-01", 0),
])
def test_dates_at_the_ends_of_the_calendar_filter_without_error(client, seeded, token_for,
                                                                 query, total):
    body = client.get(f"/api/v1/feedback?{query}", headers=token_for("office"))
    assert body.status_code == 200 and body.get_json()["total"] == total


def test_empty_filters_mean_no_filter(client, seeded, token_for):
    h = token_for("office")
    body = client.get("/api/v1/feedback?rating=&review_state=&date_from=&window=&page=", headers=h)
    assert body.status_code == 200 and body.get_json()["total"] == 4
    assert client.get("/api/v1/windows?industry=&q=&per_page=", headers=h).get_json()["total"] == 4


def test_create_and_update_window_with_audit(client, db, district, token_for):
    h = token_for("office")
    resp = client.post("/api/v1/windows", headers=h, json={
        "code": "CD-SW-003", "name": "出口退税窗口", "unit": "CD-SW", "staff_count": 3})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["unit_name"] == "城东区税务局办税服务厅"
    resp = client.patch("/api/v1/windows/CD-SW-003", headers=h,
                        json={"status": "delisted", "status_reason": "一年内三次综合检查不合格"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "delisted" and body["status_date"] is not None
    with db() as s:
        entries = s.scalars(sa.select(AuditLog).where(AuditLog.entity_id == "CD-SW-003")
                            .order_by(AuditLog.id)).all()
        assert [e.action for e in entries] == ["create", "update"]
        assert entries[1].actor == "office"
        assert entries[1].before["status"] == "candidate" and entries[1].after["status"] == "delisted"


@pytest.mark.parametrize("payload,field", [
    ({"code": "CD-SW-009", "name": "x", "unit": "CD-SW", "colour": "red"}, "colour"),
    ({"code": "CD-SW-009", "name": "x", "unit": "CD-SW", "staff_count": "three"}, "staff_count"),
    ({"code": "CD-SW-009", "name": 12, "unit": "CD-SW", "staff_count": True}, "staff_count"),
    ({"code": "bad code!", "name": "x", "unit": "CD-SW"}, "code"),
    ({"code": "CD-SW-" + "9" * 59, "name": "x", "unit": "CD-SW"}, "code"),  # 65: over a QR scene
    ({"code": "CD-SW-009", "unit": "CD-SW"}, "name"),
    ({"code": "CD-SW-009", "name": "x", "unit": "NOPE"}, "unit"),
    ({"code": "CD-SW-009", "name": "x", "unit": "CD-SW", "status_date": "yesterday"}, "status_date"),
    ({"code": "CD-SW-001", "name": "x", "unit": "CD-SW"}, "code"),
])
def test_bad_window_payloads_get_400_with_the_field(client, db, district, token_for, payload, field):
    resp = client.post("/api/v1/windows", headers=token_for("office"), json=payload)
    assert resp.status_code == 400
    err = resp.get_json()["error"]
    assert field in err["details"] and err["message"]
    with db() as s:
        assert s.scalar(sa.select(Window).where(Window.code == "CD-SW-009")) is None


@pytest.mark.parametrize("body,ctype,code", [
    (b"{not json", "application/json", "bad_json"),
    (b"[1, 2]", "application/json", "bad_json"),
    (b"code=x", "application/x-www-form-urlencoded", "not_json"),
])
def test_malformed_bodies_get_400(client, district, token_for, body, ctype, code):
    resp = client.post("/api/v1/windows", headers=token_for("office"), data=body, content_type=ctype)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == code


def test_write_permissions_follow_role_and_scope(client, district, token_for):
    new = {"code": "CD-RMYY-009", "name": "新窗口", "unit": "CD-RMYY"}
    assert client.post("/api/v1/windows", headers=token_for("unit"), json=new).status_code == 403
    assert client.post("/api/v1/windows", headers=token_for("agency"), json=new).status_code == 403
    assert client.post("/api/v1/windows", headers=token_for("authority"), json=new).status_code == 201
    other = {"code": "CD-SW-009", "name": "越权", "unit": "CD-SW"}
    assert client.post("/api/v1/windows", headers=token_for("authority"), json=other).status_code == 403
    assert client.patch("/api/v1/windows/CD-SW-001", headers=token_for("authority"),
                        json={"name": "x"}).status_code == 404
    assert client.patch("/api/v1/windows/CD-SW-001", headers=token_for("unit"),
                        json={"name": "x"}).status_code == 403
    assert client.patch("/api/v1/windows/CD-SW-001", headers=token_for("office"),
                        json={"code": "CD-SW-777"}).status_code == 400


def test_unknown_route_and_method_answer_json(client, district, token_for):
    h = token_for("office")
    resp = client.get("/api/v1/nothing-here", headers=h)
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    resp = client.delete("/api/v1/windows/CD-SW-001", headers=h)
    assert resp.status_code == 405 and resp.get_json()["error"]["code"] == "method_not_allowed"


def test_browser_session_needs_csrf_header_to_write(client, auth, district):
    auth.login("office")
    assert client.get("/api/v1/windows").status_code == 200
    resp = client.post("/api/v1/windows", json={"code": "CD-SW-010", "name": "x", "unit": "CD-SW"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "csrf_failed"
    token = auth.csrf_token("/windows/new")
    resp = client.post("/api/v1/windows", json={"code": "CD-SW-010", "name": "x", "unit": "CD-SW"},
                       headers={"X-CSRFToken": token})
    assert resp.status_code == 201


def _flask_path_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_openapi_document_matches_the_routes(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, item in doc["paths"].items()
                  for method in item if method != "parameters"}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routed.add((_flask_path_to_openapi(rule.rule), method))
    assert documented == routed
    # Every path parameter is declared, and every operation documents its errors.
    for path, item in doc["paths"].items():
        declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), path
        for method, op in item.items():
            if method != "parameters":
                assert "default" in op["responses"], (path, method)
    # The window's writable fields are exactly the registry's fields.
    window = doc["components"]["schemas"]["Window"]
    writable = {k for k, v in window["properties"].items() if not v.get("readOnly")}
    from feedback_api.services.windows import FIELD_BY_NAME
    assert writable == set(FIELD_BY_NAME)
    assert window["additionalProperties"] is False


def test_documented_query_parameters_are_accepted(client, district, token_for):
    doc = client.get("/api/v1/openapi.json").get_json()
    h = token_for("office")
    samples = {"page": "1", "per_page": "10", "q": "窗口", "unit": "CD-SW", "industry": "tax",
               "status": "candidate", "window": "CD-SW-001", "date_from": "2026-01-01",
               "date_to": "2026-12-31", "rating": "3", "review_state": "pending",
               "topic": "attitude", "sentiment": "negative", "channel": "wechat",
               "duplicates": "false", "sort": "uncertain"}
    for path in ("/windows", "/feedback"):
        params = [p["name"] for p in doc["paths"]["/api/v1" + path]["get"]["parameters"]]
        query = "&".join(f"{n}={samples[n]}" for n in params)
        resp = client.get(f"/api/v1{path}?{query}", headers=h)
        assert resp.status_code == 200, (path, resp.get_json())


def test_units_never_receive_the_citizen_pseudonym(client, auth, db, district, token_for):
    """The 12-character prefix links one complainant's feedback together: not for window units."""
    from feedback_api.models import Citizen
    from wechat_bot.contacts import get_or_create_citizen

    with db() as s:
        citizen = get_or_create_citizen("oPseudonymTest0000000000001")
        w = s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        fid = fb.record_feedback(w, citizen=citizen, channel="wechat", rating=1,
                                 text="排队太久").feedback.id
    with db() as s:
        prefix = s.scalars(sa.select(Citizen.pseudonym)).one()[:12]
    unit = token_for("unit")
    for path in ("/api/v1/feedback", f"/api/v1/feedback/{fid}", f"/api/v1/feedback/{fid}/answers"):
        resp = client.get(path, headers=unit)
        assert resp.status_code == 200 and prefix not in resp.get_data(as_text=True), path
    assert client.get(f"/api/v1/feedback/{fid}", headers=unit).get_json()["citizen"] is None
    # The agency follows complaints up and still sees which feedback came from one citizen.
    assert client.get(f"/api/v1/feedback/{fid}", headers=token_for("agency")).get_json()["citizen"] == prefix
    auth.login("unit")
    for path in ("/feedback", f"/feedback/{fid}"):
        page = client.get(path)
        assert page.status_code == 200 and prefix not in page.get_data(as_text=True), path


@pytest.mark.parametrize("path", ["/api/v1/feedback?per_page=100", "/api/v1/windows?per_page=100"])
def test_a_page_costs_the_same_queries_for_5_or_25_rows(app, client, db, district, token_for, path):
    """Windows, units and citizens of a page come with it, not one query per row."""
    from feedback_api.services import windows as window_service
    from wechat_bot.contacts import get_or_create_citizen

    h = token_for("office")
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    def add(n, start):
        with db() as s:
            for i in range(start, start + n):
                w = window_service.create_window(None, {"code": f"CD-SW-9{i:02d}", "name": "x", "unit": "CD-SW"})
                citizen = get_or_create_citizen(f"oQueryCount{i:016d}")
                s.flush()
                fb.record_feedback(w, citizen=citizen, channel="wechat", rating=3)

    client.get("/api/v1/me", headers=h)  # the token's first use is recorded once, apart
    engine = app.extensions["ww_engine"]
    runs = []
    for n, start in ((5, 0), (20, 5)):
        add(n, start)
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            body = client.get(path, headers=h).get_json()
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        assert len(body["items"]) == body["total"] >= start + n
        runs.append(len(statements))
    assert runs[0] == runs[1], runs


# marshmallow's own messages are English sentences ("Missing data for required field.").
_ENGLISH = re.compile(r"[A-Za-z]+ [a-z]+ [a-z]+")


def test_every_write_operation_answers_a_bad_body_in_chinese(client, district, token_for):
    """An empty body, then a wrong type in every field the document names, to every POST and
    PATCH operation: each 400 names the fields in Chinese."""
    h = token_for("office")
    doc = client.get("/api/v1/openapi.json").get_json()
    checked = 0
    for path, ops in doc["paths"].items():
        for method in ("post", "patch"):
            if method not in ops or "requestBody" not in ops[method]:
                continue
            url = re.sub(r"\{[a-z_]+\}", "1", path)
            ref = ops[method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            props = doc["components"]["schemas"][ref.rsplit("/", 1)[1]].get("properties", {})
            for body in ({}, {name: [] for name in props}):
                resp = client.open(url, method=method.upper(), headers=h, json=body)
                if resp.status_code != 400:
                    continue
                checked += 1
                error = resp.get_json()["error"]
                assert not _ENGLISH.search(error["message"]), (method, path, error)
    assert checked >= 30


def test_an_open_ended_range_says_its_bound(client, district, token_for):
    error = client.get("/api/v1/feedback?per_page=0", headers=token_for("office")).get_json()["error"]
    assert error["details"] == {"per_page": "应不小于 1"}
