"""The query arguments of the assessment's pages and downloads (the period, the year, the
industry): a bad one is said on a page and a 400 saying why for a download."""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, flash, make_response, redirect, request

from analytics import assessment
from feedback_api.models.reference import INDUSTRIES
from feedback_api.services.feedback import LOCAL_TZ


def today() -> date:
    return datetime.now(LOCAL_TZ).date()


def asked_year() -> tuple[str, int | None]:
    """``?year=`` as typed, and as a year when it is one (2000 to 2100)."""
    text = (request.args.get("year") or "").strip()
    good = text.isascii() and text.isdigit() and 2000 <= int(text) <= 2100
    return text, int(text) if good else None


def bad_year(text: str, shown: str) -> None:
    """Say the bad ``?year=`` and what the page shows instead; a form posted under it stores
    nothing and comes back to the page without it."""
    flash(f"年度“{text[:20]}”无效，应为 2000 至 2100 之间的整数；以下为{shown}", "error")
    if request.method == "POST":
        abort(redirect(request.path))


def year_arg() -> int:
    """``?year=``, else this year. A bad one is said (the page shows this year)."""
    text, year = asked_year()
    if year is None and text:
        bad_year(text, f"今年（{today().year}）")
    return year or today().year


def period_arg() -> assessment.Period:
    """``?period=`` (2026Q3, 2026-07, 2026), else this quarter; a bad one is flashed."""
    text = request.args.get("period") or ""
    try:
        return assessment.parse_period(text) if text else assessment.current_quarter()
    except ValueError as exc:
        flash(str(exc), "error")
        return assessment.current_quarter()


def download_period() -> assessment.Period:
    """``?period=`` of a download, else this quarter; a bad one is a 400 saying why (a file of
    another period, under a name that looks right, would be worse than no file)."""
    text = request.args.get("period") or ""
    try:
        return assessment.parse_period(text) if text else assessment.current_quarter()
    except ValueError as exc:
        abort(make_response(str(exc), 400, {"Content-Type": "text/plain; charset=utf-8"}))


def industry_arg(*, download: bool = False) -> str:
    """``?industry=`` (an industry's code), else every industry. An unknown one is flashed on a
    page (which then lists every industry) and a 400 for a download."""
    industry = request.args.get("industry") or ""
    if not industry or industry in INDUSTRIES:
        return industry
    message = "行业参数无效，请从列表中选择行业"
    if download:
        abort(make_response(message, 400, {"Content-Type": "text/plain; charset=utf-8"}))
    flash(message, "error")
    return ""
