"""Publishing a quarter's assessment: snapshots for demonstration windows only, non-personal,
replaced on re-publishing, shown on the public page; the command's errors."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import PublishedSnapshot, Window
from tests.assessment_helpers import add_feedback


def _demonstration(*codes: str) -> None:
    from feedback_api.db import Session

    for w in Session.scalars(sa.select(Window).where(Window.code.in_(codes))):
        w.status, w.status_year = "demonstration", 2025


def test_publish_assessment_for_the_public_page(db, district, runner, client):
    with db():
        _demonstration("CD-SW-001", "CD-SW-002", "CD-RMYY-001")
        add_feedback("CD-SW-001", [5] * 20, text="请联系13912345678")
        add_feedback("CD-SW-002", [2] * 20)
        add_feedback("CD-RMYY-002", [4] * 20)  # a candidate: never published
        # CD-RMYY-001 has no feedback this quarter: no composite, so nothing to publish.
    result = runner.invoke(args=["cycle", "publish-assessment", "--period", "2026Q3"])
    assert result.exit_code == 0, result.output
    assert "已发布 2 个示范窗口" in result.output and "CD-RMYY-001" in result.output
    again = runner.invoke(args=["cycle", "publish-assessment", "--period", "2026Q3"])
    assert again.exit_code == 0
    with db() as s:
        snaps = {sn.window.code: sn for sn in s.scalars(sa.select(PublishedSnapshot).where(
            PublishedSnapshot.kind == "assessment"))}
        assert set(snaps) == {"CD-SW-001", "CD-SW-002"}  # once each, after two runs
        best = snaps["CD-SW-001"]
        assert (best.period, best.industry, set(best.payload)) == ("2026Q3", "tax", {"score", "summary"})
        assert best.payload["score"] > snaps["CD-SW-002"].payload["score"]
        assert "2 个参评窗口中第 1 名" in best.payload["summary"]
    html = client.get("/public").get_data(as_text=True)
    assert f"<b>{best.payload['score']}</b>" in html and "2026年第三季度" in html
    assert "13912345678" not in html


def test_publish_assessment_refuses_what_is_not_a_quarter(db, district, runner):
    for period, message in (("2026", "季度"), ("2026Q7", "季度 7 无效"), ("soon", "无法识别")):
        result = runner.invoke(args=["cycle", "publish-assessment", "--period", period])
        assert result.exit_code == 2 and message in result.output, result.output
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PublishedSnapshot)) == 0


def test_a_recompute_takes_a_score_the_new_version_lacks_off_the_public_page(db, district, runner,
                                                                             client):
    from analytics import snapshots
    from analytics.assessment import Period
    from feedback_api.models import Feedback
    from tests.assessment_helpers import user, window_id

    with db():
        _demonstration("CD-SW-001", "CD-SW-002")
        add_feedback("CD-SW-001", [5] * 20)
        add_feedback("CD-SW-002", [2] * 20)
    assert runner.invoke(args=["cycle", "publish-assessment", "--period", "2026Q3"]).exit_code == 0
    with db() as s:
        gone = s.scalar(sa.select(PublishedSnapshot.payload).join(PublishedSnapshot.window)
                        .where(Window.code == "CD-SW-002"))["score"]
        # Late review: every rating of CD-SW-002 was invalid; it has no composite any more.
        for f in s.scalars(sa.select(Feedback).where(Feedback.window_id == window_id("CD-SW-002"))):
            f.review_state = "invalid"
    with db():
        snapshots.recompute(user("office"), Period("quarter", 2026, 3), "补审：刷票评价判为无效")
    with db() as s:
        codes = set(s.scalars(sa.select(Window.code).join(PublishedSnapshot.window).where(
            PublishedSnapshot.kind == "assessment")))
    assert codes == {"CD-SW-001"}
    html = client.get("/public").get_data(as_text=True)
    assert f"<b>{gone}</b>" not in html
