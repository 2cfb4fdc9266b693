"""The rating report as a Word document: opened with python-docx, it holds the PDF's and the
Excel workbook's figures as real Word tables under Word heading styles, every run with an East
Asian font; a unit reads its own only, and only once the quarter is published, as the PDF."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from openpyxl import load_workbook

from admin_web.common import DOCX
from analytics import snapshots
from analytics.assessment import Period
from feedback_api.models.reference import RATINGS
from tests.admin_web.test_report_opinions import _opinion
from tests.admin_web.test_reports import published, rated  # noqa: F401  (fixtures)
from tests.assessment_helpers import user

Q3 = "2026Q3"
WORD = f"/reports/windows/CD-SW-001/report.docx?period={Q3}"


def _word(resp):
    assert resp.status_code == 200 and resp.mimetype == DOCX, resp.status_code
    return Document(io.BytesIO(resp.data))


def _tables(doc) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


def _table(doc, *header: str) -> list[list[str]]:
    """The one table whose first row begins with ``header``."""
    found = [t for t in _tables(doc) if t[0][:len(header)] == list(header)]
    assert len(found) == 1, [t[0] for t in _tables(doc)]
    return found[0]


def _runs(doc):
    for p in doc.paragraphs:
        yield from p.runs
    for t in doc.tables:
        for row in t.rows:
            for c in row.cells:
                for p in c.paragraphs:
                    yield from p.runs


def test_the_word_report_holds_the_figures_of_the_pdf_and_the_workbook(client, auth, published):  # noqa: F811
    figures = published  # a unit reads published figures only
    pypdf = pytest.importorskip("pypdf")
    auth.login("unit")
    page = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    assert f'href="{WORD}">下载 Word</a>' in page
    doc = _word(client.get(WORD))

    styled = [(p.style.name, p.text) for p in doc.paragraphs if p.text]
    assert styled[0] == ("Title", "综合办税窗口 2026年第三季度评价报告")
    assert ("Heading 2", "CD-SW-001 综合办税窗口") in styled
    assert [t for s, t in styled if s == "Heading 1"] == [
        "综合得分与各分项", "群众评价", "月度趋势", "问题类别", "督办情况", "群众意见（按当前数据，已脱敏）"]
    assert any(t.startswith("公式：综合得分 = Σ（权重 × 分项得分）") for _s, t in styled)
    assert doc.core_properties.title == "综合办税窗口 2026年第三季度评价报告"

    facts = {row[i]: row[i + 1] for row in _table(doc, "报告对象") for i in (0, 2)}
    assert facts["报告对象"] == "CD-SW-001 综合办税窗口"
    assert facts["所属单位"] == "城东区税务局办税服务厅" and facts["考核期"] == "2026年第三季度"
    assert facts["计分评价数"] == "23" and facts["本期督办单"] == "1"
    assert facts["差评率（%）"] == f"{round(100 * 4 / 23, 1):g}"
    assert facts["结果版本"].startswith("已发布 v1")
    components = _table(doc, "分项")
    assert components[-1][:3] == ["综合得分", "", f"{figures['composite']:.1f}"]
    assert f"行业排名 第 {figures['rank_industry']} / {figures['industry_ranked']} 名" in components[-1][3]
    assert _table(doc, "评分")[:2] == [["评分", *[RATINGS[k] for k in (5, 4, 3, 2, 1)]],
                                      ["条数", "12", "5", "2", "1", "3"]]
    assert _table(doc, "本期督办单") == [
        ["本期督办单", "其中已办结", "其中曾超期", "目前未办结（含往期）"], ["1", "0", "0", "1"]]
    assert _table(doc, "问题类别", "本期督办单")[1:] == [["服务态度", "1"]]

    # The months are the workbook's, cell for cell (the mean to two places, as the PDF prints it).
    wb = load_workbook(io.BytesIO(client.get(WORD.replace(".docx", ".xlsx")).data))
    sheet = [["—" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v) for v in row]
             for row in wb["月度趋势"].iter_rows(values_only=True)]
    assert _table(doc, "月份") == sheet and sheet[2] == ["8月", "23", "0", "23", "3.96", "4"]

    # Every short figure and label in the Word tables is in the PDF's text too.
    pdf = client.get(WORD.replace(".docx", ".pdf")).data
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages))
    cells = {re.sub(r"\s+", "", c) for t in _tables(doc) for row in t for c in row}
    short = {c for c in cells if 0 < len(c) <= 12}
    assert len(short) > 40 and not [c for c in short if c not in text]

    # Chinese text in Word takes the w:eastAsia font: set on every run, never left to the theme.
    runs = [r for r in _runs(doc) if r.text]
    assert len(runs) > 100
    fonts = {r._r.rPr.rFonts.get(qn("w:eastAsia")) for r in runs}
    assert fonts <= {"宋体", "黑体", "仿宋"} and "宋体" in fonts and "黑体" in fonts
    # The headline figures are label beside value, no header; the columns sized by their texts
    # across the page's width (156 mm between the margins).
    header = [t.rows[0]._tr.trPr is not None and t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
              for t in doc.tables]
    assert header[0] is False and all(header[1:])
    widths = [c.width for c in doc.tables[0].columns]
    assert widths[1] > widths[0] and sum(widths) == pytest.approx(Mm(156), rel=0.01)
    # The charts are the PDF's only: the Word file says so where they stand.
    assert sum("图见 PDF 版报告" in t for _s, t in styled) == 2


def test_the_unit_word_report_covers_its_windows(client, auth, published):  # noqa: F811
    auth.login("unit")
    page = client.get(f"/reports/units/CD-SW?period={Q3}").get_data(as_text=True)
    assert f"/reports/units/CD-SW/report.docx?period={Q3}" in page
    doc = _word(client.get(f"/reports/units/CD-SW/report.docx?period={Q3}"))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert headings == ["CD-SW-001 综合办税窗口", "CD-SW-002 " + headings[1].split(" ", 1)[1]]
    facts = {row[i]: row[i + 1] for row in _table(doc, "报告对象") for i in (0, 2)}
    assert facts["报告对象"].startswith("CD-SW ") and facts["计分评价数"] == "29"
    assert sum(1 for t in _tables(doc) if t[0][0] == "分项") == 2


@pytest.mark.parametrize("path", ["/reports/windows/CD-RMYY-001/report.docx",
                                  "/reports/units/CD-RMYY/report.docx",
                                  "/reports/windows/NOPE/report.docx"])
def test_a_unit_gets_404_for_another_units_word_report(client, auth, published, path):  # noqa: F811
    auth.login("unit")
    resp = client.get(f"{path}?period={Q3}")
    assert resp.status_code == 404 and "Content-Disposition" not in resp.headers
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("office")  # the office reads the same file
    assert client.get(f"{path}?period={Q3}").status_code == (404 if "NOPE" in path else 200)


def test_an_unpublished_quarter_is_refused_as_the_pdf_is(db, client, auth, rated):  # noqa: F811
    auth.login("unit")
    for suffix in ("pdf", "docx"):
        resp = client.get(WORD.replace(".docx", f".{suffix}"))
        assert resp.status_code == 404 and "Content-Disposition" not in resp.headers
        assert "本季度考核结果尚未发布" in resp.get_data(as_text=True)
    with db():
        snapshots.publish(user("office"), Period("quarter", 2026, 3))
    assert "已发布 v1" in "".join(c.text for t in _word(client.get(WORD)).tables
                                 for row in t.rows for c in row.cells)


def test_a_citizens_comment_with_control_characters_is_kept_readable(db, client, auth, district):
    """A comment pasted from Word (its line break \\x0b) or with markup: the file opens and
    shows it, the character a space, as the workbook does."""
    with db():
        _opinion("CD-SW-001", 1, 0.05, ["态度"], "态度<差>\x0b不理人", "态度<差>\x0b不理人")
    auth.login("office")
    doc = _word(client.get(WORD))
    worst = [row for t in _tables(doc) for row in t if row[1] == "CD-SW-001"]
    assert [row[2:] for row in worst] == [[RATINGS[1], "态度<差> 不理人"]] * len(worst) and worst
