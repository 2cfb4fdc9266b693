"""``GET /api/v1/assessments`` (analytics' operation, mounted by the composition root): the same
figures as ``analytics.assessment.assess``, ranked over the district and cut to the caller's
scope, with filters, pages and bad parameters (400 JSON)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analytics import assessment
from tests.assessment_helpers import add_feedback, inspection, publish_quarter, user

ROLES = ("office", "agency", "authority", "unit")


@pytest.fixture
def tokens(district, token_for):
    return {name: token_for(name) for name in ROLES}


@pytest.fixture
def quarter(db, district):
    at = datetime(2026, 8, 10, 4, tzinfo=UTC)
    with db():
        add_feedback("CD-SW-001", [5, 5, 4, 1], at=at)
        add_feedback("CD-SW-002", [2, 3], at=at)
        add_feedback("CD-RMYY-001", [5, 4, 4], at=at)
        inspection("CD-RMYY-001", 2026, 3, passed=False)
    return "2026Q3"


def test_each_role_reads_the_assessment_of_its_scope_with_district_ranks(client, db, tokens, quarter):
    office = client.get(f"/api/v1/assessments?period={quarter}", headers=tokens["office"]).get_json()
    assert office["period"] == "2026Q3" and office["period_label"] == "2026年第三季度"
    assert office["total"] == 4 and office["district_ranked"] == 3
    assert set(office["weights"]) == {"feedback", "inspection", "covert", "tickets",
                                      "incident_general", "incident_major"}
    with db():
        expected = {r.code: r for r in assessment.assess(assessment.parse_period(quarter), user("office")).rows}
    for item in office["items"]:
        r = expected[item["window"]]
        assert (item["composite"], item["rank_district"], item["ratings"]) == (
            r.composite, r.rank_district, r.ratings), item["window"]
        assert [c["key"] for c in item["components"]] == ["feedback", "inspection", "covert", "tickets"]
    sw = next(i for i in office["items"] if i["window"] == "CD-SW-001")
    assert sw["distribution"] == {"1": 1, "2": 0, "3": 0, "4": 1, "5": 2} and sw["good_rate"] == 0.75
    rmyy = next(i for i in office["items"] if i["window"] == "CD-RMYY-001")
    assert rmyy["inspections_failed"] == 1 and rmyy["inspection_score"] == pytest.approx(60)
    assert "综合检查" in rmyy["formula"]

    def windows(who, query=""):
        body = client.get(f"/api/v1/assessments?period={quarter}{query}", headers=tokens[who]).get_json()
        return body["total"], sorted(i["window"] for i in body["items"])

    assert windows("agency") == windows("office")
    # Units and authorities read published figures only: not yet, said in JSON.
    for who in ("unit", "authority"):
        refused = client.get(f"/api/v1/assessments?period={quarter}", headers=tokens[who])
        assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_published"
    with db():
        publish_quarter(quarter)
    assert windows("unit") == (2, ["CD-SW-001", "CD-SW-002"])
    assert windows("authority") == (2, ["CD-RMYY-001", "CD-RMYY-002"])
    unit_item = next(i for i in client.get(f"/api/v1/assessments?period={quarter}&window=CD-SW-001",
                                           headers=tokens["unit"]).get_json()["items"])
    assert unit_item["rank_district"] == sw["rank_district"]  # ranked over the district
    assert windows("office", "&industry=health") == (2, ["CD-RMYY-001", "CD-RMYY-002"])
    page = client.get(f"/api/v1/assessments?period={quarter}&per_page=1&page=2",
                      headers=tokens["office"]).get_json()
    assert page["total"] == 4 and [i["window"] for i in page["items"]] == [office["items"][1]["window"]]
    # Another period, another answer; no period is this quarter.
    assert client.get("/api/v1/assessments?period=2026-08", headers=tokens["office"]).get_json()["period"] == "2026-08"
    assert client.get("/api/v1/assessments", headers=tokens["office"]).status_code == 200


@pytest.mark.parametrize(("query", "status", "code"), [
    ("?period=2026Q5", 400, "invalid_parameter"),
    ("?period=next", 400, "invalid_parameter"),
    ("?industry=space", 400, "invalid_parameter"),
    ("?colour=red", 400, "unknown_parameter"),
    ("?window=CD-RMYY-001", 404, "not_found"),
])
def test_bad_or_out_of_scope_parameters(client, tokens, query, status, code):
    resp = client.get(f"/api/v1/assessments{query}", headers=tokens["unit"])
    assert resp.status_code == status and resp.get_json()["error"]["code"] == code, resp.get_json()


def test_the_assessment_needs_a_token(client, district):
    resp = client.get("/api/v1/assessments")
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "unauthorized"
