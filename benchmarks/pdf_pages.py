"""Benchmark: what printing 第 N 页 共 M 页 costs (``feedback_api/services/pdf_pages.py`` builds
each reportlab PDF twice: the page count is known only after a build).

    python benchmarks/pdf_pages.py [--repeat 15] [--feedback-per-window 12]

It seeds the demo district (``window-watch demo``'s data) and times, alternating run by run in
the same process, each of two documents exported as shipped (two builds) and exported with the
same story built once (the baseline: ``pdf_pages.build`` swapped for a single pass with the
total left out, the report's data and its flowables as shipped), and built once with the total
drawn late as a form XObject (``form_build``, an alternative): the rating report of the unit
CD-RMYY for the year 2026 and the agency's quarterly report of 2026Q4. Then the rating report's
whole request (``GET .../report.pdf`` through Flask's test client, the data read from the
database) to put the second build beside what a user waits. SQLite in a temporary folder, or
PostgreSQL when DATABASE_URL is set (the database named there is emptied: use a scratch one).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analytics import agency_report, agency_report_exports, report_exports, reports  # noqa: E402
from analytics.periods import parse_period  # noqa: E402
from benchmarks._common import fresh_app  # noqa: E402
from feedback_api.db import Session  # noqa: E402
from feedback_api.demo import seed_demo  # noqa: E402
from feedback_api.services import pdf_pages, users  # noqa: E402

SHIPPED = pdf_pages.build


def one_build(story: Callable[[], list[Any]], **doc_args: Any) -> bytes:
    """``pdf_pages.build`` with one pass: the same footer, its total unknown (0)."""
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import SimpleDocTemplate

    if pdf_pages.FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(pdf_pages.FONT))

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(pdf_pages.FONT, 9)
        canvas.drawCentredString(doc.pagesize[0] / 2, min(8 * mm, doc.bottomMargin / 2),
                                 pdf_pages.page_label(doc.page, 0))
        canvas.restoreState()

    out = io.BytesIO()
    SimpleDocTemplate(out, **doc_args).build(story(), onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def form_build(story: Callable[[], list[Any]], **doc_args: Any) -> bytes:
    """One build with the total drawn late, through reportlab's public canvas API: each footer
    draws 第 N 页 共 and then a form XObject (``Canvas.doForm``, which may be defined after its
    use), the form ("M 页") defined when the canvas is saved, its page count known then. The
    label is centred as if M had N's digits (M's width is unknown while the page is drawn)."""
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import SimpleDocTemplate

    font = pdf_pages.FONT

    class TotalCanvas(Canvas):
        def save(self) -> None:
            self.beginForm("pages-total")
            self.setFont(font, 9)
            self.drawString(0, 0, f"{self.getPageNumber() - 1} 页")
            self.endForm()
            super().save()

    def footer(canvas: Any, doc: Any) -> None:
        head = f"第 {doc.page} 页 共 "
        x = (doc.pagesize[0] - pdfmetrics.stringWidth(f"{head}{doc.page} 页", font, 9)) / 2
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.drawString(x, min(8 * mm, doc.bottomMargin / 2), head)
        canvas.translate(x + pdfmetrics.stringWidth(head, font, 9), min(8 * mm, doc.bottomMargin / 2))
        canvas.doForm("pages-total")
        canvas.restoreState()

    out = io.BytesIO()
    SimpleDocTemplate(out, **doc_args).build(story(), onFirstPage=footer, onLaterPages=footer,
                                             canvasmaker=TotalCanvas)
    return out.getvalue()


def _pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def _timed(fn: Callable[[], bytes]) -> tuple[float, bytes]:
    t = time.perf_counter()
    data = fn()
    return time.perf_counter() - t, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--feedback-per-window", type=int, default=12)
    args = parser.parse_args()
    app = fresh_app("ww-bench-pdf-")
    with app.app_context():
        seed_demo(feedback_per_window=args.feedback_per_window)
        users.create_user(None, "bench", role="office", password="bench-password-2026")
        Session.commit()
        office = users.get_user("bench")
        rating = reports.unit_report(office, "CD-RMYY", parse_period("2026"))
        figures = agency_report.generate(parse_period("2026Q4"))
        sections = agency_report.default_sections(figures)
        Session.remove()
    documents = {
        "rating report, unit CD-RMYY, 2026": lambda: report_exports.report_pdf(rating),
        "agency report, 2026Q4": lambda: agency_report_exports.report_pdf(
            figures, sections, version=1, state="草稿"),
    }
    times: dict[tuple[str, str], list[float]] = {}
    pages: dict[str, int] = {}
    for _ in range(args.repeat + 1):  # the first round warms up (fonts, imports) and is dropped
        for name, export in documents.items():
            for way, build in (("one build", one_build), ("two builds (shipped)", SHIPPED),
                               ("one build, total as a form", form_build)):
                pdf_pages.build = build
                try:
                    seconds, data = _timed(export)
                finally:
                    pdf_pages.build = SHIPPED
                times.setdefault((name, way), []).append(seconds)
                pages[name] = _pages(data)
    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": "bench-password-2026"})
    path = "/reports/units/CD-RMYY/report.pdf?period=2026"
    requests = []
    for _ in range(args.repeat + 1):
        t = time.perf_counter()
        response = client.get(path)
        requests.append(time.perf_counter() - t)
        assert response.status_code == 200, response.status_code
    print(f"{app.extensions['ww_engine'].dialect.name}, {args.repeat} runs each "
          f"(alternating, first dropped), load average {os.getloadavg()[0]:.1f}")
    for name in documents:
        one = times[(name, "one build")][1:]
        two = times[(name, "two builds (shipped)")][1:]
        form = times[(name, "one build, total as a form")][1:]
        print(f"{name} ({pages[name]} pages): one build median {statistics.median(one) * 1000:.0f} ms "
              f"(best {min(one) * 1000:.0f}), two builds median {statistics.median(two) * 1000:.0f} ms "
              f"(best {min(two) * 1000:.0f}); ratio {statistics.median(two) / statistics.median(one):.2f}x "
              f"median, {min(two) / min(one):.2f}x best; one build with the total as a form "
              f"{statistics.median(form) / statistics.median(one):.2f}x median")
    whole = requests[1:]
    extra = statistics.median(times[(next(iter(documents)), "two builds (shipped)")][1:]) - \
        statistics.median(times[(next(iter(documents)), "one build")][1:])
    print(f"the rating report's whole request ({path}): median {statistics.median(whole) * 1000:.0f} ms "
          f"(best {min(whole) * 1000:.0f}); the second build is {extra / statistics.median(whole):.0%} of it")


if __name__ == "__main__":
    main()
