"""The list pages' filters as the office and the authorities use them: failed inspections only,
and one window's incidents."""

from __future__ import annotations

from feedback_api.services import covert
from tests.assessment_helpers import inspection


def test_the_inspection_list_filters_the_failed_ones(client, auth, db, district):
    with db():
        inspection("CD-RMYY-001", 2026, 3, passed=False)
        inspection("CD-RMYY-002", 2026, 3)
    auth.login("authority")
    page = client.get("/assessment/inspections?year=2026&passed=0").get_data(as_text=True)
    assert "CD-RMYY-001" in page and "CD-RMYY-002" not in page
    assert '<option value="0" selected>不合格</option>' in page
    page = client.get("/assessment/inspections?year=2026&passed=1").get_data(as_text=True)
    assert "CD-RMYY-001" not in page and "CD-RMYY-002" in page
    page = client.get("/assessment/inspections?year=2026&passed=x").get_data(as_text=True)
    assert "CD-RMYY-001" in page and "CD-RMYY-002" in page
    # The export takes the same filter.
    body = client.get("/assessment/inspections/export.xlsx?year=2026&passed=0").data
    from io import BytesIO

    from openpyxl import load_workbook
    rows = list(load_workbook(BytesIO(body)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["CD-RMYY-001"]


def test_the_incident_list_filters_one_window(client, auth, db, district):
    data = {"occurred_on": "2026-06-01", "kind": "safety", "severity": "general",
            "description": "大厅地面湿滑致群众摔倒", "source": "群众举报"}
    with db():
        covert.save_incident(None, {**data, "window": "CD-SW-001"})
        covert.save_incident(None, {**data, "window": "CD-SW-002"})
    auth.login("office")
    page = client.get("/assessment/incidents?year=2026&window=CD-SW-002").get_data(as_text=True)
    assert 'name="window"' in page and "CD-SW-002" in page and "CD-SW-001" not in page
