"""Once a quarter is published, every reader of its assessment reads the published version: the
API as the pages do, and the agency's evaluation report; late data reaches none of them until
the office recomputes."""

from __future__ import annotations

from datetime import UTC, datetime

from analytics import agency_report, snapshots
from analytics.assessment import Period
from tests.assessment_helpers import add_feedback, user

Q3 = Period("quarter", 2026, 3)
AUG = datetime(2026, 8, 10, 4, tzinfo=UTC)


def _publish_then_late_data(db) -> dict[str, float | None]:
    with db():
        add_feedback("CD-SW-001", [5] * 6, at=AUG)
        add_feedback("CD-SW-002", [4] * 6, at=AUG)
    with db():
        snapshots.publish(user("office"), Q3)
    with db():
        published = {r.code: r.composite for r in snapshots.stored(Q3).result.rows}
        add_feedback("CD-SW-002", [1] * 20, at=AUG)  # late: after publishing
    return published


def test_the_api_reads_the_published_version_as_the_pages_do(db, client, district, token_for):
    published = _publish_then_late_data(db)
    for who in ("office", "unit"):
        body = client.get("/api/v1/assessments?period=2026Q3", headers=token_for(who)).get_json()
        got = {i["window"]: i["composite"] for i in body["items"]}
        assert got == {c: v for c, v in published.items() if who == "office" or c.startswith("CD-SW")}
        assert body["version"] == 1, who
    # A period not published is computed live, and says so.
    live = client.get("/api/v1/assessments?period=2026Q2", headers=token_for("office")).get_json()
    assert live["version"] is None


def test_the_agency_report_of_a_published_quarter_has_its_figures(db, district):
    published = _publish_then_late_data(db)
    with db():
        figures = agency_report.generate(Q3)
    best = {w["code"]: w["composite"] for w in figures["best"]}
    assert best == {c: round(v, 1) for c, v in published.items() if v is not None}
    assert figures["overview"]["ratings"] == 12  # not the 20 late ones
    assert figures["version"] == 1


def test_the_agency_reports_first_draft_counts_windows_by_status(db, district):
    from feedback_api.services import windows

    with db():
        add_feedback("CD-SW-001", [5, 4], at=AUG)
        w = windows.get_window(None, "CD-SW-001")
        w.status, w.status_year = "demonstration", 2025
    with db():
        figures = agency_report.generate(Q3)
        draft = agency_report.default_sections(figures)["summary"]
    # Four windows are assessed, one of them holds the title: not "4 个示范窗口".
    assert "4 个示范窗口" not in draft
    assert "4 个窗口参加量化考核（其中示范窗口 1 个）" in draft


def test_assessment_show_prints_the_published_version_and_live_on_request(db, district, runner):
    published = _publish_then_late_data(db)

    def composites(args):
        result = runner.invoke(args=["assessment", "show", "--period", "2026Q3", *args])
        assert result.exit_code == 0, result.output
        lines = [line.split("\t") for line in result.stdout.splitlines()[1:]]
        return {cells[2]: cells[-1] for cells in lines}, result.stderr

    shown, notes = composites([])
    assert shown["CD-SW-002"] == f"{published['CD-SW-002']:.1f}" and "已发布第 1 版" in notes
    live, notes = composites(["--live"])
    assert live["CD-SW-002"] != shown["CD-SW-002"] and "按当前数据实时计算" in notes
