"""The year's standard changed after a quarter of that year was published: the code versions it
rather than refusing it. The published version keeps the weights it was computed with; the change
reaches the quarter only through the office's audited recompute (a new version beside the old);
the standard's page tells the office so before it saves."""

import sqlalchemy as sa

from analytics import snapshots
from analytics.assessment import Period
from feedback_api.models import AuditLog
from tests.assessment_helpers import add_feedback, inspection, standard_form, user

Q3 = Period("quarter", 2026, 3)


def test_a_standard_changed_after_publishing_reaches_the_quarter_only_by_a_recompute(
        db, district, client, auth):
    with db():
        add_feedback("CD-SW-001", [5] * 12 + [2] * 3)
        inspection("CD-SW-001", 2026, 3)
    with db():
        snapshots.publish(user("office"), Q3)
        v1_weights = dict(snapshots.stored(Q3).snapshot.weights)
    auth.login("office")
    page = client.get("/assessment/standard?year=2026").get_data(as_text=True)
    assert "2026年第三季度" in page and "已发布" in page and "重新计算" in page

    data, _rows = standard_form(auth, db)  # weights 50/30/20/0, pass score 85
    assert client.post("/assessment/standard?year=2026", data=data).status_code == 302
    with db() as s:
        assert s.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "standard",
                                                   AuditLog.action == "update")).one().actor == "office"
        assert dict(snapshots.stored(Q3).snapshot.weights) == v1_weights  # v1 as published
        snapshots.recompute(user("office"), Q3, "年度测评标准调整权重")
        v1, v2 = snapshots.versions(Q3)
        assert dict(v1.weights) == v1_weights and dict(v2.weights) != v1_weights
    # A year with nothing published says nothing of the kind.
    page = client.get("/assessment/standard?year=2027").get_data(as_text=True)
    assert "已发布" not in page
