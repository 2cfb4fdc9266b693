"""The assessment pages as each role sees them: scope, CSRF, forms, import, evidence, delisting."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from feedback_api.models import AuditLog, CovertEvidence, DelistingProposal, Inspection, Standard, Window
from feedback_api.services import delisting as proposals
from tests.assessment_helpers import (
    add_feedback,
    full_scores,
    inspection,
    publish_quarter,
    standard_form,
    window_id,
)

PAGES = ["/assessment/", "/assessment/?period=2026", "/assessment/?period=2026-08",
         "/assessment/standard?year=2026", "/assessment/inspections?year=2026",
         "/assessment/covert?year=2026", "/assessment/incidents?year=2026", "/assessment/delisting"]


@pytest.mark.parametrize("user", ["office", "agency", "authority", "unit"])
def test_every_page_opens_for_every_role(client, auth, district, user):
    auth.login(user)
    for path in PAGES:
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert "量化考核" in resp.get_data(as_text=True)
    entry = {"office": 200, "authority": 200, "agency": 403, "unit": 403}[user]
    assert client.get("/assessment/inspections/new?year=2026").status_code == entry
    assert client.get("/assessment/inspections/import").status_code == entry
    office_only = 200 if user == "office" else 403
    assert client.get("/assessment/covert/new?year=2026").status_code == office_only
    assert client.get("/assessment/incidents/new").status_code == office_only


def test_a_bad_period_is_explained_not_a_500(client, auth, district):
    auth.login("unit")
    resp = client.get("/assessment/?period=2026Q9")
    assert resp.status_code == 200 and "季度 9 无效" in resp.get_data(as_text=True)
    resp = client.get("/assessment/?period=明年")
    assert resp.status_code == 200 and "无法识别" in resp.get_data(as_text=True)


def test_a_unit_sees_only_its_own_windows_with_their_ranks(client, auth, db, district):
    with db():
        add_feedback("CD-SW-001", [5] * 20)
        add_feedback("CD-RMYY-001", [4] * 20)
        publish_quarter()  # a unit reads published figures only
    auth.login("unit")
    page = client.get("/assessment/?period=2026Q3").get_data(as_text=True)
    assert "CD-SW-001" in page and "CD-RMYY-001" not in page
    assert "重新归一" in page and "综合得分 = Σ" in page
    assert client.get("/assessment/windows/CD-SW-001?period=2026Q3").status_code == 200
    assert client.get("/assessment/windows/CD-RMYY-001?period=2026Q3").status_code == 404


def test_authority_enters_an_inspection_by_form_only_for_its_industry(client, auth, db, district):
    auth.login("authority")
    token = auth.csrf_token("/assessment/inspections/new?year=2026")
    with db() as s:
        ids = {i.name: i.id for i in s.scalars(sa.select(Standard).where(Standard.year == 2026)).one().indicators}
    scores = {f"score_{ids[name]}": str(v) for name, v in full_scores(0.7).items()}
    base = {"csrf_token": token, "quarter": "3", "inspected_on": "2026-09-10",
            "inspectors": "王五", **scores}
    resp = client.post("/assessment/inspections/new?year=2026", data={**base, "window": "CD-SW-001"})
    assert resp.status_code == 200 and "所选窗口无效（或不属于本行业）" in resp.get_data(as_text=True)
    resp = client.post("/assessment/inspections/new?year=2026", data={**base, "window": "CD-RMYY-001"})
    assert resp.status_code == 302
    with db() as s:
        insp = s.scalars(sa.select(Inspection)).one()
        assert (insp.window.code, insp.total, insp.passed) == ("CD-RMYY-001", 70, False)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "不合格" in page and "王五" in page
    resp = client.post("/assessment/inspections/new?year=2026", data={**base, "window": "CD-RMYY-001"})
    assert "已录入" in resp.get_data(as_text=True)  # the same quarter twice: explained


def test_the_import_page_shows_the_line_numbered_report(client, auth, db, district):
    auth.login("authority")
    token = auth.csrf_token("/assessment/inspections/import")
    sheet = ("窗口编号,季度,检查日期,检查人员,服务态度,办事效率,业务能力,环境设施,廉洁诚信,制度流程,便民措施,信息公开\n"
             "CD-RMYY-001,2026Q3,2026-09-01,赵六,15,15,15,10,15,10,10,10\n"
             "CD-SW-001,2026Q3,2026-09-01,赵六,15,15,15,10,15,10,10,10\n")
    resp = client.post("/assessment/inspections/import", data={
        "csrf_token": token, "file": (io.BytesIO(sheet.encode("gb18030")), "检查.csv")},
        content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "新增 1 条，更新 0 条，错误 1 行" in page
    assert "<td>3</td>" in page and "CD-SW-001" in page
    resp = client.get("/assessment/inspections/template.csv?year=2026")
    assert resp.get_data(as_text=True).startswith("\ufeff窗口编号,季度,检查日期,检查人员,服务态度（15分）")


def test_the_import_page_refuses_a_sheet_too_long_for_one_request(client, auth, db, district):
    from feedback_api.services import ledger

    auth.login("office")
    row = "CD-SW-001,2026Q3,2026-09-01,赵六,15,15,15,10,15,10,10,10\n"
    sheet = ("窗口编号,季度,检查日期,检查人员,服务态度,办事效率,业务能力,环境设施,廉洁诚信,制度流程,便民措施,信息公开\n"
             + row * (ledger.UPLOAD_MAX_ROWS + 1))
    resp = client.post("/assessment/inspections/import", data={
        "csrf_token": auth.csrf_token("/assessment/inspections/import"),
        "file": (io.BytesIO(sheet.encode("utf-8")), "检查.csv")}, content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert f"网页一次最多导入 {ledger.UPLOAD_MAX_ROWS} 行" in page and "window-watch inspections import" in page
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0


def _post_multipart(client, path, fields):
    """A large multipart body built in memory (the test client's own spools to an unclosed file)."""
    boundary, body = encode_multipart(MultiDict({
        k: FileStorage(v[0], filename=v[1]) if isinstance(v, tuple) else v for k, v in fields.items()}))
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_office_records_a_covert_inspection_with_evidence_only_it_and_the_agency_download(
        client, auth, db, district):
    auth.login("office")
    token = auth.csrf_token("/assessment/covert/new?year=2026")
    with db() as s:
        ids = {i.name: i.id for i in s.scalars(sa.select(Standard).where(Standard.year == 2026)).one().indicators}
    resp = client.post("/assessment/covert/new?year=2026", data={
        "csrf_token": token, "window": "CD-SW-001", "inspected_on": "2026-10-08",
        "notes": "窗口无人", f"result_{ids['服务态度']}": "0", f"result_{ids['环境设施']}": "1",
        "files": [(io.BytesIO(b"%PDF-1.4 evidence"), "记录.pdf"), (io.BytesIO(b"MZ"), "x.exe")]},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    detail = resp.headers["Location"]
    page = client.get(detail).get_data(as_text=True)
    assert "类型不支持" in page and "记录.pdf" in page
    with db() as s:
        ev = s.scalars(sa.select(CovertEvidence)).one()
        item_id = ev.covert_inspection_id
    url = f"/assessment/covert/{item_id}/evidence/{ev.id}"
    with client.get(url) as got:
        assert got.status_code == 200 and got.data == b"%PDF-1.4 evidence"
        assert got.mimetype == "application/pdf" and got.headers["X-Content-Type-Options"] == "nosniff"
    # A video larger than the 16 MB every other request may carry, within WW_COVERT_EVIDENCE_MAX_MB.
    video = b"\x00\x00\x00\x18ftypisom" + b"\x00" * (17 * 1024 * 1024)
    resp = _post_multipart(client, detail, {"csrf_token": auth.csrf_token(detail),
                                            "files": (io.BytesIO(video), "暗访录像.mp4")})
    assert resp.status_code == 302
    with db() as s:
        kept = s.scalars(sa.select(CovertEvidence).where(CovertEvidence.filename == "暗访录像.mp4")).one()
        assert (kept.content_type, kept.size_bytes) == ("video/mp4", len(video))
    with client.get(f"/assessment/covert/{item_id}/evidence/{kept.id}") as got:
        assert got.data == video and "attachment" in got.headers["Content-Disposition"]
    # Elsewhere the usual limit holds.
    assert _post_multipart(client, "/assessment/inspections/import",
                           {"file": (io.BytesIO(video), "a.csv")}).status_code == 413
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("unit")
    assert client.get(detail).status_code == 200  # its own window's covert inspection
    assert client.get(url).status_code == 404
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("authority")
    assert client.get(detail).status_code == 404  # another industry's window


@pytest.mark.parametrize("user", ["agency", "authority", "unit"])
def test_a_reader_opening_the_standard_stores_nothing(client, auth, db, district, user):
    auth.login(user)
    page = client.get("/assessment/standard?year=2026").get_data(as_text=True)
    assert "服务态度" in page and "廉洁诚信" in page  # the year's standard as it would be made
    with db() as s:
        assert s.scalars(sa.select(Standard)).all() == []


def test_office_edits_the_standard_others_cannot(client, auth, db, district):
    auth.login("office")
    page = client.get("/assessment/standard?year=2026").get_data(as_text=True)
    assert "服务态度" in page
    data, rows = standard_form(auth, db)
    data["indicators-0-pass_line"] = "12"
    resp = client.post("/assessment/standard?year=2026", data=data)
    assert resp.status_code == 302
    with db() as s:
        std = s.scalars(sa.select(Standard).where(Standard.year == 2026)).one()
        assert (std.pass_score, std.weight_tickets, std.indicators[0].pass_line) == (85, 0, 12)
        assert s.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "standard",
                                                   AuditLog.action == "update")).one()
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("authority")
    data["csrf_token"] = auth.csrf_token("/assessment/inspections/import")
    assert client.post("/assessment/standard?year=2026", data=data).status_code == 403


def test_office_confirms_a_proposal_and_the_window_is_delisted(client, auth, db, titled_district):
    with db():
        for q in (1, 2, 3):
            inspection("CD-SW-002", 2026, q, passed=False)
    auth.login("office")
    token = auth.csrf_token("/assessment/delisting")
    assert client.post("/assessment/delisting/evaluate", data={"year": "2026"}).status_code == 400
    client.post("/assessment/delisting/evaluate", data={"csrf_token": token, "year": "2026"})
    with db() as s:
        p = s.scalars(sa.select(DelistingProposal)).one()
        assert (p.rule, p.state) == (1, "open")
    page = client.get("/assessment/delisting").get_data(as_text=True)
    assert "3 次季度综合检查不合格" in page and "暂不评估" not in page
    assert "预警" not in page
    resp = client.post(f"/assessment/delisting/{p.id}/dismiss", data={"csrf_token": token, "note": ""})
    assert "须说明理由" in client.get(resp.headers["Location"]).get_data(as_text=True)
    client.post(f"/assessment/delisting/{p.id}/confirm", data={"csrf_token": token, "note": "研究决定"})
    with db() as s:
        w = s.get(Window, window_id("CD-SW-002"))
        assert w.status == "delisted" and "三次季度综合检查不合格" in w.status_reason
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("unit")
    assert client.post(f"/assessment/delisting/{p.id}/confirm",
                       data={"csrf_token": auth.csrf_token("/")}).status_code == 403


def test_a_candidates_failures_open_no_proposal_and_a_stale_one_cannot_be_confirmed(
        client, auth, db, district):
    """A candidate (创建中) holds no title: pressing 按规则检查 opens nothing for it; a proposal
    left from before offers no 确认摘牌, and a forced confirm is refused with the reason."""
    with db():
        for q in (1, 2, 3):
            inspection("CD-SW-002", 2026, q, passed=False)
    auth.login("office")
    token = auth.csrf_token("/assessment/delisting")
    client.post("/assessment/delisting/evaluate", data={"csrf_token": token, "year": "2026"})
    with db() as s:
        assert s.scalars(sa.select(DelistingProposal)).all() == []
        stale = proposals.propose(window_id("CD-SW-002"), 2026, 1, {"summary": "旧建议", "items": []})
        s.commit()
        pid = stale.id
    page = client.get("/assessment/delisting").get_data(as_text=True)
    assert "旧建议" in page and "确认摘牌</button>" not in page and "该窗口现为创建中" in page
    resp = client.post(f"/assessment/delisting/{pid}/confirm", data={"csrf_token": token},
                       follow_redirects=True)
    assert resp.status_code == 200 and "未持有示范窗口称号" in resp.get_data(as_text=True)
    with db() as s:
        assert s.get(Window, window_id("CD-SW-002")).status == "candidate"


def test_office_records_an_incident(client, auth, db, titled_district):
    auth.login("office")
    token = auth.csrf_token("/assessment/incidents/new")
    resp = client.post("/assessment/incidents/new", data={
        "csrf_token": token, "window": "CD-RMYY-001", "occurred_on": "2026-04-02", "kind": "safety",
        "severity": "major", "source": "卫健局通报", "description": "候诊区玻璃门碎裂伤人"})
    assert resp.status_code == 302
    assert "候诊区玻璃门碎裂伤人" in client.get("/assessment/incidents?year=2026").get_data(as_text=True)
    with db() as s:
        # A major incident is rule 4: its proposal opens with it, for the office to confirm.
        (proposal,) = s.scalars(sa.select(DelistingProposal)).all()
        assert (proposal.rule, proposal.state, proposal.year) == (4, "open", 2026)


def test_early_warnings_show_within_scope(client, auth, db, titled_district):
    with db():
        for q in (1, 2):
            inspection("CD-SW-001", 2026, q, passed=False)
    auth.login("unit")
    page = client.get("/assessment/delisting?year=2026").get_data(as_text=True)
    assert "预警" in page and "2 次季度综合检查不合格" in page
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("authority")
    assert "预警" not in client.get("/assessment/delisting?year=2026").get_data(as_text=True)


def test_a_form_errors_in_chinese_and_keeps_what_was_typed(client, auth, district):
    """WTForms' own messages (a date like 2月30日, a score that is not a number, a name too
    long) are in Chinese, beside the text the user typed."""
    auth.login("office")
    resp = client.post("/assessment/incidents/new", data={
        "csrf_token": auth.csrf_token("/assessment/incidents/new"), "window": "CD-SW-001",
        "occurred_on": "2026-02-30", "kind": "safety", "severity": "general", "source": "巡查",
        "description": "保留我输入的内容😀"})
    page = resp.get_data(as_text=True)
    assert "不是有效的日期值" in page and "保留我输入的内容😀" in page
    assert "Not a valid" not in page
    resp = client.post("/windows/new", data={
        "csrf_token": auth.csrf_token("/windows/new"), "code": "CD-SW-009", "name": "长" * 201,
        "unit": "CD-SW", "status": "candidate", "staff_count": "三"})
    page = resp.get_data(as_text=True)
    assert "字段长度不能超过 200 个字符" in page and "请填写整数（如 5）" in page
    assert "Field cannot" not in page and "Not a valid" not in page


def test_every_form_has_chinese_messages(app):
    """Every form of the platform (admin pages and the citizens' H5 page) takes WTForms'
    messages in Chinese."""
    from flask_wtf import FlaskForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    forms = {f"{f.__module__}.{f.__qualname__}": f for f in subclasses(FlaskForm)
             if f.__module__.startswith(("admin_web", "wechat_bot"))}
    assert len(forms) > 30
    def meta(form):  # as WTForms builds it: every Meta along the class's bases
        return type("Meta", tuple(c.__dict__["Meta"] for c in form.__mro__ if "Meta" in c.__dict__),
                    {})()

    with app.test_request_context():
        messages = {name: meta(form).get_translations(None) for name, form in forms.items()}
    english = {name for name, t in messages.items()
               if t is None or t.gettext("Not a valid date value.") != "不是有效的日期值。"}
    assert english == set()


@pytest.mark.parametrize("year", ["1999", "2101", "99999999999999999999", "abc", "2026.5"])
def test_evaluating_a_year_out_of_range_says_so_on_the_delisting_page(client, auth, db, district,
                                                                       year):
    with db():
        for q in (1, 2, 3):
            inspection("CD-SW-002", 2026, q, passed=False)
    auth.login("office")
    token = auth.csrf_token("/assessment/delisting")
    resp = client.post("/assessment/delisting/evaluate", data={"csrf_token": token, "year": year})
    assert resp.status_code == 302 and resp.location.endswith("/assessment/delisting")
    page = client.get(resp.location).get_data(as_text=True)
    assert "flash-error" in page and "年度须为 2000 至 2100 之间的整数" in page
    with db() as s:
        assert s.scalars(sa.select(DelistingProposal)).all() == []
