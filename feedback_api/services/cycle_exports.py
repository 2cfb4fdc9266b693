"""The office's formats for the programme year: recommendation forms and review results as
Excel (openpyxl), review results as PDF (reportlab, built-in CID font STSong-Light)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook

from feedback_api.models import Cycle, Submission, Window
from feedback_api.models.reference import INDUSTRIES, SUBMISSION_STATES, WINDOW_STATUSES, label
from feedback_api.services import cells, pdf_glyphs, pdf_pages
from feedback_api.services.cycle import SUBMISSION_FIELDS, ReviewResult
from feedback_api.services.feedback import LOCAL_TZ


def _sheet(wb: Workbook, title: str, headers: list[str], rows: Iterable[list[Any]],
           widths: list[int], *, first: bool = False) -> None:
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    # A submitted text may begin like a formula; scores are numbers Excel can sort and sum.
    cells.xlsx_table(ws, headers, rows, widths=widths, decimals=2, wrap=True)


def _local(dt: Any) -> Any:
    """Beijing time without its zone: Excel dates have none (openpyxl refuses an aware one)."""
    return dt.astimezone(LOCAL_TZ).replace(tzinfo=None, second=0, microsecond=0) if dt else None


def _value(f: Any, value: Any) -> Any:
    """A form field as one cell: per-indicator scores as "指标 得分；…"."""
    if f.kind == "standard":
        return "；".join(f"{k} {v:g}" for k, v in (value or {}).items())
    return "" if value is None else value


def recommendations_xlsx(cycle: Cycle, submissions: list[Submission],
                         ledger: list[Window] | None = None) -> bytes:
    """One row per recommendation form (行业推荐表), and the ledger of the same windows' industries."""
    fields = [f for f in SUBMISSION_FIELDS["recommendation"] if f.name != "window"]
    headers = ["序号", "行业", "窗口编号", "窗口名称", "窗口单位", *[f.label for f in fields],
               "状态", "提交时间", "逾期", "退回原因", "附件数"]
    rows = []
    for n, s in enumerate(submissions, 1):
        w = s.window
        rows.append([n, label(INDUSTRIES, s.industry), w.code if w else "", w.name if w else "",
                     w.unit.name if w else "", *[_value(f, s.data.get(f.name)) for f in fields],
                     label(SUBMISSION_STATES, s.state), _local(s.submitted_at),
                     "逾期" if s.late else "", s.return_reason, len(s.attachments)])
    wb = Workbook()
    _sheet(wb, f"{cycle.year}年度行业推荐表", headers, rows,
           [6, 14, 14, 20, 24, *[30 if f.kind == "text" else 14 for f in fields], 10, 18, 6, 24, 8],
           first=True)
    if ledger is not None:
        _sheet(wb, "业内窗口单位登记台账",
               ["窗口编号", "窗口名称", "所属单位", "行业", "主管部门", "窗口地址", "窗口人数",
                "服务时间", "状态", "命名/摘牌年度"],
               ([w.code, w.name, w.unit.name, label(INDUSTRIES, w.unit.industry), w.unit.authority,
                 w.address, w.staff_count, w.service_hours, label(WINDOW_STATUSES, w.status),
                 w.status_year or ""] for w in ledger),
               [14, 20, 24, 14, 20, 30, 8, 18, 8, 10])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _hint(r: ReviewResult) -> str:
    hints = [("偏离：" + "、".join(r.outliers)) if r.outliers else "",
             ("须回避（本单位）：" + "、".join(r.conflicts)) if r.conflicts else ""]
    return "；".join(h for h in hints if h)


def _result_rows(results: list[ReviewResult]) -> list[list[Any]]:
    """Counts and scores as numbers Excel can sort and sum; the named scores kept as text."""
    rows = []
    for rank, r in enumerate(results, 1):
        w = r.submission.window
        totals = [score for _, score in r.scores]
        rows.append([rank, label(INDUSTRIES, r.submission.industry), w.name, w.unit.name,
                     len(r.scores), r.assigned,
                     None if r.mean is None else round(r.mean, 2),
                     max(totals) if totals else None, min(totals) if totals else None,
                     "；".join(f"{name} {score:g}" for name, score in r.scores),
                     r.recusal_text(), _hint(r)])
    return rows


#: 已评/分配 count live assignments; 回避 names the withdrawn ones (who declared it, why).
RESULT_HEADERS = ["排序", "行业", "窗口", "窗口单位", "已评", "分配", "平均分", "最高分", "最低分",
                  "各专家评分", "回避", "提示"]


def review_xlsx(cycle: Cycle, results: list[ReviewResult]) -> bytes:
    wb = Workbook()
    _sheet(wb, f"{cycle.year}年度评审结果", RESULT_HEADERS, _result_rows(results),
           [6, 14, 22, 26, 6, 6, 10, 10, 10, 36, 30, 24], first=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _printed(value: Any) -> str:
    """A cell as Paragraph markup: reportlab reads "<" and "&" in the text as tags."""
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else escape(pdf_glyphs.printable(str(value)))


def review_pdf(cycle: Cycle, results: list[ReviewResult]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    title = ParagraphStyle("t", fontName="STSong-Light", fontSize=16, leading=22, alignment=1)
    cell = ParagraphStyle("c", fontName="STSong-Light", fontSize=9, leading=12, wordWrap="CJK")
    rows = _result_rows(results)
    # 12 mm at least for a two-character header (排序, 已评, 分配): 10 mm set them one
    # character a line.
    widths = [12, 20, 32, 31, 12, 12, 14, 14, 14, 44, 40, 28]

    def story() -> list[Any]:  # built twice (pdf_pages.build): fresh flowables each time
        data = [[Paragraph(h, cell) for h in RESULT_HEADERS]]
        data += [[Paragraph(_printed(v), cell) for v in row] for row in rows]
        table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return [Paragraph(f"{cycle.year}年度文明诚信示范窗口评审结果", title), Spacer(1, 6 * mm), table]

    return pdf_pages.build(story, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                           topMargin=12 * mm, bottomMargin=12 * mm,
                           title=f"{cycle.year}年度文明诚信示范窗口评审结果")
