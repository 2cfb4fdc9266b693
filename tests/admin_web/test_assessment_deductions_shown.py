"""The incidents' deduction (重大事件扣分) wherever the composite is shown: the standard's page
(set, validated in Chinese, audited), the assessment table and window page, their Excel, the
rating report's page, Excel, PDF and Word, and the API (the standard and the assessment)."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from docx import Document
from openpyxl import load_workbook

from analytics import assessment, snapshots
from analytics.assessment import Period
from feedback_api.models import AuditLog, Standard
from feedback_api.services import covert
from tests.assessment_helpers import add_feedback, standard_form, user

Q3 = Period("quarter", 2026, 3)


def _stored(db) -> tuple[float, float]:
    with db() as s:
        std = s.scalars(sa.select(Standard).where(Standard.year == 2026)).one()
        return std.deduction_general, std.deduction_major


def test_the_standard_page_sets_validates_and_audits_the_deductions(db, district, client, auth):
    auth.login("office")
    assert client.get("/assessment/standard?year=2026").status_code == 200  # stores 2026's
    assert _stored(db) == (5, 20)
    for bad, message in (("150", "重大事件扣分应为不小于 0且不超过 100 的数"),
                         ("-1", "重大事件扣分应为不小于 0且不超过 100 的数")):
        data, _rows = standard_form(auth, db)
        data["deduction_major"] = bad
        page = client.post("/assessment/standard?year=2026", data=data)
        assert page.status_code == 200 and message in page.get_data(as_text=True)
        assert _stored(db) == (5, 20)
    data, _rows = standard_form(auth, db)
    data["deduction_general"] = ""
    page = client.post("/assessment/standard?year=2026", data=data)
    assert page.status_code == 200 and "请填写扣分" in page.get_data(as_text=True)
    data, _rows = standard_form(auth, db)
    data.update(deduction_general="8", deduction_major="30")
    assert client.post("/assessment/standard?year=2026", data=data).status_code == 302
    assert _stored(db) == (8, 30)
    with db() as s:
        log = s.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "standard",
                                                  AuditLog.action == "update")).one()
        assert (log.before["deduction_major"], log.after["deduction_major"]) == (20, 30)
        assert (log.before["deduction_general"], log.after["deduction_general"]) == (5, 8)
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("unit")
    page = client.get("/assessment/standard?year=2026").get_data(as_text=True)
    assert "每起一般事件扣 8 分、每起重大事件扣 30 分" in page


@pytest.fixture
def deducted(db, district):
    """CD-SW-001 rated, one general and one major incident in the quarter, the quarter published
    (a unit reads published figures only): 25 points off with the default standard."""
    with db():
        add_feedback("CD-SW-001", [5] * 6 + [4] * 2)
        for on, severity in (("2026-07-03", "general"), ("2026-08-20", "major")):
            covert.save_incident(None, {"window": "CD-SW-001", "occurred_on": on,
                                        "kind": "safety", "severity": severity,
                                        "description": "消防通道堵塞", "source": "主管部门通报"})
    with db():
        snapshots.publish(user("office"), Q3)
        row = next(r for r in assessment.assess(Q3).rows if r.code == "CD-SW-001")
    assert row.deduction == 25
    return row


def test_the_deduction_is_on_the_assessment_pages_and_their_excel(client, auth, deducted):
    row = deducted
    auth.login("unit")
    table = client.get("/assessment/?period=2026Q3").get_data(as_text=True)
    assert "事件扣分" in table and "−25" in table
    page = client.get("/assessment/windows/CD-SW-001?period=2026Q3").get_data(as_text=True)
    assert "重大事件扣分" in page and f"{row.composite_before:.1f}" in page
    assert f"{row.composite:.1f}" in page
    wb = load_workbook(io.BytesIO(client.get("/assessment/export.xlsx?period=2026Q3").data))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    sw = next(r for r in rows[1:] if r[header.index("窗口编号")] == "CD-SW-001")
    assert sw[header.index("扣分前得分")] == round(row.composite_before, 1)
    assert sw[header.index("重大事件扣分")] == 25
    assert sw[header.index("综合得分")] == round(row.composite, 1)


def test_the_deduction_is_in_every_rating_report(client, auth, deducted):
    pypdf = pytest.importorskip("pypdf")
    row = deducted
    auth.login("unit")
    base = "/reports/windows/CD-SW-001"
    page = client.get(f"{base}?period=2026Q3").get_data(as_text=True)
    assert "重大事件扣分" in page and "一般 1 起×5" in page
    wb = load_workbook(io.BytesIO(client.get(f"{base}/report.xlsx?period=2026Q3").data))
    cells = [c for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for c in r]
    assert "重大事件扣分" in cells and 25 in cells
    pdf = client.get(f"{base}/report.pdf?period=2026Q3").data
    text = re.sub(r"\s+", "", "".join(p.extract_text()
                                      for p in pypdf.PdfReader(io.BytesIO(pdf)).pages))
    # A hyphen-minus: STSong-Light prints U+2212 as a box (the text layer still said "−25").
    assert "重大事件扣分" in text and "-25" in text and f"{row.composite:.1f}" in text
    assert "\u2212" not in text
    doc = Document(io.BytesIO(client.get(f"{base}/report.docx?period=2026Q3").data))
    rows = [[c.text for c in r.cells] for t in doc.tables for r in t.rows]
    assert any(r[0] == "重大事件扣分" and "−25" in r for r in rows), rows


def test_the_api_documents_and_gives_the_deduction(client, deducted, token_for):
    row = deducted
    office = token_for("office")
    got = client.get("/api/v1/assessments?period=2026Q3&window=CD-SW-001", headers=office).get_json()
    item = got["items"][0]
    assert item["deduction"] == 25 and item["composite"] == pytest.approx(row.composite)
    assert item["composite_before"] == pytest.approx(row.composite_before)
    assert got["weights"]["incident_major"] == 20
    spec = client.get("/api/v1/openapi.json").get_json()
    props = spec["components"]["schemas"]["WindowAssessment"]["properties"]
    assert "重大事件扣分" in props["deduction"]["description"]
    std = client.get("/api/v1/standards/2026", headers=office).get_json()
    assert (std["deduction_general"], std["deduction_major"]) == (5, 20)
    resp = client.patch("/api/v1/standards/2026", headers=office, json={"deduction_major": 101})
    assert resp.status_code == 400 and "deduction_major" in resp.get_json()["error"]["details"]
    resp = client.patch("/api/v1/standards/2026", headers=office, json={"deduction_general": 6})
    assert resp.status_code == 200 and resp.get_json()["deduction_general"] == 6


def test_the_dashboard_shows_the_deduction_and_its_bar_is_the_composite(client, auth, deducted):
    row = deducted
    auth.login("office")
    html = client.get("/dashboard/?period=2026Q3").get_data(as_text=True)
    assert "<th>事件扣分</th>" in html and "<td>−25</td>" in html
    data = client.get("/dashboard/data.json?period=2026Q3").get_json()
    sw = next(w for w in data["windows"] if w["code"] == "CD-SW-001")
    assert sw["deduction"] == 25 and sw["composite"] == round(row.composite, 1)
    assert sum(v for v in sw["contributions"].values() if v) == pytest.approx(row.composite, abs=0.03)
