"""The office's return of an agency report with a note over its length says so and keeps the
note typed, instead of "please write a reason" over an emptied box (wave 13 walkthrough)."""

from __future__ import annotations

from feedback_api.db import Session
from feedback_api.models import AgencyReport
from tests.admin_web.test_agency_reports import generate, page_text, rated, report_id  # noqa: F401


def test_a_long_return_note_is_said_and_kept(app, client, auth, rated):  # noqa: F811
    generate(client, auth)
    rid = report_id(app)
    client.post(f"/agency-reports/{rid}/submit",
                data={"csrf_token": auth.csrf_token(f"/agency-reports/{rid}")})
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("office")
    note = "请补充典型案例" + "长" * 2000
    resp = client.post(f"/agency-reports/{rid}/return", data={
        "note": note, "csrf_token": auth.csrf_token(f"/agency-reports/{rid}")})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "退回原因不能超过 2000 字" in html and "请写明退回原因" not in page_text(resp)
    assert note in html
    with app.app_context():
        assert Session.get(AgencyReport, rid).state == "submitted"
