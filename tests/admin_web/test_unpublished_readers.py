"""Units and authorities see a period's scores and ranks only once the office has published it:
before that their pages, downloads and the API say 本季度考核结果尚未发布, with no live figure.
The office and the agency keep the live view, marked 实时结果，未发布."""

from __future__ import annotations

import pytest

from analytics import snapshots
from analytics.assessment import Period
from tests.assessment_helpers import add_feedback, user
from tests.conftest import AuthActions

Q3 = Period("quarter", 2026, 3)
SAID = "本季度考核结果尚未发布"
PAGES = {"unit": ["/assessment/?period=2026Q3", "/assessment/windows/CD-SW-001?period=2026Q3",
                  "/reports/?period=2026Q3", "/reports/windows/CD-SW-001?period=2026Q3",
                  "/reports/units/CD-SW?period=2026Q3"],
         "authority": ["/assessment/?period=2026Q3", "/assessment/windows/CD-RMYY-001?period=2026Q3",
                       "/dashboard/?period=2026Q3", "/reports/windows/CD-RMYY-001?period=2026Q3"]}
FILES = {"unit": ["/assessment/export.xlsx?period=2026Q3",
                  "/reports/windows/CD-SW-001/report.xlsx?period=2026Q3",
                  "/reports/units/CD-SW/report.pdf?period=2026Q3",
                  "/reports/windows/CD-SW-001/report.docx?period=2026Q3"],
         "authority": ["/assessment/export.xlsx?period=2026Q3",
                       "/reports/windows/CD-RMYY-001/report.pdf?period=2026Q3",
                       "/reports/units/CD-RMYY/report.docx?period=2026Q3"]}


@pytest.fixture()
def rated(db, district):
    with db():
        add_feedback("CD-SW-001", [5] * 10 + [1])
        add_feedback("CD-RMYY-001", [4] * 10)


def _signed_in(app, who):
    auth = AuthActions(app.test_client())
    assert auth.login(who).status_code == 302
    return auth.client


@pytest.mark.parametrize("who", ["unit", "authority"])
def test_before_publishing_they_are_told_and_see_no_figure(app, db, rated, token_for, who):
    client = _signed_in(app, who)
    for path in PAGES[who]:
        resp = client.get(path)
        html = resp.get_data(as_text=True)
        assert SAID in html, path
        assert "综合得分 = " not in html and "第 1 / " not in html and "区内排名</th>" not in html, path
    for path in FILES[who]:
        resp = client.get(path)
        assert resp.status_code == 404 and SAID in resp.get_data(as_text=True), path
        assert resp.mimetype.startswith("text/"), path
    api = client.get("/api/v1/assessments?period=2026Q3", headers=token_for(who))
    assert api.status_code == 404
    assert api.get_json()["error"] == {"code": "not_published", "message": SAID + "（2026年第三季度）"}
    data = client.get("/dashboard/data.json?period=2026Q3")
    if who == "authority":
        assert data.status_code == 404 and data.get_json()["error"]["code"] == "not_published"

    with db():
        snapshots.publish(user("office"), Q3)
    for path in PAGES[who]:
        assert SAID not in client.get(path).get_data(as_text=True), path
    for path in FILES[who]:
        assert client.get(path).status_code == 200, path
    body = client.get("/api/v1/assessments?period=2026Q3", headers=token_for(who)).get_json()
    assert body["version"] == 1 and body["items"][0]["rank_district"] is not None


@pytest.mark.parametrize("who", ["office", "agency"])
def test_the_office_and_the_agency_keep_the_live_view(app, db, rated, token_for, who):
    client = _signed_in(app, who)
    table = client.get("/assessment/?period=2026Q3").get_data(as_text=True)
    assert "实时结果，未发布" in table and "CD-SW-001" in table and SAID not in table
    assert client.get("/assessment/export.xlsx?period=2026Q3").status_code == 200
    assert client.get("/reports/windows/CD-SW-001?period=2026Q3").status_code == 200
    body = client.get("/api/v1/assessments?period=2026Q3", headers=token_for(who)).get_json()
    assert body["version"] is None and body["total"] == 4
