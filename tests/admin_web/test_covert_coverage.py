"""The office runs covert inspections at least quarterly: the covert list shows the office (and
the agency) the windows of this quarter not yet visited; never the units or authorities (a visit
announced is no covert visit)."""

from __future__ import annotations

from analytics.periods import current_quarter
from feedback_api.services import covert, windows
from tests.assessment_helpers import user
from tests.conftest import AuthActions


def test_the_office_sees_the_windows_not_yet_visited_this_quarter(app, db, titled_district):
    period = current_quarter()
    with db():
        covert.record_covert(None, {"window": "CD-SW-001", "inspected_on": period.start,
                                    "results": {"服务态度": True}})
        windows.update_window(user("office"), "CD-RMYY-002", {
            "status": "delisted", "status_date": "2025-12-31", "status_reason": "重大安全事故"})
    seen = {}
    for who in ("office", "agency", "authority", "unit"):
        client = app.test_client()
        AuthActions(client).login(who)
        seen[who] = client.get(f"/assessment/covert?year={period.year}").get_data(as_text=True)
    page = seen["office"]
    assert f"{period.label}尚未暗查的窗口（2 个）" in page
    section = page[page.index("尚未暗查的窗口"):]
    assert "CD-SW-002" in section and "CD-RMYY-001" in section
    assert "CD-SW-001" not in section and "CD-RMYY-002" not in section
    assert "尚未暗查的窗口（2 个）" in seen["agency"]
    assert "尚未暗查" not in seen["authority"] and "尚未暗查" not in seen["unit"]
    # Another year's list has no "this quarter".
    client = app.test_client()
    AuthActions(client).login("office")
    assert "尚未暗查" not in client.get(f"/assessment/covert?year={period.year - 1}").get_data(as_text=True)
