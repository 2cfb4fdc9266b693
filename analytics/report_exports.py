"""The rating report as the files units keep: an Excel workbook (real numbers, cells through
services/cells.py) and a PDF (reportlab, built-in CID font STSong-Light, the five-level
distribution and the monthly trend drawn with reportlab.graphics). Both show what the report
page shows, the complaint hot words and the masked best and worst comments included."""

from __future__ import annotations

import io
from typing import Any

from analytics.report_charts import distribution_chart, months_chart
from analytics.reports import Report
from feedback_api.models.reference import INDUSTRIES, RATINGS, TOPICS, label
from feedback_api.services import cells, pdf_glyphs, pdf_pages

FONT = "STSong-Light"


def _pct(x: float | None) -> float | None:
    """A rate as a percentage rounded as the page shows it (one decimal)."""
    return None if x is None else round(100 * x, 1)


def _num(x: float | None, digits: int = 1) -> float | None:
    return None if x is None else round(x, digits)


def _rank(rank: int | None, of: int) -> str:
    """A rank as the page and the PDF read it."""
    return f"第 {rank} / {of} 名" if rank is not None else "—"


def _rank_cells(rank: int | None, of: int) -> list[int | None]:
    """A rank as a spreadsheet holds it: the rank and the number ranked, two numbers to sort by."""
    return [rank, of]


def _split(n: int | None) -> int | str:
    """A count of one channel; "—" where a version published before the split was kept."""
    return "—" if n is None else n


#: The monthly trend's columns (page, Excel, PDF): the counted ratings beside those per channel.
MONTH_HEADER = ["月份", "计分评价", "微信公众号", "网页评价", "平均分", "差评"]


def month_rows(report: Report) -> list[list[Any]]:
    return [[m.label, m.ratings, _split(m.wechat), _split(m.h5), _num(m.mean, 2), m.bad]
            for m in report.trend]


#: The tickets still open are all the windows' open tickets, earlier periods' too: not a part of
#: 本期督办单, and labelled so wherever the figures are shown.
OPEN_NOW = "目前未办结（含往期）"
TICKET_HEADER = ["本期督办单", "其中已办结", "其中曾超期", OPEN_NOW]
TICKET_NOTE = ("本期督办单为本期新开的督办单（不含已撤销的），其中已办结、曾超期按目前状态计；"
               "目前未办结为这些窗口所有尚未办结的督办单，含往期开出、尚未办结的督办单。")


def facts(report: Report) -> list[tuple[str, Any]]:
    """The report's headline figures (label, value), in the order the page shows them."""
    return [("报告对象", f"{report.code} {report.subject}"), ("所属单位", report.unit_name),
            ("行业", label(INDUSTRIES, report.industry)), ("考核期", report.period.label),
            ("计分评价数", report.ratings), ("其中微信公众号", _split(report.ratings_wechat)),
            ("其中网页评价", _split(report.ratings_h5)), ("好评率（%）", _pct(report.good_rate)),
            ("差评率（%）", _pct(report.bad_rate)),
            ("本期督办单", report.tickets.opened), ("其中已办结", report.tickets.closed),
            ("其中曾超期", report.tickets.overdue), (OPEN_NOW, report.tickets.open_now),
            ("结果版本", report.version_label)]


WINDOW_HEADER = ["窗口编号", "窗口名称", "综合得分", "行业排名", "区内排名", "群众评价", "综合检查",
                 "暗查", "督办办理", "重大事件扣分", "平滑满意度", "行业均分", "督办按时办理率（%）",
                 "差评整改率（%）", "差评回访率（%）", "计算公式"]
#: The sheet's header: each rank beside the number of windows ranked, as numbers.
SHEET_HEADER = [*WINDOW_HEADER[:3], "行业排名", "行业参评窗口数", "区内排名", "区内参评窗口数",
                *WINDOW_HEADER[5:]]


def window_rows(report: Report, *, sheet: bool = False) -> list[list[Any]]:
    """The windows' rows under WINDOW_HEADER (the page), or SHEET_HEADER (``sheet``)."""
    rank = _rank_cells if sheet else (lambda r, of: [_rank(r, of)])
    out = []
    for r in report.rows:
        comp = {c.key: _num(c.value) for c in r.components}
        out.append([r.code, r.name, _num(r.composite), *rank(r.rank_industry, r.industry_ranked),
                    *rank(r.rank_district, report.result.district_ranked), comp["feedback"],
                    comp["inspection"], comp["covert"], comp["tickets"], r.deduction,
                    _num(r.smoothed_rating, 2), _num(r.industry_mean, 2),
                    _pct(r.ticket_on_time_rate), _pct(r.bad_rectified_rate),
                    _pct(r.bad_callback_rate), r.formula])
    return out


def component_rows(report: Report, r: Any) -> list[list[Any]]:
    """A window's components, the incidents' deduction and the composite (the PDF's and the Word
    file's table under the window's name)."""
    rows: list[list[Any]] = [["分项", "权重", "得分（百分制）", "依据"]]
    rows += [[c.label, c.weight, None if c.value is None else f"{c.value:.1f}", c.note]
             for c in r.components]
    if r.deduction is not None:  # None: no composite, or a version stored before deductions
        rows += [["扣分前得分", "", f"{r.composite_before:.1f}", "按权重算出"],
                 ["重大事件扣分", "", f"−{r.deduction:g}" if r.deduction else "0",
                  f"本期重大事件 {r.incidents} 起（其中重大 {r.incidents_major} 起），最低为 0 分"]]
    rows.append(["综合得分", "", None if r.composite is None else f"{r.composite:.1f}",
                 f"行业排名 {_rank(r.rank_industry, r.industry_ranked)}；区内排名 "
                 f"{_rank(r.rank_district, report.result.district_ranked)}"])
    return rows


def _comment_lists(report: Report) -> list[tuple[str, list[Any]]]:
    return report.opinions.lists()


def report_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "概况"
    cells.xlsx_append(ws, [report.title])
    ws["A1"].font = Font(bold=True, size=14)
    for name, value in facts(report):
        cells.xlsx_append(ws, [name, value])
    cells.xlsx_append(ws, [])
    cells.xlsx_append(ws, ["公式", report.result.formula])
    for note in report.result.notes:
        cells.xlsx_append(ws, ["说明", note])
    cells.fit_columns(ws, [16, 60])

    ws = wb.create_sheet("综合得分")
    cells.xlsx_table(ws, SHEET_HEADER, window_rows(report, sheet=True))
    ws = wb.create_sheet("评分分布")
    split = report.distribution_rows[:2]  # WeChat's, H5's
    cells.xlsx_table(ws, ["评分", "等级", "条数", *[name for name, _c, _t in split]],
                     [[k, RATINGS[k], report.distribution[k],
                       *[_split(counts[k]) for _n, counts, _t in split]] for k in (5, 4, 3, 2, 1)])
    ws = wb.create_sheet("月度趋势")
    cells.xlsx_table(ws, MONTH_HEADER, month_rows(report))
    ws = wb.create_sheet("问题类别")
    cells.xlsx_table(ws, ["问题类别", "意见条数"], [[label(TOPICS, c), n] for c, n in report.topics])
    ws = wb.create_sheet("督办")
    cells.xlsx_table(ws, ["问题类别", "本期督办单"],
                     [[label(TOPICS, c), n] for c, n in report.tickets.topics])

    ws = wb.create_sheet("群众意见")
    cells.xlsx_append(ws, ["投诉热词", "投诉条数"])
    for word, n in report.opinions.hot_words:
        cells.xlsx_append(ws, [word, n])
    for title, comments in _comment_lists(report):
        cells.xlsx_append(ws, [])
        cells.xlsx_append(ws, [title])
        cells.xlsx_append(ws, ["日期", "窗口", "评分", "意见（已脱敏）"])
        for c in comments:
            cells.xlsx_append(ws, [c.day, c.window_code, c.rating, c.text])
    cells.date_formats(ws)
    cells.fit_columns(ws, [14, None, None, 80])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


#: Rows (header included) up to which a PDF table is kept on one page.
SHORT_TABLE = 12


def report_pdf(report: Report) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    title = ParagraphStyle("t", fontName=FONT, fontSize=16, leading=22, alignment=1)
    head = ParagraphStyle("h", fontName=FONT, fontSize=12, leading=18, spaceBefore=8)
    cell = ParagraphStyle("c", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK")
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                       ("VALIGN", (0, 0), (-1, -1), "TOP")])

    def para(value: str, style: ParagraphStyle) -> Paragraph:
        # A Paragraph reads its text as markup: a citizen's "<" would break the whole PDF.
        return Paragraph(escape(pdf_glyphs.printable(value)), style)

    def text(value: Any) -> str:
        if value is None:
            return "—"
        return f"{value:g}" if isinstance(value, float) else str(value)

    def table(rows: list[list[Any]], widths: list[float], style: TableStyle = grid,
              keep: bool = True) -> Any:
        t = Table([[para(text(v), cell) for v in row] for row in rows],
                  colWidths=[w * mm for w in widths], repeatRows=1)
        t.setStyle(style)
        t.hAlign = "LEFT"  # every table under its heading, as in the page
        # A short table (a window's components, the five levels) moves whole to the next page
        # rather than leave a row or two behind; long lists split, their header repeated.
        # Not where the caller keeps the table with its heading (a KeepTogether in another
        # makes each start a page).
        return KeepTogether([t]) if keep and len(rows) <= SHORT_TABLE else t

    def headed(heading: str, *flowables: Any) -> Any:
        # A heading never alone at the foot of a page (keepWithNext does not hold before a
        # KeepTogether, as every short table is): moved with what follows it.
        return KeepTogether([para(heading, head), *flowables])

    def story() -> list[Any]:  # built twice (pdf_pages.build): fresh flowables each time
        out: list[Any] = [para(report.title, title), Spacer(1, 4 * mm)]
        pairs = facts(report)
        out.append(table([[a, b, c, d] for (a, b), (c, d) in
                          zip(pairs[0::2], pairs[1::2] + [("", "")], strict=False)],
                         [30, 55, 30, 55], TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                                                       ("VALIGN", (0, 0), (-1, -1), "TOP")])))
        if not report.rows:
            out.append(para("综合得分与各分项", head))
        for n, r in enumerate(report.rows):  # a window's name, table and formula on one page
            block = [para(f"{r.code} {r.name}", cell), Spacer(1, 1 * mm),
                     table(component_rows(report, r), [28, 18, 28, 96], keep=False),
                     para(f"计算：{r.formula}", cell), Spacer(1, 3 * mm)]
            out.append(headed("综合得分与各分项", *block) if n == 0 else KeepTogether(block))
        out += [para(f"公式：{report.result.formula}", cell)]
        out += [para(f"说明：{n}", cell) for n in report.result.notes]
        # Each chart on the page of its heading and of the table of its figures.
        levels = [["评分", *[RATINGS[k] for k in (5, 4, 3, 2, 1)]],
                  ["条数", *[report.distribution[k] for k in (5, 4, 3, 2, 1)]],
                  *[[name, *[_split(counts[k]) for k in (5, 4, 3, 2, 1)]]
                    for name, counts, _t in report.distribution_rows[:-1]]]
        out.append(headed("群众评价", distribution_chart(report),
                          table(levels, [25, 29, 29, 29, 29, 29], keep=False)))  # "微信公众号" on one line
        months = [MONTH_HEADER, *[[*m[:4], None if m[4] is None else f"{m[4]:.2f}", m[5]]
                                  for m in month_rows(report)]]
        out.append(headed("月度趋势", months_chart(report),
                          table(months, [24, 26, 26, 26, 26, 26], keep=False)))
        topics = [[label(TOPICS, c), n] for c, n in report.topics] or [["本期无", ""]]
        out.append(headed("问题类别", table([["问题类别", "意见条数"], *topics], [60, 30], keep=False)))
        t = report.tickets
        out.append(headed("督办情况", table([TICKET_HEADER, [t.opened, t.closed, t.overdue, t.open_now]],
                                        [36, 36, 36, 50], keep=False), para(TICKET_NOTE, cell)))
        if t.topics:
            out.append(table([["问题类别", "本期督办单"], *[[label(TOPICS, c), n] for c, n in t.topics]],
                             [60, 30]))
        words = [[w, n] for w, n in report.opinions.hot_words] or [["本期无", ""]]
        out.append(headed("群众意见（按当前数据，已脱敏）",
                          table([["投诉热词", "投诉条数"], *words], [60, 30], keep=False)))
        for caption, comments in _comment_lists(report):
            rows = [[caption, "窗口", "评分", "意见"]]
            rows += [[c.day.isoformat(), c.window_code, RATINGS.get(c.rating, "未评分"), c.text]
                     for c in comments] or [["本期无", "", "", ""]]
            out += [Spacer(1, 2 * mm), table(rows, [22, 26, 22, 110])]
        return out

    return pdf_pages.build(story, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                           topMargin=15 * mm, bottomMargin=15 * mm, title=report.title,
                           author="文明诚信示范窗口监督平台")
