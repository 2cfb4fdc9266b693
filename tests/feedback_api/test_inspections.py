"""The standard, inspections (with their import), covert inspections, incidents, proposals:
scopes, validation, audit."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from feedback_api.models import AuditLog, CovertEvidence, Inspection, Window
from feedback_api.services import covert, files, inspection_sheets, inspections, standards
from feedback_api.services import delisting as proposals
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from feedback_api.services.ledger import read_table
from tests.assessment_helpers import full_scores, user


def _audits(s, entity_type):
    return s.scalars(sa.select(AuditLog).where(AuditLog.entity_type == entity_type)
                     .order_by(AuditLog.id)).all()


def test_default_standard_covers_every_topic_category_and_sums_to_100(db):
    with db() as s:
        std = standards.ensure_standard(2026)
        assert [i.category for i in std.indicators] == list(standards.CATEGORIES)
        assert std.max_score == 100 and std.pass_score == 80
        assert all(0 < i.pass_line <= i.weight for i in std.indicators)
        assert len(_audits(s, "standard")) == 1
    with db():
        assert standards.ensure_standard(2026).id == std.id  # made once


def test_a_new_year_copies_the_edited_previous_year(db, district):
    with db():
        office = user("office")
        std = standards.ensure_standard(2025)
        items = [{"id": i.id, "category": i.category, "name": i.name, "weight": i.weight,
                  "pass_line": i.pass_line} for i in std.indicators]
        items[0]["name"], items[0]["weight"], items[0]["pass_line"] = "文明用语", 20, 12
        items[-1]["weight"], items[-1]["pass_line"] = 5, 3
        standards.update_standard(office, 2025, {"indicators": items, "weight_covert": 25})
    with db() as s:
        new = standards.ensure_standard(2026)
        assert new.indicators[0].name == "文明用语" and new.max_score == 100
        assert new.weight_covert == 25
        changes = [a for a in _audits(s, "standard") if a.action == "update"]
        assert len(changes) == 1 and "indicators" in changes[0].after


def test_only_the_office_edits_the_standard_and_bad_values_are_refused(db, district):
    with db():
        with pytest.raises(PermissionDenied):
            standards.update_standard(user("authority"), 2026, {"pass_score": 70})
        with pytest.raises(ValidationError) as exc:
            standards.update_standard(user("office"), 2026, {"pass_score": 120})
        assert "不能高于" in exc.value.message
        std = standards.ensure_standard(2026)
        bad = [{"category": "attitude", "name": "甲", "weight": 10, "pass_line": 11}]
        with pytest.raises(ValidationError, match="合格线不能高于分值"):
            standards.update_standard(user("office"), 2026, {"indicators": bad})
        with pytest.raises(ValidationError, match="权重不能全为 0"):
            standards.update_standard(user("office"), 2026, {
                "weight_feedback": 0, "weight_inspection": 0, "weight_covert": 0,
                "weight_tickets": 0})
        assert std.pass_score == 80


def _inspection_data(code="CD-RMYY-001", **kw):
    return {"window": code, "year": 2026, "quarter": 3, "inspected_on": "2026-09-20",
            "inspectors": "王五", "scores": full_scores(), **kw}


def test_authority_enters_inspections_only_for_its_industry(db, district):
    with db() as s:
        health = user("authority")
        insp, created = inspections.save_inspection(health, _inspection_data())
        assert created and insp.total == 100 and insp.passed and insp.max_total == 100
        with pytest.raises((PermissionDenied, NotFound)):  # not even visible to it
            inspections.save_inspection(health, _inspection_data("CD-SW-001"))
        with pytest.raises(PermissionDenied):
            inspections.save_inspection(user("unit"), _inspection_data("CD-SW-001"))
        with pytest.raises(PermissionDenied):
            inspections.save_inspection(user("agency"), _inspection_data("CD-SW-001"))
        assert [a.entity_id for a in _audits(s, "inspection")] == ["CD-RMYY-001/2026Q3"]
        assert [w.code for w in inspections.windows_for_entry(health)] == ["CD-RMYY-001",
                                                                           "CD-RMYY-002"]


def test_inspection_total_pass_and_failed_indicators(db, district):
    with db():
        scores = full_scores(0.9, 服务态度=5, 办事效率=12)  # 5 < pass line 9: the indicator fails
        insp, _ = inspections.save_inspection(user("office"), _inspection_data(scores=scores))
        assert insp.total == pytest.approx(80.0) and insp.passed  # exactly the pass score
        failed = [sc.indicator.name for sc in insp.scores if not sc.passed]
        assert failed == ["服务态度"]
        with pytest.raises(Conflict):
            inspections.save_inspection(user("office"), _inspection_data())
        again, created = inspections.save_inspection(
            user("office"), _inspection_data(scores=full_scores(0.7)), replace=True)
        assert not created and again.id == insp.id and again.total == 70 and not again.passed


@pytest.mark.parametrize("change, message", [
    ({"scores": full_scores(服务态度=16)}, "服务态度得分应在 0–15 之间"),
    ({"scores": {**full_scores(), "不存在的指标": 3}}, "未知测评指标"),
    ({"scores": {k: v for k, v in full_scores().items() if k != "信息公开"}}, "信息公开未评分"),
    ({"inspected_on": "2026-03-01"}, "不在 2026 年第 3 季度"),
    ({"inspected_on": "2026-13-01"}, "无法识别"),
    ({"quarter": 5}, "季度应为 1–4"),
    ({"inspectors": ""}, "检查人员不能为空"),
])
def test_inspection_validation(db, district, change, message):
    with db() as s:
        with pytest.raises(ValidationError) as exc:
            inspections.save_inspection(None, _inspection_data(**change))
        assert message in exc.value.message
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0


def test_a_unit_sees_only_its_own_windows_inspections(db, district):
    with db():
        inspections.save_inspection(None, _inspection_data("CD-SW-001"))
        inspections.save_inspection(None, _inspection_data("CD-RMYY-001"))
    with db() as s:
        seen = s.scalars(inspections.inspection_query(user("unit"))).all()
        assert [i.window.code for i in seen] == ["CD-SW-001"]
        other = s.scalars(inspections.inspection_query(user("office"), window="CD-RMYY-001")).one()
        with pytest.raises(NotFound):
            inspections.get_inspection(user("unit"), other.id)
        assert len(s.scalars(inspections.inspection_query(user("agency"))).all()) == 2


@pytest.mark.parametrize("text, expected", [
    ("2026Q3", (2026, 3)), ("2026-Q4", (2026, 4)), ("2026年第三季度", (2026, 3)),
    ("2026年一季度", (2026, 1)), ("第二季度", (2026, 2)), ("3", (2026, 3)), ("q1", (2026, 1)),
])
def test_quarters_as_offices_write_them(text, expected):
    assert inspection_sheets.parse_quarter(text, date(2026, 5, 1)) == expected


@pytest.mark.parametrize("text", ["2026Q5", "下半年", "", "2026"])
def test_quarters_that_are_not(text):
    with pytest.raises(ValueError):
        inspection_sheets.parse_quarter(text, date(2026, 5, 1))


HEADER = ["序号", "窗口编号", "窗口名称", "季度", "检查日期", "检查人员", "服务态度（15分）", "办事效率", "业务能力",
          "环境设施", "廉洁诚信", "制度流程", "便民措施", "信息公开", "总分", "备注"]


def _row(n, code, quarter="2026Q3", day="2026/9/20", att="14", **kw):
    return [str(n), code, "", quarter, day, "赵六、钱七", att, "14", "14", "9", "14", "9", "9",
            kw.get("pub", "9"), "", kw.get("note", "")]


def _csv(rows):
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADER, *rows])
    return buf.getvalue()


def test_import_reports_bad_rows_by_line_and_keeps_good_ones(db, district):
    rows = [
        _row(1, "CD-RMYY-001"),
        _row(2, "CD-RMYY-002", quarter="2026年第三季度", att="0"),  # fails: total 78
        _row(3, "CD-SW-001"),                                   # other industry
        _row(4, "NOPE-001"),                                    # unknown window
        _row(5, "CD-RMYY-001", quarter="2026年第三季度"),          # same window and quarter as line 2
        _row(6, "CD-RMYY-002", quarter="2026Q2", att="十五"),     # not a number
        _row(7, "CD-RMYY-002", quarter="下半年"),                 # bad quarter
        _row(8, "CD-RMYY-002", quarter="2026Q4", day="2026-10-20", pub="11"),      # above the indicator's points
        _row(9, "CD-RMYY-002", quarter="2026Q2", day="2026-02-30"),
    ]
    with db() as s:
        report = inspection_sheets.import_inspections(user("authority"), _csv(rows).encode("gb18030"),
                                                "检查.csv")
        assert sorted(report.created) == ["CD-RMYY-001 2026Q3", "CD-RMYY-002 2026Q3"]
        lines = {e.line: e.reason for e in report.errors}
        assert sorted(lines) == [4, 5, 6, 7, 8, 9, 10]
        assert "无权" in lines[4] and "不本行业" not in lines[4]
        assert "不存在" in lines[5]
        assert "第 2 行" in lines[6]
        assert "不是数字" in lines[7]
        assert "季度" in lines[8]
        assert "信息公开得分应在 0–10" in lines[9]
        assert "日期" in lines[10]
        assert report.summary() == "新增 2 条，更新 0 条，错误 7 行"
    with db() as s:
        got = {i.window.code: (i.total, i.passed, i.inspectors) for i in s.scalars(sa.select(Inspection))}
        assert got == {"CD-RMYY-001": (92.0, True, "赵六、钱七"), "CD-RMYY-002": (78.0, False, "赵六、钱七")}


def test_import_xlsx_and_reimport_updates(db, district):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append([1, "CD-RMYY-001", "门诊", "2026Q3", date(2026, 9, 20), "赵六", 15, 15, 15, 10, 15, 10, 10, 10,
               100, "良好"])
    buf = io.BytesIO()
    wb.save(buf)
    with db():
        report = inspection_sheets.import_inspections(None, buf.getvalue(), "检查.xlsx")
        assert report.ok and report.created == ["CD-RMYY-001 2026Q3"]
    with db() as s:
        report = inspection_sheets.import_inspections(None, _csv([_row(1, "CD-RMYY-001")]).encode(), "a.csv")
        assert report.ok and report.updated == ["CD-RMYY-001 2026Q3"]
        insp = s.scalars(sa.select(Inspection)).one()
        assert insp.total == 92 and insp.notes == ""
        assert [a.action for a in _audits(s, "inspection")] == ["create", "update"]


def test_import_without_required_columns_or_rows(db, district):
    with db():
        with pytest.raises(ValidationError, match="缺少必填列：检查人员"):
            inspection_sheets.import_inspections(None, "窗口编号,季度,检查日期\n".encode(), "a.csv")
        with pytest.raises(ValidationError, match="文件为空"):
            inspection_sheets.import_inspections(None, b"", "a.csv")


def test_the_import_reads_through_the_ledger_reader():
    rows = list(read_table("窗口编号,季度\nA-1,2026Q3\n".encode("gb18030"), "x.csv"))
    assert rows == [(1, ["窗口编号", "季度"]), (2, ["A-1", "2026Q3"])]


#: Real starts of what phones record, as the store's content sniffing reads them.
VIDEO = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64
VOICE = b"#!AMR\n" + b"\x00" * 64
PHOTO = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def test_covert_inspections_are_the_offices_with_evidence_in_the_shared_store(db, district, app):
    with db():
        with pytest.raises(PermissionDenied):
            covert.record_covert(user("authority"), {"window": "CD-RMYY-001",
                                                     "inspected_on": "2026-10-01",
                                                     "results": {"服务态度": False}})
        item = covert.record_covert(user("office"), {
            "window": "CD-RMYY-001", "inspected_on": "2026-10-01", "notes": "工作人员玩手机",
            "results": {"服务态度": False, "环境设施": True}})
        ev = covert.add_evidence(user("office"), item, "../../现场照片.JPG", PHOTO)
        assert ev.filename == "现场照片.JPG" and ev.sha256 == hashlib.sha256(PHOTO).hexdigest()
        assert ev.size_bytes == len(PHOTO) and ev.content_type == "image/jpeg"
        # Recordings and videos are recognised by their content, whatever their names say.
        video = covert.add_evidence(user("office"), item, "录像.bin", VIDEO)
        voice = covert.add_evidence(user("office"), item, "录音.mp3", VOICE)
        assert (video.content_type, voice.content_type) == ("video/mp4", "audio/amr")
        assert files.read(video.sha256) == VIDEO  # in the one store, by checksum
        with pytest.raises(ValidationError, match="文件类型不支持"):
            covert.add_evidence(user("office"), item, "run.mp4", b"MZ\x90\x00" + b"\x00" * 64)
        with pytest.raises(PermissionDenied):
            covert.add_evidence(user("agency"), item, "x.jpg", PHOTO)
        app.config["WW_COVERT_EVIDENCE_MAX_MB"] = 1
        try:
            with pytest.raises(ValidationError, match="不超过 1 MB"):
                covert.add_evidence(user("office"), item, "big.mp4", VIDEO + b"0" * (1024 * 1024))
        finally:
            app.config["WW_COVERT_EVIDENCE_MAX_MB"] = 50
        item_id, ev_id = item.id, ev.id
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CovertEvidence)) == 3
        assert {a.entity_type for a in s.scalars(sa.select(AuditLog))} >= {"covert_inspection",
                                                                          "covert_evidence"}
        assert s.scalars(covert.covert_query(user("unit"))).all() == []
        assert len(s.scalars(covert.covert_query(user("authority"))).all()) == 1
        # Downloads: the office and the agency; the authority sees the inspection, not the files.
        found, stored = covert.get_evidence(user("agency"), item_id, ev_id)
        assert stored.checksum == found.sha256 and stored.filename == "现场照片.JPG"
        with pytest.raises(NotFound):
            covert.get_evidence(user("authority"), item_id, ev_id)
        with pytest.raises(NotFound):
            covert.get_evidence(user("unit"), item_id, ev_id)
        files.path_of(found.sha256).write_bytes(b"tampered")
        with pytest.raises(NotFound, match="改动"):  # no longer what was uploaded
            covert.get_evidence(user("office"), item_id, ev_id)


def test_covert_inspection_validation(db, district):
    with db():
        for data, message in (
                ({"results": {}}, "至少要填写一个指标"),
                ({"results": {"礼貌": False}}, "未知测评指标"),
                ({"results": {"服务态度": False}, "inspected_on": "2099-01-01"}, "不能晚于今天")):
            with pytest.raises(ValidationError, match=message):
                covert.record_covert(None, {"window": "CD-SW-001", "inspected_on": "2026-10-01",
                                            **data})


def test_incidents_are_the_offices_and_validated(db, district):
    data = {"window": "CD-SW-001", "occurred_on": "2026-06-01", "kind": "安全事故",
            "severity": "重大", "description": "大厅吊顶脱落致群众受伤", "source": "媒体报道"}
    with db() as s:
        with pytest.raises(PermissionDenied):
            covert.save_incident(user("authority"), data)
        with pytest.raises(ValidationError, match="严重程度"):
            covert.save_incident(None, {**data, "severity": "很严重"})
        item = covert.save_incident(user("office"), data)
        assert (item.kind, item.severity) == ("safety", "major")
        covert.save_incident(user("office"), {**data, "severity": "general"}, item.id)
        assert [a.action for a in _audits(s, "incident")] == ["create", "update"]


def test_confirming_a_proposal_delists_the_window_through_the_window_service(db, titled_district):
    with db():
        wid = inspections._window(None, "CD-SW-001").id
        p = proposals.propose(wid, 2026, 4, {"summary": "2026-06-01 发生重大安全事故",
                                             "items": [{"key": "incident:1"}]})
        with pytest.raises(PermissionDenied):
            proposals.confirm(user("authority"), p.id)
        proposals.confirm(user("office"), p.id, "经联席会议研究决定", on=date(2026, 7, 1))
        with pytest.raises(Conflict):
            proposals.dismiss(user("office"), p.id, "重复")
    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        assert (w.status, w.status_date, w.status_year) == ("delisted", date(2026, 7, 1), 2026)
        assert "重大安全事故" in w.status_reason and "经联席会议研究决定" in w.status_reason
        actions = {(a.entity_type, a.action) for a in s.scalars(sa.select(AuditLog))}
        assert {("window", "update"), ("delisting_proposal", "confirm")} <= actions


def test_dismissing_needs_a_reason_and_is_audited(db, district):
    with db() as s:
        wid = inspections._window(None, "CD-SW-002").id
        p = proposals.propose(wid, 2026, 1, {"summary": "x", "items": [{"key": "inspection:1"}]})
        with pytest.raises(ValidationError, match="须说明理由"):
            proposals.dismiss(user("office"), p.id, " ")
        proposals.dismiss(user("office"), p.id, "检查记录录入有误，已更正")
        assert p.state == "dismissed" and p.decided_by == user("office").id
        assert s.scalars(sa.select(Window.status).where(Window.id == wid)).one() == "candidate"
        assert any(a.action == "dismiss" for a in _audits(s, "delisting_proposal"))


def test_cli_import_prints_the_error_report_and_keeps_good_rows(db, district, runner, tmp_path):
    sheet = tmp_path / "检查.csv"
    sheet.write_bytes(_csv([_row(1, "CD-RMYY-001"), _row(2, "NOPE")]).encode("gb18030"))
    result = runner.invoke(args=["inspections", "import", str(sheet)])
    assert result.exit_code == 1
    assert "第 3 行 NOPE：窗口 NOPE 不存在" in result.stderr
    assert "新增 1 条，更新 0 条，错误 1 行" in result.stderr
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 1
    result = runner.invoke(args=["inspections", "template", "--year", "2026"])
    assert result.stdout.startswith("窗口编号,季度,检查日期,检查人员,服务态度（15分）")


def test_a_duplicate_is_told_against_an_imported_row_and_an_empty_date_says_so(db, district):
    """A row refused does not count as the first of its window and quarter: the next one is
    imported, and a third is told against that one. A merged date cell reads empty: say so."""
    rows = [
        _row(1, "CD-RMYY-001", pub="11"),   # refused: above the indicator's points
        _row(2, "CD-RMYY-001"),             # imported
        _row(3, "CD-RMYY-001"),             # the same window and quarter as line 3
        _row(4, "CD-RMYY-002", day=""),     # the date cell empty (merged in the office's sheet)
    ]
    with db():
        report = inspection_sheets.import_inspections(user("authority"), _csv(rows).encode(), "a.csv")
        lines = {e.line: e.reason for e in report.errors}
        assert sorted(lines) == [2, 4, 5] and report.created == ["CD-RMYY-001 2026Q3"]
        assert "信息公开得分应在 0–10" in lines[2]
        assert "与第 3 行是同一窗口同一季度" in lines[4]
        assert "日期为空" in lines[5] and "“”" not in lines[5]
