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
