"""The assessment's records through the API (issue 14) with real tokens: the standard, quarterly
inspections (and a ticket from a failed indicator), covert inspections with evidence in the shared
store, incidents and delisting proposals. Each operation in scope and out of it (a unit sees its
windows, the health authority its industry, the office and the agency all: 404 outside, 403 for a
role that may not write), and bad input (400 JSON)."""

from __future__ import annotations

import base64
from datetime import date

import pytest
import sqlalchemy as sa

from feedback_api.models import AuditLog, Window
from feedback_api.services import delisting as proposals
from feedback_api.services import files as file_store
from tests.assessment_helpers import full_scores, window_id

VIDEO = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64
ROLES = ("office", "agency", "authority", "unit")


@pytest.fixture
def tokens(titled_district, token_for):
    return {name: token_for(name) for name in ROLES}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def inspection_body(code: str, quarter: int = 3, **extra):
    return {"window": code, "year": 2026, "quarter": quarter,
            "inspected_on": date(2026, 3 * quarter - 2, 20).isoformat(), "inspectors": "张三、李四",
            "scores": full_scores(0.9), **extra}


def error_of(resp, status: int) -> dict:
    assert resp.status_code == status, resp.get_json()
    body = resp.get_json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return body["error"]


# --- the standard ------------------------------------------------------------------------

def test_everyone_reads_the_standard_only_the_office_edits_it(client, db, tokens):
    # A year not yet stored reads as it would be made, and reading stores nothing.
    for name in ROLES:
        std = client.get("/api/v1/standards/2026", headers=tokens[name]).get_json()
        assert std["year"] == 2026 and len(std["indicators"]) == 8 and std["max_score"] == 100, name
        assert all("id" not in i for i in std["indicators"]) and std["updated_at"] is None
    listing = client.get("/api/v1/standards", headers=tokens["unit"]).get_json()
    assert listing["total"] == 0
    with db() as s:
        assert s.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "standard")).all() == []
    for name in ("agency", "authority", "unit"):
        error_of(client.patch("/api/v1/standards/2026", headers=tokens[name],
                              json={"pass_score": 70}), 403)
    # The office's first edit stores it; then it reads with its indicators' ids.
    assert client.patch("/api/v1/standards/2026", headers=tokens["office"],
                        json={"pass_score": 75}).status_code == 200
    std = client.get("/api/v1/standards/2026", headers=tokens["unit"]).get_json()
    assert std["pass_score"] == 75 and all(i["id"] for i in std["indicators"])
    listing = client.get("/api/v1/standards", headers=tokens["unit"]).get_json()
    assert listing["total"] == 1 and listing["items"][0]["year"] == 2026
    indicators = std["indicators"]
    changed = [{k: i[k] for k in ("id", "category", "name", "weight", "pass_line")}
               for i in indicators[:-1]]
    changed[0]["pass_line"] = 10
    resp = client.patch("/api/v1/standards/2026", headers=tokens["office"],
                        json={"pass_score": 70, "weight_tickets": 0, "indicators": changed})
    assert resp.status_code == 200, resp.get_json()
    got = resp.get_json()
    assert got["pass_score"] == 70 and got["weight_tickets"] == 0 and len(got["indicators"]) == 7
    assert got["indicators"][0]["id"] == indicators[0]["id"] and got["indicators"][0]["pass_line"] == 10
    with db() as s:
        assert len(s.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "standard",
                                                       AuditLog.action == "update")).all()) == 2


@pytest.mark.parametrize(("body", "field"), [
    ({"pass_score": "80"}, "pass_score"),
    ({"pass_score": 80, "colour": "red"}, "colour"),
    ({"indicators": []}, "indicators"),
    ({"weight_feedback": -1}, "weight_feedback"),
    ({"indicators": [{"category": "attitude", "name": "态度", "weight": 10, "pass_line": 12}]},
     "indicators.0.pass_line"),
    ({"weight_feedback": 0, "weight_inspection": 0, "weight_covert": 0, "weight_tickets": 0}, "weights"),
])
def test_bad_standards_get_400_with_the_field(client, tokens, body, field):
    err = error_of(client.patch("/api/v1/standards/2026", headers=tokens["office"], json=body), 400)
    assert field in err["details"], err
    assert client.get("/api/v1/standards/2026", headers=tokens["office"]).get_json()["pass_score"] == 80


def test_a_year_outside_the_programme_is_400(client, tokens):
    error_of(client.get("/api/v1/standards/1999", headers=tokens["office"]), 400)
    error_of(client.get("/api/v1/standards?year=2026", headers=tokens["office"]), 400)


# --- inspections -------------------------------------------------------------------------

def test_the_authority_enters_its_industrys_inspections_and_each_reads_its_scope(client, tokens):
    post = lambda who, body: client.post("/api/v1/inspections", headers=tokens[who], json=body)  # noqa: E731
    resp = post("authority", inspection_body("CD-RMYY-001"))
    assert resp.status_code == 201, resp.get_json()
    health = resp.get_json()
    assert health["total"] == 90 and health["passed"] is True and len(health["indicators"]) == 8
    assert health["industry"] == "health" and health["window_name"] == "门诊挂号收费处"
    error_of(post("authority", inspection_body("CD-SW-001")), 404)  # another industry's window
    error_of(post("unit", inspection_body("CD-SW-001")), 403)
    error_of(post("agency", inspection_body("CD-SW-001")), 403)
    assert post("office", inspection_body("CD-SW-001")).status_code == 201
    # One per window and quarter: a second is refused unless it replaces the first.
    error_of(post("authority", inspection_body("CD-RMYY-001")), 409)
    again = post("authority", inspection_body("CD-RMYY-001", scores=full_scores(0.5), replace=True))
    assert again.status_code == 200 and again.get_json()["id"] == health["id"]
    assert again.get_json()["passed"] is False

    def seen(who, query=""):
        body = client.get(f"/api/v1/inspections{query}", headers=tokens[who]).get_json()
        return body["total"], sorted(i["window"] for i in body["items"])

    assert seen("office") == seen("agency") == (2, ["CD-RMYY-001", "CD-SW-001"])
    assert seen("authority") == (1, ["CD-RMYY-001"])
    assert seen("unit") == (1, ["CD-SW-001"])
    assert seen("office", "?passed=false") == (1, ["CD-RMYY-001"])
    assert seen("office", "?year=2026&quarter=3&window=CD-SW-001") == (1, ["CD-SW-001"])
    assert seen("office", "?quarter=2") == (0, [])
    error_of(client.get("/api/v1/inspections?window=CD-RMYY-001", headers=tokens["unit"]), 404)
    error_of(client.get(f"/api/v1/inspections/{health['id']}", headers=tokens["unit"]), 404)
    assert client.get(f"/api/v1/inspections/{health['id']}", headers=tokens["authority"]).status_code == 200


@pytest.mark.parametrize(("query", "code"), [("?passed=maybe", "invalid_parameter"),
                                             ("?quarter=5", "invalid_parameter"),
                                             ("?colour=red", "unknown_parameter")])
def test_bad_inspection_queries_get_400(client, tokens, query, code):
    assert error_of(client.get(f"/api/v1/inspections{query}", headers=tokens["office"]), 400)["code"] == code


@pytest.mark.parametrize(("change", "field"), [
    ({"quarter": 5}, "quarter"),
    ({"scores": full_scores(0.9, 服务态度=99)}, "服务态度"),
    ({"scores": {"服务态度": 10}}, "办事效率"),
    ({"scores": full_scores(0.9, 礼貌=3)}, "礼貌"),
    ({"scores": {**full_scores(0.9), "服务态度": "10"}}, "scores"),
    ({"inspected_on": "2026-01-05"}, "inspected_on"),
    ({"inspectors": ""}, "inspectors"),
    ({"colour": "red"}, "colour"),
])
def test_bad_inspections_get_400_and_store_nothing(client, tokens, change, field):
    err = error_of(client.post("/api/v1/inspections", headers=tokens["office"],
                               json={**inspection_body("CD-SW-001"), **change}), 400)
    assert field in err["details"], err
    assert client.get("/api/v1/inspections", headers=tokens["office"]).get_json()["total"] == 0


def test_a_failed_indicator_opens_one_ticket(client, tokens):
    body = inspection_body("CD-SW-001", scores=full_scores(0.9, 服务态度=3))
    insp = client.post("/api/v1/inspections", headers=tokens["office"], json=body).get_json()
    by_name = {i["indicator"]: i for i in insp["indicators"]}
    failed, passed = by_name["服务态度"], by_name["办事效率"]
    assert failed["passed"] is False and passed["passed"] is True
    url = f"/api/v1/inspections/{insp['id']}/tickets"
    error_of(client.post(url, headers=tokens["unit"], json={"indicator_id": failed["indicator_id"]}), 403)
    error_of(client.post(url, headers=tokens["authority"],
                         json={"indicator_id": failed["indicator_id"]}), 404)  # not its industry
    error_of(client.post(url, headers=tokens["agency"], json={"indicator_id": passed["indicator_id"]}), 409)
    error_of(client.post(url, headers=tokens["agency"], json={"indicator_id": "x"}), 400)
    resp = client.post(url, headers=tokens["agency"],
                       json={"indicator_id": failed["indicator_id"], "note": "限期整改"})
    assert resp.status_code == 201, resp.get_json()
    ticket = resp.get_json()
    assert ticket["source"] == "inspection" and ticket["window"] == "CD-SW-001"
    assert ticket["topic"] == "attitude" and "限期整改" in ticket["problem"]
    error_of(client.post(url, headers=tokens["office"], json={"indicator_id": failed["indicator_id"]}), 409)
    # The unit sees the ticket on its window.
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=tokens["unit"]).status_code == 200


# --- covert inspections ------------------------------------------------------------------

def test_the_office_records_covert_inspections_with_evidence_each_reads_its_scope(app, client, tokens):
    body = {"window": "CD-SW-001", "inspected_on": "2026-10-09", "notes": "窗口无人值守",
            "results": {"服务态度": False, "环境设施": True}}
    for who in ("unit", "authority", "agency"):
        error_of(client.post("/api/v1/covert-inspections", headers=tokens[who], json=body), 403)
    resp = client.post("/api/v1/covert-inspections", headers=tokens["office"], json=body)
    assert resp.status_code == 201, resp.get_json()
    item = resp.get_json()
    assert {r["indicator"]: r["passed"] for r in item["indicators"]} == {"服务态度": False, "环境设施": True}
    assert item["evidence"] == []
    url = f"/api/v1/covert-inspections/{item['id']}/evidence"
    error_of(client.post(url, headers=tokens["agency"], json={"name": "v.mp4", "content": b64(VIDEO)}), 403)
    error_of(client.post(url, headers=tokens["authority"],
                         json={"name": "v.mp4", "content": b64(VIDEO)}), 404)  # not its window
    resp = client.post(url, headers=tokens["office"], json={"name": "暗访录像.mp4", "content": b64(VIDEO)})
    assert resp.status_code == 201, resp.get_json()
    ev = resp.get_json()
    assert ev["content_type"] == "video/mp4" and ev["size"] == len(VIDEO)
    with app.app_context():
        assert file_store.read(ev["sha256"]) == VIDEO  # the one store
    assert "不是合法的 Base64" in error_of(
        client.post(url, headers=tokens["office"], json={"name": "a.mp4", "content": "%%%"}), 400)["message"]
    assert "类型不支持" in error_of(client.post(
        url, headers=tokens["office"], json={"name": "a.mp4", "content": b64(b"MZ" + b"\x00" * 64)}),
        400)["message"]
    # The size limit comes from WW_COVERT_EVIDENCE_MAX_MB: the file, then the request.
    app.config["WW_COVERT_EVIDENCE_MAX_MB"] = 1
    try:
        over = VIDEO + b"\x00" * (1024 * 1024)
        assert "不超过 1 MB" in error_of(client.post(
            url, headers=tokens["office"], json={"name": "a.mp4", "content": b64(over)}), 400)["message"]
        error_of(client.post(url, headers=tokens["office"],
                             json={"name": "a.mp4", "content": b64(over + over)}), 413)
    finally:
        app.config["WW_COVERT_EVIDENCE_MAX_MB"] = 50

    def seen(who, query=""):
        return client.get(f"/api/v1/covert-inspections{query}", headers=tokens[who]).get_json()["total"]

    assert (seen("office"), seen("agency"), seen("unit"), seen("authority")) == (1, 1, 1, 0)
    assert seen("office", "?year=2025") == 0 and seen("office", "?window=CD-SW-001&year=2026") == 1
    detail = client.get(f"/api/v1/covert-inspections/{item['id']}", headers=tokens["unit"]).get_json()
    assert [e["name"] for e in detail["evidence"]] == ["暗访录像.mp4"]
    error_of(client.get(f"/api/v1/covert-inspections/{item['id']}", headers=tokens["authority"]), 404)
    # The file itself: the office and the agency; the unit sees its name only.
    download = f"{url}/{ev['id']}"
    for who in ("office", "agency"):
        with client.get(download, headers=tokens[who]) as got:
            assert got.status_code == 200 and got.data == VIDEO and got.mimetype == "video/mp4"
            assert "attachment" in got.headers["Content-Disposition"]
    for who in ("unit", "authority"):
        error_of(client.get(download, headers=tokens[who]), 404)
    error_of(client.get(f"{url}/{ev['id'] + 1}", headers=tokens["office"]), 404)
    with app.app_context():
        file_store.path_of(ev["sha256"]).write_bytes(b"changed")
    assert "改动" in error_of(client.get(download, headers=tokens["office"]), 404)["message"]
    # The same file uploaded again repairs the store (one file per checksum, shared by all).
    again = client.post(url, headers=tokens["office"], json={"name": "again.mp4", "content": b64(VIDEO)})
    assert again.status_code == 201, again.get_json()
    with client.get(download, headers=tokens["office"]) as got:
        assert got.status_code == 200 and got.data == VIDEO


@pytest.mark.parametrize(("change", "field"), [
    ({"results": {}}, "results"),
    ({"results": {"服务态度": "no"}}, "results"),
    ({"results": {"礼貌": False}}, "results"),
    ({"inspected_on": "2099-01-01"}, "暗查日期"),
    ({"window": "NOPE-1"}, "window"),
    ({"colour": "red"}, "colour"),
])
def test_bad_covert_inspections_get_an_error_and_store_nothing(client, tokens, change, field):
    body = {"window": "CD-SW-001", "inspected_on": "2026-10-09", "results": {"服务态度": True}}
    resp = client.post("/api/v1/covert-inspections", headers=tokens["office"], json={**body, **change})
    err = error_of(resp, 404 if field == "window" else 400)
    assert field in (err.get("details") or {}), err
    assert client.get("/api/v1/covert-inspections", headers=tokens["office"]).get_json()["total"] == 0


# --- incidents ---------------------------------------------------------------------------

def test_the_office_records_and_corrects_incidents_each_reads_its_scope(client, tokens):
    body = {"window": "CD-SW-001", "occurred_on": "2026-06-01", "kind": "safety",
            "severity": "general", "description": "大厅地面湿滑致群众摔伤", "source": "群众举报"}
    for who in ("unit", "authority", "agency"):
        error_of(client.post("/api/v1/incidents", headers=tokens[who], json=body), 403)
    resp = client.post("/api/v1/incidents", headers=tokens["office"], json=body)
    assert resp.status_code == 201, resp.get_json()
    item = resp.get_json()
    assert item["kind_name"] == "安全事故" and item["severity_name"] == "一般"
    url = f"/api/v1/incidents/{item['id']}"
    error_of(client.patch(url, headers=tokens["unit"], json={"severity": "major"}), 403)
    fixed = client.patch(url, headers=tokens["office"], json={"severity": "major"})
    assert fixed.status_code == 200 and fixed.get_json()["severity"] == "major"
    assert fixed.get_json()["description"] == body["description"]  # the rest kept
    error_of(client.patch(url, headers=tokens["office"], json={"kind": "fire"}), 400)
    error_of(client.patch(url, headers=tokens["office"], json={"occurred_on": "2099-01-01"}), 400)
    error_of(client.post("/api/v1/incidents", headers=tokens["office"], json={**body, "source": ""}), 400)
    assert client.get(url, headers=tokens["unit"]).get_json()["severity"] == "major"
    error_of(client.get(url, headers=tokens["authority"]), 404)
    totals = {who: client.get("/api/v1/incidents?year=2026", headers=tokens[who]).get_json()["total"]
              for who in ROLES}
    assert totals == {"office": 1, "agency": 1, "authority": 0, "unit": 1}
    assert client.get("/api/v1/incidents?year=2025", headers=tokens["office"]).get_json()["total"] == 0
    error_of(client.get("/api/v1/incidents?window=CD-RMYY-001", headers=tokens["unit"]), 404)


# --- delisting proposals -----------------------------------------------------------------

def test_delisting_proposals_with_rule_and_evidence_decided_by_the_office(client, db, tokens):
    with db():
        evidence = {"summary": "2026-06-01 发生重大安全事故",
                    "items": [{"key": "incident:1", "occurred_on": "2026-06-01"}]}
        sw = proposals.propose(window_id("CD-SW-001"), 2026, 4, evidence).id
        rmyy = proposals.propose(window_id("CD-RMYY-001"), 2026, 4, evidence).id
    listing = client.get("/api/v1/delisting-proposals?window=CD-SW-001", headers=tokens["unit"]).get_json()
    assert listing["total"] == 1
    [item] = listing["items"]
    assert item["rule"] == 4 and item["rule_name"] and item["evidence"] == evidence
    assert item["state"] == "open"
    totals = {who: client.get("/api/v1/delisting-proposals", headers=tokens[who]).get_json()["total"]
              for who in ROLES}
    assert totals == {"office": 2, "agency": 2, "authority": 1, "unit": 1}
    assert client.get("/api/v1/delisting-proposals?rule=1", headers=tokens["office"]).get_json()["total"] == 0
    error_of(client.get("/api/v1/delisting-proposals?rule=5", headers=tokens["office"]), 400)
    error_of(client.get(f"/api/v1/delisting-proposals/{rmyy}", headers=tokens["unit"]), 404)
    error_of(client.get("/api/v1/delisting-proposals?window=CD-RMYY-001", headers=tokens["unit"]), 404)

    for who in ("agency", "authority", "unit"):
        error_of(client.post(f"/api/v1/delisting-proposals/{sw}/confirm", headers=tokens[who], json={}), 403)
    error_of(client.post(f"/api/v1/delisting-proposals/{rmyy}/dismiss", headers=tokens["office"],
                         json={}), 400)  # a dismissal needs its reason
    dismissed = client.post(f"/api/v1/delisting-proposals/{rmyy}/dismiss", headers=tokens["office"],
                            json={"note": "事故责任不在窗口"})
    assert dismissed.status_code == 200 and dismissed.get_json()["state"] == "dismissed"
    confirmed = client.post(f"/api/v1/delisting-proposals/{sw}/confirm", headers=tokens["office"],
                            json={"note": "经研究确认"})
    assert confirmed.status_code == 200 and confirmed.get_json()["state"] == "confirmed"
    assert confirmed.get_json()["decided_at"]
    error_of(client.post(f"/api/v1/delisting-proposals/{sw}/confirm", headers=tokens["office"], json={}), 409)
    window = client.get("/api/v1/windows/CD-SW-001", headers=tokens["office"]).get_json()
    assert window["status"] == "delisted" and "经研究确认" in window["status_reason"]
    with db() as s:
        assert s.scalars(sa.select(Window.status).where(Window.code == "CD-RMYY-001")).one() != "delisted"


@pytest.mark.parametrize("path", ["/api/v1/inspections?per_page=100", "/api/v1/covert-inspections?per_page=100",
                                  "/api/v1/incidents?per_page=100", "/api/v1/delisting-proposals?per_page=100"])
def test_a_page_of_records_costs_the_same_queries_for_5_or_25_rows(app, client, db, tokens, path):
    """Windows, units and evidence come with the page, not one query per row."""
    from feedback_api.services import covert
    from feedback_api.services import windows as window_service
    from tests.assessment_helpers import inspection

    def add(n, start):
        with db():
            for i in range(start, start + n):
                code = f"CD-SW-9{i:02d}"
                # Listed before the records: none dated before its listing date is taken.
                window_service.create_window(None, {"code": code, "name": "x", "unit": "CD-SW",
                                                    "listed_on": "2026-01-01"})
                inspection(code, 2026, 3)
                visit = covert.record_covert(None, {"window": code, "inspected_on": "2026-09-01",
                                                    "results": {"服务态度": True}})
                covert.add_evidence(None, visit, "v.mp4", VIDEO + bytes([i]))
                covert.save_incident(None, {"window": code, "occurred_on": "2026-06-01", "kind": "social",
                                            "severity": "general", "description": "x", "source": "y"})
                proposals.propose(window_id(code), 2026, 4, {"summary": "x", "items": []})

    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    client.get("/api/v1/me", headers=tokens["unit"])  # the token's first use is recorded once, apart
    engine = app.extensions["ww_engine"]
    runs = []
    for n, start in ((5, 0), (20, 5)):
        add(n, start)
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            body = client.get(path, headers=tokens["unit"]).get_json()
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        assert len(body["items"]) == body["total"] == start + n
        assert all(item["unit"] == "CD-SW" for item in body["items"])
        runs.append(len(statements))
    assert runs[0] == runs[1], runs
