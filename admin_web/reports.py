"""Rating reports (评价报告): per window or per unit and period, as a page, an Excel workbook, a
PDF and a Word document. A unit reads its own windows' only; another's is not found (404)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, make_response, render_template
from flask_login import login_required

from admin_web.assessment import download_period, period_arg
from admin_web.assessment_export import LIVE
from admin_web.common import DOCX, XLSX, actor, download, error_page
from analytics import report_docx, report_exports, reports, snapshots
from analytics.assessment_access import not_published, reads_live
from feedback_api.services.errors import NotFound, ServiceError
from feedback_api.services.workdays import local_today

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.get("/")
@login_required
def index() -> str:
    period = period_arg()
    unpublished = ("" if reads_live(actor()) or snapshots.latest(period) is not None
                   else not_published(period))
    return render_template("reports/index.html", period=period, unpublished=unpublished,
                           choices=reports.report_choices(actor(), period))


def _report(kind: str, code: str, *, file: bool = False) -> reports.Report:
    build = reports.window_report if kind == "windows" else reports.unit_report
    period = download_period() if file else period_arg()
    try:
        return build(actor(), code, period)
    except NotFound as exc:
        if exc.code == reports.NO_WINDOWS:  # the unit is the user's to see: say why, and who acts
            abort(make_response(render_template("reports/no_windows.html", message=exc.message,
                                                period=period), 404))
        # Not assessed in the period, or not the user's: say which (neither names another's).
        abort(make_response(error_page(404, exc.message), 404))
    except ServiceError:
        abort(404)


@bp.get("/<any(windows, units):kind>/<code>")
@login_required
def report(kind: str, code: str) -> str:
    r = _report(kind, code)
    return render_template("reports/report.html", report=r, kind=kind, charts=reports.chart_data(r),
                           facts=report_exports.facts(r), window_rows=report_exports.window_rows(r),
                           header=report_exports.WINDOW_HEADER,
                           TICKET_NOTE=report_exports.TICKET_NOTE)


def _file(r: reports.Report, body: bytes, mimetype: str, ext: str) -> Any:
    """The report under its name; figures not yet published say so, and the day they were
    taken, in the name (a forwarded file is read without the page), as the assessment's does."""
    live, tail = ("", "") if r.snapshot else (f"（{LIVE}）", f"-{local_today():%Y%m%d}")
    return download(body, mimetype, f"{r.code} {r.title}{live}{tail}.{ext}",
                    fallback=f"report-{r.code}-{r.period.code}{'-live' if live else ''}{tail}.{ext}")


@bp.get("/<any(windows, units):kind>/<code>/report.xlsx")
@login_required
def report_xlsx(kind: str, code: str) -> Any:
    r = _report(kind, code, file=True)
    return _file(r, report_exports.report_xlsx(r), XLSX, "xlsx")


@bp.get("/<any(windows, units):kind>/<code>/report.pdf")
@login_required
def report_pdf(kind: str, code: str) -> Any:
    r = _report(kind, code, file=True)
    return _file(r, report_exports.report_pdf(r), "application/pdf", "pdf")


@bp.get("/<any(windows, units):kind>/<code>/report.docx")
@login_required
def report_word(kind: str, code: str) -> Any:
    r = _report(kind, code, file=True)
    return _file(r, report_docx.report_docx(r), DOCX, "docx")
