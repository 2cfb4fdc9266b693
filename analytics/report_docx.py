"""The rating report (评价报告) as a Word document, for the staff who edit and forward it: the
PDF's sections, tables and figures in the PDF's order (``report_exports.report_pdf``), as Word
heading styles and real Word tables, every run with its East Asian font set (``w:eastAsia``).

The PDF's two charts are not drawn here: reportlab renders them to PNG only through a backend
(rlPyCairo) the platform does not install, and their figures are the tables beneath them, which
the document carries; a note says so where each chart stands in the PDF."""

from __future__ import annotations

import io
from typing import Any

from analytics.agency_report_exports import (
    DOCX_CELL_PADDING,
    DOCX_CELL_SIZE,
    DOCX_TEXT_WIDTH,
    _widths,
    official_docx,
    set_font,
)
from analytics.agency_report_outline import Table, cell
from analytics.report_exports import (
    MONTH_HEADER,
    SHORT_TABLE,
    TICKET_HEADER,
    TICKET_NOTE,
    _split,
    component_rows,
    facts,
    month_rows,
)
from analytics.reports import Report
from feedback_api.models.reference import RATINGS, TOPICS, label
from feedback_api.services.cells import printable

BODY_FONT, HEADING_FONT, TABLE_FONT, TITLE_FONT = "仿宋", "黑体", "宋体", "宋体"
AUTHOR = "文明诚信示范窗口监督平台"
LEVELS = (5, 4, 3, 2, 1)
MM_PER_POINT = 25.4 / 72
#: Where the PDF draws a chart: the Word file says the chart's figures are the table below.
CHART_NOTE = "（{}图见 PDF 版报告，其数据即下表。）"


def _text(value: Any) -> str:
    return printable(cell(value))


def sections(report: Report) -> list[tuple[str, Any]]:
    """The document's blocks in order: ("heading", (level, text)), ("para", text),
    ("note", text), ("table", rows with the header first) or ("pairs", rows of label, value,
    label, value: the headline figures, no header)."""
    pairs = facts(report)
    out: list[tuple[str, Any]] = [
        ("pairs", [[a, b, c, d] for (a, b), (c, d) in
                   zip(pairs[0::2], pairs[1::2] + [("", "")], strict=False)]),
        ("heading", (1, "综合得分与各分项"))]
    for r in report.rows:
        out += [("heading", (2, f"{r.code} {r.name}")), ("table", component_rows(report, r)),
                ("note", f"计算：{r.formula}")]
    out.append(("para", f"公式：{report.result.formula}"))
    out += [("para", f"说明：{n}") for n in report.result.notes]
    out += [("heading", (1, "群众评价")),
            ("note", CHART_NOTE.format(f"五级评分分布（计分评价 {report.ratings} 条）")),
            ("table", [["评分", *[RATINGS[k] for k in LEVELS]],
                       ["条数", *[report.distribution[k] for k in LEVELS]],
                       *[[name, *[_split(counts[k]) for k in LEVELS]]
                         for name, counts, _t in report.distribution_rows[:-1]]])]
    out += [("heading", (1, "月度趋势")), ("note", CHART_NOTE.format("月度趋势")),
            ("table", [MONTH_HEADER, *[[*m[:4], None if m[4] is None else f"{m[4]:.2f}", m[5]]
                                       for m in month_rows(report)]])]
    out += [("heading", (1, "问题类别")),
            ("table", [["问题类别", "意见条数"], *([[label(TOPICS, c), n] for c, n in report.topics]
                                           or [["本期无", ""]])])]
    t = report.tickets
    out += [("heading", (1, "督办情况")),
            ("table", [TICKET_HEADER, [t.opened, t.closed, t.overdue, t.open_now]]),
            ("note", TICKET_NOTE)]
    if t.topics:
        out.append(("table", [["问题类别", "本期督办单"], *[[label(TOPICS, c), n] for c, n in t.topics]]))
    out += [("heading", (1, "群众意见（按当前数据，已脱敏）")),
            ("table", [["投诉热词", "投诉条数"],
                       *([[w, n] for w, n in report.opinions.hot_words] or [["本期无", ""]])])]
    for title, comments in report.opinions.lists():
        out.append(("table", [[title, "窗口", "评分", "意见"],
                              *([[c.day.isoformat(), c.window_code, RATINGS.get(c.rating, "未评分"),
                                  c.text] for c in comments] or [["本期无", "", "", ""]])]))
    return out


def _column_widths(rows: list[list[Any]]) -> list[float]:
    """The agency report's widths by content (mm), with a date or a window code kept on one
    line (Word breaks them at their hyphens): the room they need taken from the widest column."""
    widths = _widths(Table("", rows[0], rows[1:]), DOCX_TEXT_WIDTH, DOCX_CELL_SIZE,
                     DOCX_CELL_PADDING)
    for j in range(len(widths)):
        # 宋体 sets every Latin letter and digit half a character wide; a millimetre to spare.
        need = max([(len(v) * DOCX_CELL_SIZE / 2 + DOCX_CELL_PADDING) * MM_PER_POINT + 1
                    for row in rows[1:] if isinstance(v := row[j], str) and v.isascii()
                    and " " not in v and len(v) <= 16], default=0.0)
        widest = max(range(len(widths)), key=widths.__getitem__)
        give = min(need - widths[j], widths[widest] - need) if widest != j else 0.0
        if give > 0:
            widths[j] += give
            widths[widest] -= give
    return widths


def _table(doc: Any, rows: list[list[Any]], *, header: bool = True) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    # Widths by content, as the agency's report sizes them (an equal share each would squeeze
    # a comment into a column as narrow as a date's); fixed, so Word keeps them.
    table.autofit = False
    widths = _column_widths(rows)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
        for c in column.cells:
            c.width = Mm(width)
    if header:  # repeated on every page a long table (the comments) spans
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        table.rows[0]._tr.get_or_add_trPr().append(repeat)
    # A short table (a window's components, the five levels) on one page, as the PDF keeps it:
    # each row's paragraphs kept with the next row.
    keep = len(rows) <= SHORT_TABLE
    for i, values in enumerate(rows):
        for j, value in enumerate(values):
            paragraph = table.cell(i, j).paragraphs[0]
            paragraph.paragraph_format.line_spacing = 1.0
            paragraph.paragraph_format.keep_with_next = keep and i < len(rows) - 1
            if i and isinstance(value, int | float) and not isinstance(value, bool):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            set_font(paragraph.add_run(_text(value)), TABLE_FONT, DOCX_CELL_SIZE,
                     bold=header and i == 0 or not header and j % 2 == 0)
    doc.add_paragraph()  # Word joins two tables with nothing between them into one


def report_docx(report: Report) -> bytes:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import RGBColor

    doc = official_docx(body_size=12, line_spacing=22)
    for name, font, size in (("Title", TITLE_FONT, 20), ("Heading 1", HEADING_FONT, 15),
                             ("Heading 2", HEADING_FONT, 12.5)):
        set_font(doc.styles[name], font, size, bold=True)
        doc.styles[name].font.color.rgb = RGBColor(0, 0, 0)
    doc.styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title_ppr = doc.styles["Title"].element.pPr
    for border in title_ppr.findall(qn("w:pBdr")) if title_ppr is not None else []:
        title_ppr.remove(border)  # the template's blue rule under the title
    doc.core_properties.title, doc.core_properties.author = report.title, AUTHOR

    set_font(doc.add_paragraph(style="Title").add_run(printable(report.title)), TITLE_FONT, 20)
    blocks = sections(report)
    for n, (kind, value) in enumerate(blocks):
        if kind == "heading":
            level, text = value
            heading = doc.add_heading(level=level)
            set_font(heading.add_run(printable(text)), HEADING_FONT, 15 if level == 1 else 12.5,
                     bold=True)
        elif kind in ("table", "pairs"):
            _table(doc, value, header=kind == "table")
        else:
            paragraph = doc.add_paragraph()
            set_font(paragraph.add_run(printable(value)), BODY_FONT, 10.5 if kind == "note" else 12)
            # A chart's note stays with the table of its figures.
            paragraph.paragraph_format.keep_with_next = (
                n + 1 < len(blocks) and blocks[n + 1][0] == "table")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
