"""Published periods: every window's assessment stored as a version; pages, reports and the
public page read it; late data enters only through an audited recompute that keeps the old
version; the nightly job stores an ended quarter once, also when run twice at once."""

from __future__ import annotations

import io
import threading
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from analytics import assessment_run, snapshots
from analytics.assessment import Period, assess
from analytics.snapshot_diff import compare
from feedback_api.models import (
    AssessmentSnapshot,
    AssessmentSnapshotRow,
    AuditLog,
    PublishedSnapshot,
    Window,
)
from feedback_api.services.errors import Conflict, PermissionDenied, ValidationError
from tests.assessment_helpers import add_feedback, inspection, user, window_id

Q3 = Period("quarter", 2026, 3)


def _seed() -> None:
    add_feedback("CD-SW-001", [5] * 12 + [4] * 3)
    add_feedback("CD-SW-002", [2] * 6 + [3] * 4)
    add_feedback("CD-RMYY-001", [4] * 8)
    inspection("CD-SW-001", 2026, 3)


def _count(s, model) -> int:  # type: ignore[no-untyped-def]
    return s.scalar(sa.select(sa.func.count()).select_from(model))


def test_publish_stores_every_windows_full_row_and_pages_read_it(db, district, client, auth):
    with db():
        _seed()
    with db():
        live = assess(Q3)
        snap = snapshots.publish(user("office"), Q3)
        assert (snap.version, snap.trigger, snap.period) == (1, "publish", "2026Q3")
    with db() as s:
        rows = s.scalars(sa.select(AssessmentSnapshotRow)).all()
        assert len(rows) == len(live.rows) == 4  # every window, scored or not
        got = snapshots.stored(Q3)
        assert got is not None and got.snapshot.weights == live.weights
        assert got.result.formula == live.formula and got.result.notes == live.notes
        # Every figure, the components, the formula and the ranks round-trip unchanged.
        assert [snapshots.row_data(r) for r in got.result.rows] == [
            snapshots.row_data(r) for r in live.rows]
        sw1 = next(r for r in got.result.rows if r.code == "CD-SW-001")
        assert sw1.distribution == {1: 0, 2: 0, 3: 0, 4: 3, 5: 12} and sw1.inspections == 1
        assert (sw1.ratings_wechat, sw1.ratings_h5) == (0, 15)  # the helper rates on H5
        # A month: counted ratings, their sum, 差评, from WeChat, from H5.
        assert got.trend[window_id("CD-SW-001")][1] == ["8月", 15, 72.0, 0, 0, 15]
        audit = s.scalars(sa.select(AuditLog).where(
            AuditLog.entity_type == "assessment_snapshot")).one()
        assert (audit.action, audit.entity_id) == ("publish", "2026Q3:v1")
        # Late data: the live computation moves, the published period does not.
        add_feedback("CD-SW-002", [5] * 30)
        assert next(r for r in assess(Q3).rows if r.code == "CD-SW-002").ratings == 40
    auth.login("office")
    page = client.get("/assessment/?period=2026Q3").get_data(as_text=True)
    assert "已发布 v1" in page and "重新计算，生成第 2 版" in page and "office" in page
    window_page = client.get("/assessment/windows/CD-SW-002?period=2026Q3").get_data(as_text=True)
    assert "已发布 v1" in window_page and "<b>10</b><span>计分评价</span>" in window_page
    report = client.get("/reports/windows/CD-SW-002?period=2026Q3").get_data(as_text=True)
    assert "已发布 v1" in report and "<dd>10</dd>" in report
    sheet = load_workbook(io.BytesIO(client.get(
        "/reports/windows/CD-SW-002/report.xlsx?period=2026Q3").data)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert any(isinstance(c, str) and c.startswith("已发布 v1（") for c in cells)
    assert 10 in cells  # the stored count, a number
    # A period not published is computed live, and says so.
    assert "尚未发布" in client.get("/assessment/?period=2026-08").get_data(as_text=True)


def test_recompute_needs_a_reason_keeps_the_old_version_and_shows_what_changed(
        db, district, client, auth, runner):
    with db():
        _seed()
    with db():
        snapshots.publish(user("office"), Q3)
    auth.login("office")
    token = auth.csrf_token("/assessment/?period=2026Q3")
    refused = client.post("/assessment/recompute", data={"period": "2026Q3", "reason": "  ",
                                                         "csrf_token": token},
                          follow_redirects=True)
    assert "请填写重新计算的原因" in refused.get_data(as_text=True)
    with db() as s:
        assert _count(s, AssessmentSnapshot) == 1
        add_feedback("CD-SW-002", [5] * 30)  # late ratings
        inspection("CD-RMYY-001", 2026, 3)  # a late inspection
    resp = client.post("/assessment/recompute",
                       data={"period": "2026Q3", "reason": "补录第三季度综合检查",
                             "csrf_token": token},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "生成第 2 版" in html and "v1 → v2 逐窗口变化" in html
    assert "CD-SW-002" in html and "计分评价" in html and "综合检查" in html
    assert "CD-SW-001" in html  # its district rank moved
    with db() as s:
        v1, v2 = snapshots.versions(Q3)
        assert (v1.version, v2.version, v2.trigger, v2.reason) == (1, 2, "recompute", "补录第三季度综合检查")
        assert v2.author.username == "office"
        old = next(r for r in snapshots.stored(Q3, version=1).result.rows if r.code == "CD-SW-002")
        new = next(r for r in snapshots.stored(Q3).result.rows if r.code == "CD-SW-002")
        assert (old.ratings, new.ratings) == (10, 40)
        changes = {c.code: dict((label, (a, b)) for label, a, b in c.changes)
                   for c in compare(v1, v2)}
        assert changes["CD-SW-002"]["计分评价"] == ("10", "40")
        assert changes["CD-RMYY-001"]["综合检查"][0] == "—"
        assert "CD-RMYY-002" not in changes  # nothing of it moved
        audit = s.scalars(sa.select(AuditLog).where(AuditLog.action == "recompute")).one()
        assert audit.entity_id == "2026Q3:v2" and "补录第三季度综合检查" in str(audit.after)
    # The pages read the newest version now; the CLI lists both.
    page = client.get("/assessment/?period=2026Q3").get_data(as_text=True)
    assert "已发布 v2" in page and "补录第三季度综合检查" in page
    listed = runner.invoke(args=["assessment", "versions", "--period", "2026Q3"])
    assert listed.exit_code == 0 and listed.output.count("\n") == 2
    assert "重新计算\t补录第三季度综合检查" in listed.output


def test_a_reports_own_rows_come_with_their_version_in_one_statement(db, district, app):
    with db():
        _seed()
    with db():
        assert snapshots.stored(Q3, window_ids=[window_id("CD-SW-002")]) is None  # not published
        snapshots.publish(user("office"), Q3)
    with db():
        add_feedback("CD-SW-002", [5] * 30)
    with db():
        snapshots.recompute(user("office"), Q3, "补录")
    with db():
        sw2, rm1 = window_id("CD-SW-002"), window_id("CD-RMYY-001")

        def ratings(got: snapshots.Stored) -> dict[str, int]:
            return {r.code: r.ratings for r in got.result.rows}

        statements: list[str] = []

        def note(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        engine = app.extensions["ww_engine"]
        sa.event.listen(engine, "before_cursor_execute", note)
        try:
            newest = snapshots.stored(Q3, window_ids=[sw2])
        finally:
            sa.event.remove(engine, "before_cursor_execute", note)
        assert len(statements) == 1, statements
        assert newest is not None and newest.snapshot.version == 2
        assert ratings(newest) == {"CD-SW-002": 40} and list(newest.trend) == [sw2]
        everything = snapshots.stored(Q3)
        assert newest.result.rows == [r for r in everything.result.rows if r.window_id == sw2]
        assert newest.tickets[sw2] == everything.tickets[sw2]
        assert ratings(snapshots.stored(Q3, version=1, window_ids=[sw2])) == {"CD-SW-002": 10}
        assert snapshots.stored(Q3, version=3, window_ids=[sw2]) is None
        # A window without a row still gets the version (the report says it is not in it).
        empty = snapshots.stored(Q3, window_ids=[10**9])
        assert empty is not None and empty.snapshot.version == 2 and empty.result.rows == []
        # Scope cuts the rows too: a tax unit's user asking for a hospital's window.
        assert ratings(snapshots.stored(Q3, user("unit"), window_ids=[sw2, rm1])) == {"CD-SW-002": 40}


def test_who_may_publish_and_what_is_refused(db, district, client, auth, runner, app):
    from tests.conftest import AuthActions

    with db():
        _seed()
    with db():
        with pytest.raises(PermissionDenied):
            snapshots.publish(user("agency"), Q3)
        with pytest.raises(Conflict, match="尚未发布"):
            snapshots.recompute(user("office"), Q3, "补录")
        # The quarter after today's (a fixed 2027Q1 starts on New Year's Day).
        from analytics.periods import current_quarter

        with pytest.raises(ValidationError, match="尚未开始"):
            snapshots.publish(user("office"), current_quarter(current_quarter().end))
    for who in ("agency", "authority", "unit"):
        other = AuthActions(app.test_client())
        other.login(who)
        token = other.csrf_token("/assessment/")
        assert other.client.post("/assessment/publish", data={
            "period": "2026Q3", "csrf_token": token}).status_code == 403
        assert other.client.post("/assessment/recompute", data={
            "period": "2026Q3", "reason": "x", "csrf_token": token}).status_code == 403
    auth.login("office")
    token = auth.csrf_token("/assessment/")
    first = client.post("/assessment/publish", data={"period": "2026Q3", "csrf_token": token},
                        follow_redirects=True)
    assert "考核结果已发布（第 1 版）" in first.get_data(as_text=True)
    twice = client.post("/assessment/publish", data={"period": "2026Q3", "csrf_token": token},
                        follow_redirects=True)
    assert "已发布（第 1 版）；数据有变化时" in twice.get_data(as_text=True)
    soon = client.post("/assessment/publish", data={"period": "soon", "csrf_token": token},
                       follow_redirects=True)  # said on the table, nothing stored
    assert soon.status_code == 200 and "考核期“soon”无法识别" in soon.get_data(as_text=True)
    again = runner.invoke(args=["assessment", "publish", "--period", "2026Q3"])
    assert again.exit_code == 1 and "重新计算" in again.output
    no_reason = runner.invoke(args=["assessment", "recompute", "--period", "2026Q3", "--reason", " "])
    assert no_reason.exit_code == 1 and "原因" in no_reason.output
    done = runner.invoke(args=["assessment", "recompute", "--period", "2026Q3", "--reason", "核对"])
    assert done.exit_code == 0 and "已生成第 2 版，0 个窗口有变化" in done.output
    with db():
        assert [v.version for v in snapshots.versions(Q3)] == [1, 2]


def test_a_unit_sees_only_its_windows_of_a_published_version(db, district, client, auth):
    with db():
        _seed()
    with db():
        snapshots.publish(user("office"), Q3)
    with db():
        add_feedback("CD-RMYY-001", [1] * 10)
        add_feedback("CD-SW-002", [5] * 10)
    with db():
        snapshots.recompute(user("office"), Q3, "补录")
    auth.login("unit")  # the tax hall's windows
    table = client.get("/assessment/?period=2026Q3").get_data(as_text=True)
    assert "已发布 v2" in table and "CD-SW-001" in table and "CD-RMYY-001" not in table
    assert "重新计算，生成" not in table  # no office form
    diff = client.get("/assessment/versions?period=2026Q3&compare=2").get_data(as_text=True)
    assert "CD-SW-002" in diff and "CD-RMYY-001" not in diff


def test_the_public_page_shows_the_published_version(db, district, runner, client):
    with db() as s:
        for w in s.scalars(sa.select(Window).where(Window.code.in_(["CD-SW-001", "CD-SW-002"]))):
            w.status, w.status_year = "demonstration", 2025
        _seed()
    assert runner.invoke(args=["cycle", "publish-assessment", "--period", "2026Q3"]).exit_code == 0
    with db() as s:
        assert [v.version for v in snapshots.versions(Q3)] == [1]  # stored first
        before = s.scalars(sa.select(PublishedSnapshot).join(Window).where(
            Window.code == "CD-SW-002")).one().payload["score"]
        add_feedback("CD-SW-002", [5] * 40)
    # Late data alone does not reach the public page ...
    assert runner.invoke(args=["cycle", "publish-assessment", "--period", "2026Q3"]).exit_code == 0
    with db() as s:
        assert s.scalars(sa.select(PublishedSnapshot).join(Window).where(
            Window.code == "CD-SW-002")).one().payload["score"] == before
    # ... a recompute does.
    assert runner.invoke(args=["assessment", "recompute", "--period", "2026Q3",
                               "--reason", "补录评价"]).exit_code == 0
    with db() as s:
        after = s.scalars(sa.select(PublishedSnapshot).join(Window).where(
            Window.code == "CD-SW-002")).one().payload
        assert after["score"] > before and set(after) == {"score", "summary"}
    assert f"<b>{after['score']}</b>" in client.get("/public").get_data(as_text=True)


def test_assessment_run_computes_and_stores_the_ended_quarter_once(db, district, runner, app):
    with db():
        _seed()
    with db():
        period, snap = assessment_run.snapshot_ended_quarter(date(2026, 10, 1))
        assert period == Q3 and snap.trigger == "schedule" and snap.created_by is None
    with db():
        assert assessment_run.snapshot_ended_quarter(date(2026, 12, 31)) == (Q3, None)
        assert assessment_run.ended_quarter(date(2027, 2, 1)) == Period("quarter", 2026, 4)
    # The command stores the quarter ended by today's clock: Q3 until New Year, then Q4, stored
    # here first so that it too finds the quarter stored.
    ended = assessment_run.ended_quarter()
    with db():
        assessment_run.snapshot_ended_quarter()
    result = runner.invoke(args=["assessment", "run", "--period", "2026Q3"])
    assert result.exit_code == 0, result.output
    assert "2026年第三季度：考核 4 个窗口，3 个有综合得分" in result.output
    assert f"{ended.label}：已发布（第 1 版），未改动" in result.output
    with db() as s:
        assert _count(s, AssessmentSnapshot) == len({Q3, ended})
    from analytics import scheduler

    assert any(j.id == "assessment-nightly" for j in scheduler.all_jobs(app))


def test_the_nightly_job_run_twice_at_once_stores_the_quarter_once(db, district, app,
                                                                   monkeypatch):
    from analytics import scheduler

    with db():
        _seed()
    # Both runs compute before either writes: the race the lock must settle.
    both_computed = threading.Barrier(2, timeout=30)
    real_compute = snapshots.compute

    def compute(period):  # type: ignore[no-untyped-def]
        done = real_compute(period)
        both_computed.wait()
        return done

    monkeypatch.setattr(snapshots, "compute", compute)
    job = scheduler.Job("assessment-nightly",
                        lambda: assessment_run.snapshot_ended_quarter(date(2026, 10, 2)), None, "")
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(scheduler.run_job(app, job)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 2 and all(r is not None for r in results)  # neither failed
    stored = [snap for _period, snap in results if snap is not None]  # type: ignore[misc]
    assert len(stored) == 1
    with db() as s:
        assert _count(s, AssessmentSnapshot) == 1
        assert _count(s, AssessmentSnapshotRow) == 4
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
            AuditLog.entity_type == "assessment_snapshot")) == 1
