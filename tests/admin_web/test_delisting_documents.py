"""A confirmed delisting produces its circular (通报) and its special report to the district
(政府工作专报) as Word documents: the office downloads them from the proposals page once it has
confirmed; their text carries the window, the rule, every piece of evidence and the dates."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from docx import Document
from docx.oxml.ns import qn

from analytics import delisting
from feedback_api.models import DelistingProposal
from feedback_api.services import delisting as proposals
from tests.admin_web.test_downloads import saved_name
from tests.assessment_helpers import inspection, user


def _text(data: bytes) -> tuple[str, Document]:
    doc = Document(io.BytesIO(data))
    return "\n".join(p.text for p in doc.paragraphs), doc


def test_the_office_downloads_the_circular_and_the_special_report_once_confirmed(
        db, titled_district, client, auth):
    with db():
        for quarter in (1, 2, 3):
            inspection("CD-SW-002", 2026, quarter, passed=False)
        (p,) = delisting.evaluate(2026)
        pid = p.id
    auth.login("office")
    circular = f"/assessment/delisting/{pid}/circular.docx"
    special = f"/assessment/delisting/{pid}/special-report.docx"
    refused = client.get(circular)  # still open: nothing to circulate yet
    assert refused.status_code == 409 and "确认后才生成" in refused.get_data(as_text=True)
    assert "下载通报" not in client.get("/assessment/delisting").get_data(as_text=True)
    with db():
        proposals.confirm(user("office"), pid, "经联席会议研究决定", on=date(2026, 10, 9))
    page = client.get("/assessment/delisting").get_data(as_text=True)
    assert circular in page and special in page

    resp = client.get(circular)
    assert resp.status_code == 200 and resp.mimetype.endswith("wordprocessingml.document")
    assert saved_name(resp) == "2026年度摘牌通报-CD-SW-002 发票领用窗口.docx"
    text, doc = _text(resp.data)
    assert "关于取消发票领用窗口“文明诚信示范窗口”称号的通报" in text
    assert "各行业主管部门，各窗口单位：" in text
    assert "城东区税务局办税服务厅发票领用窗口（编号 CD-SW-002，税务行业）" in text
    assert "摘牌规则第 1 条“自然年内三次季度综合检查不合格”" in text
    assert "自2026年10月9日起取消" in text and "联席办意见：经联席会议研究决定" in text
    for quarter in ("2026Q1", "2026Q2", "2026Q3"):
        assert f"{quarter} 季度综合检查" in text
    # The glossary's one name of the office, as the site's footer says it.
    assert doc.paragraphs[-2].text == "区社会信用体系建设联席会议办公室" == doc.core_properties.author
    assert "区文明诚信示范窗口创建" not in text
    assert "区社会信用体系建设联席会议办公室 · " in page
    fonts = doc.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "仿宋"
    assert round(doc.sections[0].page_width.mm) == 210

    text, _doc = _text(client.get(special).data)
    assert "关于发票领用窗口摘牌情况的专报" in text and text.count("区政府：") == 1
    assert "一、基本情况" in text and "二、处理情况" in text and "三、下一步工作" in text
    assert "2026Q2 季度综合检查" in text and "窗口状态自2026年10月9日起为“摘牌”" in text


def test_only_the_office_and_only_for_a_proposal_it_can_see(db, titled_district, client, auth, app):
    from tests.conftest import AuthActions

    with db() as s:
        for quarter in (1, 2, 3):
            inspection("CD-SW-002", 2026, quarter, passed=False)
        (p,) = delisting.evaluate(2026)
        proposals.confirm(user("office"), p.id, on=date(2026, 10, 9))
        pid = p.id
        assert s.scalar(sa.select(sa.func.count()).select_from(DelistingProposal)) == 1
    for name in ("unit", "authority", "agency"):
        other = app.test_client()
        AuthActions(other).login(name)
        assert other.get(f"/assessment/delisting/{pid}/circular.docx").status_code in (403, 404)
    auth.login("office")
    assert client.get("/assessment/delisting/999/circular.docx").status_code == 404
    assert client.get(f"/assessment/delisting/{pid}/letter.docx").status_code == 404


def test_every_rules_evidence_is_written_out(db, titled_district):
    """Rules 2, 3 and 4 as the rules record their evidence (a document must never fail on one)."""
    from analytics import delisting_documents
    from feedback_api.services import covert, ticket_open
    from tests.analytics.test_assessment_tickets import bad_review, local, push

    with db():
        start = local(2026, 3, 2)
        tid = ticket_open.open_from_feedback(user("agency"), bad_review("CD-SW-001", start), now=start).id
        push(tid, 3, start)
        for month in (2, 4, 6, 8):
            covert.record_covert(None, {"window": "CD-SW-002", "inspected_on": f"2026-{month:02d}-01",
                                        "results": {"服务态度": False}})
        covert.save_incident(None, {"window": "CD-RMYY-001", "occurred_on": "2026-05-01",
                                    "kind": "safety", "severity": "major",
                                    "description": "电梯故障致群众受伤", "source": "群众举报"})
        found = {p.rule: p for p in delisting.evaluate(2026)}
        assert set(found) == {2, 3, 4}
        for p in found.values():
            proposals.confirm(user("office"), p.id, on=date(2026, 10, 9))
        lines = {rule: "\n".join(text for _h, paras in delisting_documents.document(
            p, "special-report").sections for text in paras) for rule, p in found.items()}
    assert "第 3 轮" in lines[2] and "退回重办" in lines[2] and "交办" in lines[2]
    assert lines[3].count("“服务态度”不合格") == 4 and "2026-08-01 暗查" in lines[3]
    assert "2026-05-01 发生重大安全事故：电梯故障致群众受伤（来源：群众举报）" in lines[4]


def test_a_note_with_pasted_control_characters_still_makes_the_documents(db, titled_district, client, auth):
    """Word's line break (\\x0b) in the office's note is no character a .docx may hold."""
    with db():
        for quarter in (1, 2, 3):
            inspection("CD-SW-002", 2026, quarter, passed=False)
        (p,) = delisting.evaluate(2026)
        pid = p.id
        proposals.confirm(user("office"), pid, "经联席会议\x0b研究决定", on=date(2026, 10, 9))
    auth.login("office")
    for kind in ("circular", "special-report"):
        resp = client.get(f"/assessment/delisting/{pid}/{kind}.docx")
        assert resp.status_code == 200, kind
        assert "联席办意见：经联席会议 研究决定" in _text(resp.data)[0]


def test_the_signature_and_date_never_print_on_a_page_of_their_own():
    """An official paper's signature (落款) and date stay with the last paragraph of the text:
    the last paragraph and the signature are kept with the next."""
    from analytics.delisting_documents import Document as Paper
    from analytics.delisting_documents import document_docx

    paper = Paper("关于取消住院结算窗口“文明诚信示范窗口”称号的通报", "各行业主管部门，各窗口单位：",
                  [("", ["事实。"]), ("一、认定依据", [f"{n}. 督办单超期未办结" for n in range(1, 30)]),
                   ("二、工作要求", ["限期整改。", "引以为戒。"])], "区文明办", "2026年12月7日")
    doc = Document(io.BytesIO(document_docx(paper)))
    *_, last, signature, day = doc.paragraphs
    assert (last.text, signature.text, day.text) == ("引以为戒。", "区文明办", "2026年12月7日")
    assert last.paragraph_format.keep_with_next and signature.paragraph_format.keep_with_next
