"""A printed document's page numbers (第 N 页 共 M 页) for the platform's reportlab PDFs: a filed
document is counted by its pages. reportlab knows the page count only after a build, so the
story is built twice, the second time with the count; the footer is drawn in the bottom margin,
outside the frames, so it cannot change the pages."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

FONT = "STSong-Light"


def page_label(page: int, pages: int) -> str:
    return f"第 {page} 页 共 {pages} 页"


def build(story: Callable[[], list[Any]], **doc_args: Any) -> bytes:
    """The PDF of ``story()`` (a fresh list of flowables each call: a built flowable is spent)
    on a SimpleDocTemplate of ``doc_args``, each page numbered at its foot."""
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import SimpleDocTemplate

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    pages = 0
    for _ in range(2):
        def footer(canvas: Any, doc: Any, total: int = pages) -> None:
            canvas.saveState()
            canvas.setFont(FONT, 9)
            canvas.drawCentredString(doc.pagesize[0] / 2, min(8 * mm, doc.bottomMargin / 2),
                                     page_label(doc.page, total))
            canvas.restoreState()

        out = io.BytesIO()
        doc = SimpleDocTemplate(out, **doc_args)
        doc.build(story(), onFirstPage=footer, onLaterPages=footer)
        pages = doc.page
    return out.getvalue()

