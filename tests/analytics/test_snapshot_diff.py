"""The comparison of two published versions (版本对比) covers the ratings from WeChat and from H5
and what became of the 差评 left out of the ticket component (督办未到期 / 未督办 / 督办已撤销),
where both versions hold them; a version stored before they were kept shows "—" for them and
they are not compared (no window is listed as changed for that alone)."""

from __future__ import annotations

import sqlalchemy as sa

from analytics import snapshots
from analytics.assessment import Period
from analytics.snapshot_diff import compare
from feedback_api.models import AssessmentSnapshotRow
from feedback_api.services import ticket_links, ticket_open
from tests.analytics.test_assessment_tickets import bad_review, local
from tests.assessment_helpers import add_feedback, user

Q3 = Period("quarter", 2026, 3)
#: The figures kept since channel9 and assess9.
LATER = ("ratings_wechat", "ratings_h5", "bad_not_due", "bad_unticketed", "bad_cancelled")
LABELS = ("其中微信公众号", "其中网页评价", "差评：督办未到期", "差评：未督办", "差评：督办已撤销")


def _two_versions(db) -> None:  # type: ignore[no-untyped-def]
    """v1: CD-SW-001 rated 5, 4 on WeChat and 1, 2, 2 on H5, no ticket. v2, recomputed after
    late data: one more rating from each channel, one 差评 ticketed (within its deadline) and
    one on a ticket the office cancelled."""
    with db():
        add_feedback("CD-SW-001", [5, 4], channel="wechat")
        add_feedback("CD-SW-001", [1, 2, 2], channel="h5")
        add_feedback("CD-RMYY-001", [4], channel="wechat")
    with db():
        snapshots.publish(user("office"), Q3)
    with db():
        add_feedback("CD-SW-001", [5], channel="wechat")
        add_feedback("CD-SW-001", [3], channel="h5")
        agency = user("agency")
        ticket_open.open_from_feedback(agency, bad_review("CD-SW-001", local(2026, 9, 1)))
        gone = ticket_open.open_from_feedback(agency, bad_review("CD-SW-001", local(2026, 9, 2)))
        ticket_links.cancel_ticket(user("office"), gone.id, "重复开单")
    with db():
        snapshots.recompute(user("office"), Q3, "补录评价")


def _changes(db) -> dict[str, dict[str, tuple[str, str]]]:  # type: ignore[no-untyped-def]
    with db():
        v1, v2 = snapshots.versions(Q3)
        return {c.code: {label: (a, b) for label, a, b in c.changes} for c in compare(v1, v2)}


def test_versions_compare_the_channels_and_the_bad_reviews_left_out(db, district, client, auth):
    _two_versions(db)
    sw1 = _changes(db)["CD-SW-001"]
    assert sw1["其中微信公众号"] == ("2", "5")  # the late 5 and the two 差评 of September
    assert sw1["其中网页评价"] == ("3", "4")
    assert sw1["差评：督办未到期"] == ("0", "1")
    assert sw1["差评：督办已撤销"] == ("0", "1")
    assert "差评：未督办" not in sw1  # still the three H5 差评
    auth.login("office")
    html = client.get("/assessment/versions?period=2026Q3&compare=2").get_data(as_text=True)
    assert "<td>其中微信公众号</td><td>2</td><td>5</td>" in html
    assert "<td>差评：督办已撤销</td><td>0</td><td>1</td>" in html
    assert "不作对比" not in html  # both versions hold every figure


def test_a_version_stored_before_shows_a_dash_and_is_not_compared_on_them(db, district, client,
                                                                          auth):
    _two_versions(db)
    with db() as s:  # v1 as stored before channel9 and assess9
        v1 = snapshots.versions(Q3)[0]
        for row in s.scalars(sa.select(AssessmentSnapshotRow)
                             .where(AssessmentSnapshotRow.snapshot_id == v1.id)):
            data = dict(row.data)
            data["assessment"] = {k: v for k, v in data["assessment"].items() if k not in LATER}
            row.data = data
    changes = _changes(db)
    assert not any(label in LABELS for c in changes.values() for label in c)
    assert changes["CD-SW-001"]["计分评价"] == ("5", "9")  # the rest is compared as before
    assert "CD-RMYY-001" not in changes  # nothing of it moved but the figures v1 lacks
    auth.login("office")
    resp = client.get("/assessment/versions?period=2026Q3&compare=2")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "v1 未保存其中微信公众号、其中网页评价、差评：督办未到期、差评：未督办、差评：督办已撤销（“—”），不作对比" in html
