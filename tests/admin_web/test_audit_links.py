"""The audit log's objects that have a page link to it: the office reads "督办单 707" and opens
the ticket, rather than searching for an internal number it cannot type anywhere else."""

from __future__ import annotations

from feedback_api.services import audit, users


def test_objects_with_a_page_link_to_it(client, auth, db, district):
    with db():
        office = users.get_user("office")
        for entity, ident in (("ticket", 7), ("feedback", 11), ("appeal", 3), ("submission", 5),
                              ("covert_inspection", 2), ("agency_report", 4),
                              ("assessment_snapshot", "2026Q3:v2")):
            audit.record_change(office, "update", entity, ident, None, {"reason": "x"})
    auth.login("office")
    html = client.get("/audit").get_data(as_text=True)
    for href in ("/tickets/7", "/feedback/11", "/appeals/3", "/cycle/submissions/5",
                 "/assessment/covert/2", "/agency-reports/4", "/windows/CD-SW-001"):
        assert f'href="{href}"' in html, href
    # An object without a page of its own stays plain text.
    assert "2026Q3:v2" in html and 'href="/assessment/versions' not in html
