"""The review results as PDF: names as typed, whatever characters they hold."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest

from feedback_api.services import cycle_exports
from feedback_api.services.cycle import ReviewResult


def test_names_with_markup_characters_print_as_typed():
    """reportlab reads a Paragraph's text as markup: a "<" in a name must not break the PDF."""
    pypdf = pytest.importorskip("pypdf")
    unit = SimpleNamespace(name="城东<b>服务中心 & 分厅")
    window = SimpleNamespace(name="综合窗口<1>", unit=unit)
    result = ReviewResult(submission=SimpleNamespace(window=window, industry="tax"),
                          scores=[("专家<i>甲", 88.0)], assigned=1, mean=88.0, outliers=[])
    pdf = cycle_exports.review_pdf(SimpleNamespace(year=2026), [result])
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages))
    for typed in ("城东<b>服务中心&分厅", "综合窗口<1>", "专家<i>甲88", "88.00"):
        assert typed in text, typed


def test_the_review_sheet_holds_counts_and_scores_as_numbers():
    from openpyxl import load_workbook

    window = SimpleNamespace(name="综合窗口", unit=SimpleNamespace(name="城东服务中心"))
    result = ReviewResult(submission=SimpleNamespace(window=window, industry="tax"),
                          scores=[("专家甲", 88.0), ("专家乙", 79.5)], assigned=3,
                          mean=83.75, outliers=[])
    ws = load_workbook(io.BytesIO(cycle_exports.review_xlsx(SimpleNamespace(year=2026),
                                                            [result]))).active
    header, row = list(ws.values)
    named = dict(zip(header, row, strict=True))
    assert named["已评"] == 2 and named["分配"] == 3
    assert named["平均分"] == 83.75 and named["最高分"] == 88 and named["最低分"] == 79.5
    assert named["各专家评分"] == "专家甲 88；专家乙 79.5"  # the detail kept
    for title in ("已评", "分配", "平均分", "最高分", "最低分"):
        cell = ws.cell(row=2, column=header.index(title) + 1)
        assert cell.data_type == "n", title
    # Not yet scored: empty cells, not zeros.
    unscored = ReviewResult(submission=result.submission, scores=[], assigned=2, mean=None,
                            outliers=[])
    ws = load_workbook(io.BytesIO(cycle_exports.review_xlsx(SimpleNamespace(year=2026),
                                                            [unscored]))).active
    named = dict(zip(header, list(ws.values)[1], strict=True))
    assert named["已评"] == 0 and named["分配"] == 2 and named["最高分"] is None


def test_the_exports_show_recusals_and_conflicts_still_to_withdraw():
    """A withdrawn assignment (回避) is named with who declared it and why; a live one that
    conflicts is flagged in the hints, in the sheet and in the PDF alike."""
    from openpyxl import load_workbook

    pypdf = pytest.importorskip("pypdf")
    window = SimpleNamespace(name="综合窗口", unit=SimpleNamespace(name="城东服务中心"))
    result = ReviewResult(submission=SimpleNamespace(window=window, industry="tax"),
                          scores=[("专家甲", 88.0)], assigned=1, mean=88.0, outliers=[],
                          recused=[("专家乙", "专家申请", "近亲属任职")], conflicts=["专家甲"])
    ws = load_workbook(io.BytesIO(cycle_exports.review_xlsx(SimpleNamespace(year=2026),
                                                            [result]))).active
    header, row = list(ws.values)
    named = dict(zip(header, row, strict=True))
    assert named["回避"] == "专家乙（专家申请：近亲属任职）"
    assert named["提示"] == "须回避（本单位）：专家甲"
    pdf = cycle_exports.review_pdf(SimpleNamespace(year=2026), [result])
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages))
    for typed in ("回避", "专家乙（专家申请：近亲属任职）", "须回避（本单位）：专家甲"):
        assert typed in text, typed


def test_the_review_pdf_numbers_its_pages_and_keeps_two_character_headers_whole():
    """Thirty candidates print on several landscape pages, each 第 N 页 共 M 页; the 9 and 10 mm
    columns had set 排序, 已评 and 分配 one character a line."""
    pypdf = pytest.importorskip("pypdf")
    unit = SimpleNamespace(name="城东区人力资源和社会保障局社会保险服务中心")
    results = [ReviewResult(submission=SimpleNamespace(window=SimpleNamespace(
        name="养老保险待遇核定与发放综合服务窗口", unit=unit), industry="hrss"),
        scores=[(f"专家{n}", 80.0 + n) for n in range(1, 6)], assigned=5, mean=83.0, outliers=[])
        for _ in range(30)]
    pdf = cycle_exports.review_pdf(SimpleNamespace(year=2026), results)
    pages = [p.extract_text().splitlines() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 2
    for n, lines in enumerate(pages, start=1):
        assert f"第 {n} 页 共 {len(pages)} 页" in [ln.strip() for ln in lines]
    first = [ln.strip() for ln in pages[0]]
    for word in ("排序", "已评", "分配"):
        assert word in first, first[:12]
