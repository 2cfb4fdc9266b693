"""The rating report PDF and the agency's report PDF as they print, on the demo district (a unit's five windows fill pages):
each page numbered 第 N 页 共 M 页, a heading never left alone at the foot of a page, and a
window's name, its components table and its formula on one page, and each chart on the page of
the table of its figures."""

from __future__ import annotations

import io
import re

import pytest

from feedback_api.demo import seed_demo

HEADINGS = ("综合得分与各分项", "群众评价", "月度趋势", "问题类别", "督办情况", "群众意见（按当前数据，已脱敏）")


@pytest.fixture()
def demo(db):  # type: ignore[no-untyped-def]
    with db():
        seed_demo(feedback_per_window=12)


def _pages(data: bytes) -> list[list[str]]:
    pypdf = pytest.importorskip("pypdf")
    return [[line.strip() for line in p.extract_text().splitlines() if line.strip()]
            for p in pypdf.PdfReader(io.BytesIO(data)).pages]


def _unit_report(client, auth) -> list[list[str]]:  # type: ignore[no-untyped-def]
    auth.login("office", "office-demo-2026")
    response = client.get("/reports/units/CD-RMYY/report.pdf?period=2026")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = _pages(response.data)
    assert len(pages) >= 3
    return pages


def test_every_page_of_the_rating_report_is_numbered_of_the_total(client, auth, demo):
    pages = _unit_report(client, auth)
    for n, lines in enumerate(pages, start=1):
        assert f"第 {n} 页 共 {len(pages)} 页" in lines, lines[-3:]


def test_no_heading_ends_a_page_and_a_window_keeps_its_table(client, auth, demo):
    pages = _unit_report(client, auth)
    for lines in pages:
        body = [ln for ln in lines if not re.fullmatch(r"第 \d+ 页 共 \d+ 页", ln)]
        assert body[-1] not in HEADINGS, body[-3:]
        names = [ln for ln in body if re.match(r"CD-RMYY-\d{3} ", ln)]
        formulas = [ln for ln in body if ln.startswith("计算：")]
        assert len(names) == len(formulas), (names, formulas)
    # Kept together, not each on a page of its own: the first page holds the figures and windows.
    assert sum(bool(re.match(r"CD-RMYY-\d{3} ", ln)) for ln in pages[0]) >= 2, pages[0]


def test_each_chart_prints_on_the_page_of_its_table(client, auth, demo):
    pages = _unit_report(client, auth)
    for chart, table_cell in (("五级评分分布（计分评价", "条数"), ("月度趋势：计分评价", "平均分")):
        [page] = [lines for lines in pages if any(ln.startswith(chart) for ln in lines)]
        assert table_cell in page, page[-3:]


def test_the_agency_report_pdf_numbers_its_pages_and_keeps_each_caption_with_its_table(app, demo):
    from analytics import agency_report, agency_report_exports
    from analytics.agency_report_outline import Table, outline
    from analytics.periods import parse_period

    with app.app_context():
        figures = agency_report.generate(parse_period("2026Q4"))
        sections = agency_report.default_sections(figures)
    pages = _pages(agency_report_exports.report_pdf(figures, sections, version=1, state="草稿"))
    assert len(pages) >= 3
    for n, lines in enumerate(pages, start=1):
        assert f"第 {n} 页 共 {len(pages)} 页" in lines, lines[-3:]
    tables = [b for b in outline(figures, sections) if isinstance(b, Table)]
    for block in tables:
        [page] = [lines for lines in pages if block.caption in lines]
        follows = page[page.index(block.caption) + 1]
        assert follows.startswith(block.header[0] if block.rows else block.empty), (block.caption, follows)


def test_an_industry_name_in_the_agency_report_tables_is_never_broken():
    """Tables 3 and 4 (best and weakest windows) gave the industry a column narrower than its
    four characters beside long window and unit names (卫生健/康 on two lines, the demo's
    2026Q3); the Word tables take the same widths."""
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    from analytics.agency_report_exports import CELL_PADDING, CELL_SIZE, PDF_FONT, _widths
    from analytics.agency_report_outline import _windows

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    items = [{"rank_district": n, "code": f"CD-RMYY-00{n}", "name": name, "unit": unit,
              "industry": industry, "composite": 87.3, "ratings": 20, "ratings_wechat": 16,
              "ratings_h5": 4, "good_rate": 85.0}
             for n, name, unit, industry in (
                 (1, "住院结算窗口", "城东区人民医院", "卫生健康"),
                 (2, "老年卡服务窗口", "城东区公交客运服务中心", "交通运输"),
                 (3, "公积金提取窗口", "城东区政务服务中心", "政务服务"),
                 (4, "贵宾理财窗口", "城东支行营业部", "银行金融"))]
    block = _windows("表3 综合得分靠前的窗口", items)
    c = block.header.index("行业")
    room = _widths(block, 180)[c] * mm - CELL_PADDING
    for row in block.rows:
        assert pdfmetrics.stringWidth(row[c], PDF_FONT, CELL_SIZE) < room, row[c]


def test_the_word_report_keeps_a_short_table_on_one_page_under_its_heading(client, auth, demo):
    """Word split CD-RMYY-005's components table across a page (LibreOffice's rendering): a
    short table's rows are kept with the next, and a chart's note with the table below it."""
    from docx import Document

    auth.login("office", "office-demo-2026")
    doc = Document(io.BytesIO(client.get("/reports/units/CD-RMYY/report.docx?period=2026").data))
    short = [t for t in doc.tables if len(t.rows) <= 12]
    assert len(short) >= 5
    for table in short:
        for row in table.rows[:-1]:
            assert all(c.paragraphs[0].paragraph_format.keep_with_next for c in row.cells)
        assert not any(c.paragraphs[0].paragraph_format.keep_with_next for c in table.rows[-1].cells)
    notes = [p for p in doc.paragraphs if p.text.endswith("其数据即下表。）")]
    assert len(notes) == 2 and all(p.paragraph_format.keep_with_next for p in notes)
    assert doc.styles["Heading 1"].paragraph_format.keep_with_next
    assert doc.styles["Heading 2"].paragraph_format.keep_with_next


def test_the_agency_word_report_keeps_each_caption_with_its_table(app, demo):
    """Word left 表2's and 表4's captions at the foot of a page and split 表6 (LibreOffice's
    rendering): captions and the rows of a table that fits a page are kept with the next."""
    from docx import Document

    from analytics import agency_report, agency_report_exports
    from analytics.periods import parse_period

    with app.app_context():
        figures = agency_report.generate(parse_period("2026Q4"))
        sections = agency_report.default_sections(figures)
    doc = Document(io.BytesIO(agency_report_exports.report_docx(figures, sections, version=1,
                                                                state="草稿")))
    captions = [p for p in doc.paragraphs if re.match(r"表\d+", p.text)]
    assert len(captions) >= 11 and all(p.paragraph_format.keep_with_next for p in captions)
    for table in doc.tables:
        assert len(table.rows) <= 20
        for row in table.rows[:-1]:
            assert all(c.paragraphs[0].paragraph_format.keep_with_next for c in row.cells)


def test_a_citizens_emoji_and_a_minus_sign_print_in_glyphs_the_font_has():
    """STSong-Light prints U+2212 as a box and a character beyond the BMP (😀) as another CJK
    character's glyph; the text layer hid both."""
    from feedback_api.services.pdf_glyphs import EMOJI, printable

    assert printable("扣分 −25，态度好😀👍") == f"扣分 -25，态度好{EMOJI}{EMOJI}"
    assert printable("满意①≥90%×2") == "满意①≥90%×2"  # the font has these
