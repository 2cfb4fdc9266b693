"""An inspection or covert visit entered, imported, corrected or deleted runs the delisting rules
at once for its window and year (as the incident form does), through the nightly job's
``analytics.delisting.evaluate``; the page says when a proposal was raised. The API's writes
too. A sheet of many rows runs them once per window and year, not once per row."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from feedback_api.models import AuditLog, CovertInspection, DelistingProposal, Inspection, Standard
from feedback_api.services import covert, inspection_sheets
from tests.assessment_helpers import full_scores, inspection


def _proposals(db) -> list[tuple[str, int, int, str]]:
    with db() as s:
        return [(p.window.code, p.year, p.rule, p.state)
                for p in s.scalars(sa.select(DelistingProposal).order_by(DelistingProposal.id))]


def _scores(db, points: float) -> dict[str, str]:
    with db() as s:
        std = s.scalars(sa.select(Standard).where(Standard.year == 2026)).one()
        ids = {i.name: i.id for i in std.indicators}
    return {f"score_{ids[name]}": str(v) for name, v in full_scores(points).items()}


def test_the_third_failed_inspection_on_the_form_raises_the_proposal_at_once(client, auth, db,
                                                                            titled_district):
    with db():
        inspection("CD-RMYY-001", 2026, 1, passed=False)
        inspection("CD-RMYY-001", 2026, 2, passed=False)
    auth.login("authority")
    url = "/assessment/inspections/new?year=2026"
    resp = client.post(url, follow_redirects=True, data={
        "csrf_token": auth.csrf_token(url), "window": "CD-RMYY-001", "quarter": "3",
        "inspected_on": "2026-08-20", "inspectors": "王五", **_scores(db, 0.6)})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "已录入" in text
    assert "已生成摘牌建议" in text and "CD-RMYY-001" in text
    assert _proposals(db) == [("CD-RMYY-001", 2026, 1, "open")]


def test_a_correction_to_failed_raises_it_and_a_passed_entry_says_nothing(client, auth, db,
                                                                         titled_district):
    with db():
        inspection("CD-RMYY-001", 2026, 1, passed=False)
        inspection("CD-RMYY-001", 2026, 2, passed=False)
        q3 = inspection("CD-RMYY-001", 2026, 3, passed=True).id
    auth.login("office")
    url = "/assessment/inspections/new?year=2026"
    page = client.post(url, follow_redirects=True, data={
        "csrf_token": auth.csrf_token(url), "window": "CD-RMYY-001", "quarter": "4",
        "inspected_on": "2026-11-20", "inspectors": "王五", **_scores(db, 0.95)}).get_data(as_text=True)
    assert "已录入" in page and "已生成摘牌建议" not in page
    assert _proposals(db) == []
    edit = f"/assessment/inspections/{q3}/edit"
    page = client.post(edit, follow_redirects=True, data={
        "csrf_token": auth.csrf_token(edit), "inspected_on": "2026-07-15", "inspectors": "王五",
        **_scores(db, 0.6)}).get_data(as_text=True)
    assert "已更正" in page and "已生成摘牌建议" in page
    assert _proposals(db) == [("CD-RMYY-001", 2026, 1, "open")]


def test_an_import_runs_the_rules_once_per_window_and_year(client, auth, db, titled_district):
    with db():
        header = inspection_sheets.template_headers(2026)
    points = [f"{v:g}" for v in full_scores(0.6).values()]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for q in (1, 2, 3, 4):  # four failed quarters: the fourth would refresh a proposal run per row
        writer.writerow(["CD-RMYY-001", f"2026Q{q}", f"2026-{3 * q - 1:02d}-10", "王五", *points, ""])
    writer.writerow(["CD-SW-001", "2026Q1", "2026-02-10", "王五", *points, ""])
    auth.login("office")
    url = "/assessment/inspections/import?year=2026"
    resp = client.post(url, follow_redirects=True, content_type="multipart/form-data", data={
        "csrf_token": auth.csrf_token(url),
        "file": (io.BytesIO(buf.getvalue().encode("utf-8-sig")), "检查.csv")})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "新增 5 条" in text, text
    assert "已生成摘牌建议" in text and "CD-RMYY-001" in text
    assert _proposals(db) == [("CD-RMYY-001", 2026, 1, "open")]
    with db() as s:
        # Opened once with all four quarters: never opened on the third row and refreshed on the fourth.
        entries = s.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "delisting_proposal")).all()
        assert [e.action for e in entries] == ["create"]
        assert len(entries[0].after["evidence"]["items"]) == 4


def test_the_fourth_covert_failure_of_an_indicator_raises_the_proposal(client, auth, db,
                                                                      titled_district):
    with db():
        for day in ("2026-03-02", "2026-05-04", "2026-07-06"):
            covert.record_covert(None, {"window": "CD-SW-001", "inspected_on": day,
                                        "results": {"服务态度": False}})
        std = db_standard()
        ids = {i.name: i.id for i in std.indicators}
        passed_id = covert.record_covert(None, {"window": "CD-SW-001", "inspected_on": "2026-09-08",
                                                "results": {"服务态度": True}}).id
    auth.login("office")
    url = f"/assessment/covert/{passed_id}/edit"
    resp = client.post(url, follow_redirects=True, data={
        "csrf_token": auth.csrf_token(url), "window": "CD-SW-001", "inspected_on": "2026-09-08",
        f"result_{ids['服务态度']}": "0"})
    text = resp.get_data(as_text=True)
    assert "暗查记录已更正" in text and "已生成摘牌建议" in text
    assert _proposals(db) == [("CD-SW-001", 2026, 3, "open")]
    # A visit entered anew on the form says so too (the proposal's evidence grows by it).
    new = "/assessment/covert/new?year=2026"
    text = client.post(new, follow_redirects=True, data={
        "csrf_token": auth.csrf_token(new), "window": "CD-SW-001", "inspected_on": "2026-10-12",
        f"result_{ids['服务态度']}": "0"}).get_data(as_text=True)
    assert "暗查记录已保存" in text and "已生成摘牌建议" in text
    with db() as s:
        (p,) = s.scalars(sa.select(DelistingProposal)).all()
        assert len(p.evidence["items"]) == 5


def db_standard():
    from feedback_api.db import Session

    return Session.scalars(sa.select(Standard).where(Standard.year == 2026)).one()


def test_the_apis_writes_run_the_rules_at_once(client, db, titled_district, token_for):
    office = token_for("office")
    for q in (1, 2, 3):
        resp = client.post("/api/v1/inspections", headers=office, json={
            "window": "CD-RMYY-001", "year": 2026, "quarter": q,
            "inspected_on": f"2026-{3 * q - 1:02d}-10", "inspectors": "王五",
            "scores": full_scores(0.6)})
        assert resp.status_code == 201, resp.get_json()
    assert _proposals(db) == [("CD-RMYY-001", 2026, 1, "open")]
    ids = []
    for day in ("2026-03-02", "2026-05-04", "2026-07-06", "2026-09-08"):
        resp = client.post("/api/v1/covert-inspections", headers=office, json={
            "window": "CD-SW-001", "inspected_on": day, "results": {"服务态度": day == "2026-09-08"}})
        assert resp.status_code == 201, resp.get_json()
        ids.append(resp.get_json()["id"])
    assert len(_proposals(db)) == 1
    resp = client.patch(f"/api/v1/covert-inspections/{ids[-1]}", headers=office,
                        json={"results": {"服务态度": False}})
    assert resp.status_code == 200, resp.get_json()
    assert _proposals(db)[1:] == [("CD-SW-001", 2026, 3, "open")], resp.get_json()
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CovertInspection)) == 4
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 3


def test_the_command_lines_import_runs_them_too(app, db, titled_district, tmp_path):
    with db():
        header = inspection_sheets.template_headers(2026)
    points = [f"{v:g}" for v in full_scores(0.6).values()]
    sheet = tmp_path / "检查.csv"
    with sheet.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for q in (1, 2, 3):
            writer.writerow(["CD-RMYY-001", f"2026Q{q}", f"2026-{3 * q - 1:02d}-10", "王五", *points, ""])
    result = app.test_cli_runner().invoke(args=["inspections", "import", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "新增 3 条" in result.output and "已生成摘牌建议" in result.output
    assert _proposals(db) == [("CD-RMYY-001", 2026, 1, "open")]


def test_a_major_incident_through_the_api_raises_its_proposal_as_the_form_does(client, db,
                                                                             titled_district, token_for):
    resp = client.post("/api/v1/incidents", headers=token_for("office"), json={
        "window": "CD-SW-002", "occurred_on": "2026-04-02", "kind": "safety", "severity": "major",
        "source": "税务局通报", "description": "大厅吊顶脱落伤人"})
    assert resp.status_code == 201, resp.get_json()
    assert _proposals(db) == [("CD-SW-002", 2026, 4, "open")]
