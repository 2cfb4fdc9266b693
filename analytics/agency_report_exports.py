"""The agency's quarterly report as the files the office edits and forwards: a Word document
(python-docx) set up as an office expects (A4, the margins of GB/T 9704 official documents,
仿宋 body text, 黑体 and 楷体 headings, 宋体 tables, page numbers) and a PDF (reportlab, the
built-in CID font STSong-Light). Both render ``agency_report_outline.outline``, as the page does.
"""

from __future__ import annotations

import io
from typing import Any

from analytics.agency_report_outline import Heading, Para, Table, cell, outline, title
from feedback_api.services import pdf_glyphs, pdf_pages

BODY_FONT, HEADING_FONT, SUBHEADING_FONT, TABLE_FONT, TITLE_FONT = "仿宋", "黑体", "楷体", "宋体", "宋体"
PDF_FONT = "STSong-Light"
AUTHOR = "第三方测评机构"


def _subtitle(figures: dict[str, Any], version: int, state: str) -> str:
    # No middle dot: STSong-Light has no glyph for it.
    return f"第三方测评机构　第 {version} 稿（{state}）　数据生成于 {figures['generated_at']}"


def set_font(run_or_style: Any, name: str, size: float | None = None, bold: bool | None = None) -> None:
    """Latin and East Asian font by name: Word takes Chinese glyphs from ``w:eastAsia``."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = run_or_style.font
    font.name = name
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    fonts = run_or_style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)
    # The template's headings take their fonts from the theme, which wins over names: drop it.
    for attr in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def page_number_footer(section: Any) -> None:
    """第 N 页 共 M 页 centred in the footer, as the PDFs print it: Word's PAGE and NUMPAGES
    fields (python-docx has no field API; ``w:fldSimple`` is WordprocessingML's one-element field),
    each holding a placeholder result that Word and LibreOffice replace when they lay out pages."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def text(value: str) -> Any:
        run = paragraph.add_run(value)
        set_font(run, TABLE_FONT, 10.5)
        return run

    for piece in ("第 ", "PAGE", " 页 共 ", "NUMPAGES", " 页"):
        if piece.isupper():
            field = OxmlElement("w:fldSimple")
            field.set(qn("w:instr"), f" {piece} ")
            paragraph._p.append(field)
            field.append(text("1")._r)  # moved from the paragraph into the field
        else:
            text(piece)


def official_docx(*, body_size: float, line_spacing: float) -> Any:
    """A new Word document set up as an official paper (公文): A4 with the GB/T 9704 margins, page
    numbers, the body font at `body_size` points with a fixed line spacing."""
    from docx import Document
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    page_number_footer(section)
    set_font(doc.styles["Normal"], BODY_FONT, body_size)
    doc.styles["Normal"].paragraph_format.line_spacing = Pt(line_spacing)
    return doc


def report_docx(figures: dict[str, Any], sections: dict[str, str], *, version: int,
                state: str) -> bytes:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    doc = official_docx(body_size=14, line_spacing=26)
    styles = doc.styles
    for name, font, size in (("Title", TITLE_FONT, 22), ("Heading 1", HEADING_FONT, 16),
                             ("Heading 2", SUBHEADING_FONT, 15)):
        set_font(styles[name], font, size, bold=name != "Heading 2")
        styles[name].font.color.rgb = RGBColor(0, 0, 0)
    styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title_ppr = styles["Title"].element.pPr
    for border in title_ppr.findall(qn("w:pBdr")) if title_ppr is not None else []:
        title_ppr.remove(border)  # the template's blue rule under the title
    core = doc.core_properties
    core.title, core.author = title(figures), AUTHOR

    doc.add_paragraph(title(figures), style="Title")
    sub = doc.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(sub.add_run(_subtitle(figures, version, state)), BODY_FONT, 12)
    for block in outline(figures, sections):
        if isinstance(block, Heading):
            doc.add_heading(block.text, level=block.level)
        elif isinstance(block, Para):
            p = doc.add_paragraph()
            if block.kind == "note":
                set_font(p.add_run(block.text), BODY_FONT, 10.5)
            else:
                p.paragraph_format.first_line_indent = Pt(28)  # two characters
                p.add_run(block.text)
        else:
            caption = doc.add_paragraph()
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
            caption.paragraph_format.keep_with_next = True  # never alone at a page's foot
            set_font(caption.add_run(block.caption), HEADING_FONT, 12)
            if not block.rows:
                set_font(doc.add_paragraph().add_run(block.empty), BODY_FONT, 12)
                continue
            table = doc.add_table(rows=1 + len(block.rows), cols=len(block.header))
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            # The PDF's column widths (an equal share each would squeeze a long name into
            # a column as narrow as a rank's); fixed, so Word keeps them.
            table.autofit = False
            widths = [Mm(w) for w in _widths(block, DOCX_TEXT_WIDTH, DOCX_CELL_SIZE,
                                             DOCX_CELL_PADDING)]
            for column, width in zip(table.columns, widths, strict=True):
                column.width = width
                for c in column.cells:
                    c.width = width
            header_row = table.rows[0]
            # The header repeats on every page a long table spans.
            tr_pr = header_row._tr.get_or_add_trPr()
            repeat = OxmlElement("w:tblHeader")
            repeat.set(qn("w:val"), "true")
            tr_pr.append(repeat)
            # A table that fits on a page is kept on one: each row kept with the next.
            keep = len(block.rows) < DOCX_WHOLE_TABLE
            for r, values in enumerate([block.header, *block.rows]):
                for c, value in enumerate(values):
                    paragraph = table.cell(r, c).paragraphs[0]
                    paragraph.paragraph_format.line_spacing = 1.0
                    paragraph.paragraph_format.keep_with_next = keep and r < len(block.rows)
                    paragraph.paragraph_format.first_line_indent = None
                    if r and isinstance(value, int | float) and not isinstance(value, bool):
                        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                    set_font(paragraph.add_run(cell(value)), TABLE_FONT, 10.5, bold=r == 0)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


#: A PDF table cell's text size and its left plus right padding (reportlab's default 6 pt each).
CELL_SIZE = 8.5
CELL_PADDING = 12
#: The Word tables': 五号 text, Word's default cell margins (0.19 cm each side), and the width
#: between official_docx's margins (210 - 28 - 26 mm).
DOCX_CELL_SIZE = 10.5
DOCX_CELL_PADDING = 11
DOCX_TEXT_WIDTH = 156
#: Rows (header included) up to which a Word table is kept on one page.
DOCX_WHOLE_TABLE = 20
#: A cell's text up to this many characters (an industry's name: 卫生健康) is never broken.
SHORT_WORD = 4


def _widths(block: Table, total: float, size: float = CELL_SIZE,
            padding: float = CELL_PADDING) -> list[float]:
    """Column widths in mm: first what each column needs so that no figure and no header word
    is broken across lines (a figure whole, a short word such as an industry's name whole, a
    header by four characters, at most a quarter of the table each); the rest to the columns
    whose texts want more room (a long name, up to 30 characters a line), in proportion to
    what they want."""
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))

    def width(text: str) -> float:
        return (pdfmetrics.stringWidth(text, PDF_FONT, size) + padding) / mm

    columns = range(len(block.header))
    floor = [min(total / 4, max([width(w) for w in [block.header[c][:4]] + [
        cell(row[c]) for row in block.rows if isinstance(row[c], int | float)]]
        # A hair to spare: a word exactly as wide as its column is wrapped.
        + [width(row[c]) + 0.5 for row in block.rows
           if isinstance(row[c], str) and len(row[c]) <= SHORT_WORD])) for c in columns]
    wanted = [max(0.0, max(width(cell(row[c])[:30]) for row in [block.header, *block.rows]) - f)
              for c, f in zip(columns, floor, strict=True)]
    spare = max(0.0, total - sum(floor))
    if spare > sum(wanted):  # room for everything: the rest in proportion to the widths
        given = [f + w for f, w in zip(floor, wanted, strict=True)]
        return [g * total / sum(given) for g in given]
    return [f + spare * w / (sum(wanted) or 1) for f, w in zip(floor, wanted, strict=True)]


def _pdf_text(text: str) -> str:
    """Paragraph markup of ``text`` (reportlab reads "<" and "&" as tags) in printable glyphs."""
    from xml.sax.saxutils import escape

    return escape(pdf_glyphs.printable(text))


def report_pdf(figures: dict[str, Any], sections: dict[str, str], *, version: int,
               state: str) -> bytes:

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    styles = {
        "title": ParagraphStyle("t", fontName=PDF_FONT, fontSize=18, leading=26, alignment=1),
        "sub": ParagraphStyle("s", fontName=PDF_FONT, fontSize=9, leading=14, alignment=1),
        # A heading or a caption never alone at the foot of a page: kept with what follows (a
        # caption with its table, the whole table where it fits on a page).
        1: ParagraphStyle("h1", fontName=PDF_FONT, fontSize=13, leading=20, spaceBefore=10,
                          keepWithNext=1),
        2: ParagraphStyle("h2", fontName=PDF_FONT, fontSize=11.5, leading=18, spaceBefore=6,
                          keepWithNext=1),
        "body": ParagraphStyle("b", fontName=PDF_FONT, fontSize=10.5, leading=17,
                               firstLineIndent=21, wordWrap="CJK"),
        "note": ParagraphStyle("n", fontName=PDF_FONT, fontSize=8.5, leading=12, wordWrap="CJK"),
        "caption": ParagraphStyle("c", fontName=PDF_FONT, fontSize=9.5, leading=14, alignment=1,
                                  spaceBefore=4, keepWithNext=1),
        "cell": ParagraphStyle("cell", fontName=PDF_FONT, fontSize=CELL_SIZE, leading=11,
                               wordWrap="CJK"),
    }
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                       ("VALIGN", (0, 0), (-1, -1), "TOP")])
    width = 180

    def story() -> list[Any]:  # built twice (pdf_pages.build): fresh flowables each time
        return [Paragraph(_pdf_text(title(figures)), styles["title"]),
                Paragraph(_pdf_text(_subtitle(figures, version, state)), styles["sub"]),
                Spacer(1, 4 * mm), *[f for block in blocks for f in flowables(block)]]

    def flowables(block: Any) -> list[Any]:
        if isinstance(block, Heading):
            return [Paragraph(_pdf_text(block.text), styles[block.level])]
        if isinstance(block, Para):
            return [Paragraph(_pdf_text(block.text), styles["note" if block.kind == "note" else "body"])]
        caption = Paragraph(_pdf_text(block.caption), styles["caption"])
        if not block.rows:
            return [caption, Paragraph(_pdf_text(block.empty), styles["body"])]
        table = PdfTable([[Paragraph(_pdf_text(cell(v)), styles["cell"]) for v in row]
                          for row in [block.header, *block.rows]],
                         colWidths=[w * mm for w in _widths(block, width)], repeatRows=1)
        table.setStyle(grid)
        return [caption, table, Spacer(1, 2 * mm)]

    blocks = outline(figures, sections)
    return pdf_pages.build(story, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                           topMargin=18 * mm, bottomMargin=18 * mm, title=title(figures),
                           author=AUTHOR)
