"""The office reads the agency's evaluation report only once the agency has submitted it: a
draft is the agency's own (list, page, Word, PDF). Returned for changes, the office still reads
what was submitted, not the agency's new drafts, until it is submitted again. (The reports have
no API.)"""

from __future__ import annotations

from tests.admin_web.test_agency_reports import generate, rated, report_id  # noqa: F401
from tests.admin_web.test_tickets_pages import signed_in

SECTIONS = {"summary": "第二稿的总体情况。", "analysis": "", "cases": "", "suggestions": ""}


def _office_reads(app, rid: int, version: int | None = None) -> list[int]:
    office, _auth = signed_in(app, "office")
    q = "" if version is None else f"?version={version}"
    return [office.get(f"/agency-reports/{rid}{q}").status_code,
            office.get(f"/agency-reports/{rid}/report.docx{q}").status_code,
            office.get(f"/agency-reports/{rid}/report.pdf{q}").status_code]


def test_a_draft_is_the_agencys_own_until_submitted(app, client, auth, rated):  # noqa: F811
    generate(client, auth)
    rid = report_id(app)
    office, _ = signed_in(app, "office")
    listing = office.get("/agency-reports/").get_data(as_text=True)
    assert "2026年第三季度" not in listing and "尚未生成测评报告" not in listing
    assert "尚无已报送的测评报告" in listing
    assert _office_reads(app, rid) == [404, 404, 404]
    assert client.get(f"/agency-reports/{rid}").status_code == 200  # the agency's own

    client.post(f"/agency-reports/{rid}/submit",
                data={"csrf_token": auth.csrf_token(f"/agency-reports/{rid}")})
    assert _office_reads(app, rid) == [200, 200, 200]
    assert "2026年第三季度" in office.get("/agency-reports/").get_data(as_text=True)

    office, office_auth = signed_in(app, "office")
    office.post(f"/agency-reports/{rid}/return", data={
        "note": "请补充", "csrf_token": office_auth.csrf_token(f"/agency-reports/{rid}")})
    assert client.post(f"/agency-reports/{rid}/edit", data={
        **SECTIONS, "csrf_token": auth.csrf_token(f"/agency-reports/{rid}/edit")}).status_code == 302
    # Returned: the office reads the submitted first draft, not the agency's second.
    page = office.get(f"/agency-reports/{rid}").get_data(as_text=True)
    assert "第 1 稿" in page and "第二稿的总体情况" not in page and "第 2 稿" not in page
    assert _office_reads(app, rid, 2) == [404, 404, 404]
    assert "第 1 稿" in office.get("/agency-reports/").get_data(as_text=True)
    client.post(f"/agency-reports/{rid}/submit",
                data={"csrf_token": auth.csrf_token(f"/agency-reports/{rid}")})
    assert _office_reads(app, rid, 2) == [200, 200, 200]
