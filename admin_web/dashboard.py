"""The dashboards (数据看板): the office's of the district, an authority's of its industry (the
agency reads the district's too). A unit keeps its own rating report and is sent there.

The page carries its chart data as a JSON block (``<script type="application/json">``, not run);
``static/dashboard.js`` draws it with the vendored ECharts (canvas renderer). The same data is at
``/dashboard/data.json``. Every chart has its table on the page, readable without scripts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from admin_web.assessment import period_arg, today
from admin_web.common import actor, industry_choices
from analytics import assessment, dashboard
from analytics.assessment import COMPONENTS
from analytics.assessment_access import NotPublished
from analytics.assessment_run import ended_quarter
from feedback_api.models.reference import INDUSTRIES

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

#: Who reads dashboards; a unit is sent to its reports.
READERS = frozenset({"office", "agency", "authority"})


def _industry_arg() -> str:
    industry = request.args.get("industry") or ""
    return industry if industry in INDUSTRIES else ""


def _report_urls(d: dashboard.Dashboard) -> dict[str, str]:
    return {r.code: url_for("reports.report", kind="windows", code=r.code, period=d.period.code)
            for r in d.rows}


def _json_error(status: int, code: str, message: str) -> Response:
    """The API's error shape, whatever the caller's Accept header says."""
    resp = jsonify({"error": {"code": code, "message": message}})
    resp.status_code = status
    return resp


@bp.get("/")
@login_required
def index() -> Any:
    user = actor()
    if user.role == "unit":
        return redirect(url_for("reports.index"))
    if user.role not in READERS:
        abort(403)
    period = period_arg()
    try:
        d = dashboard.build(user, period, _industry_arg())
    except NotPublished as exc:
        return render_template("assessment/not_published.html", period=period, message=exc.message)
    now = today()
    shortcuts = [("本季度", assessment.current_quarter(now).code), ("上季度",
                  ended_quarter(now).code),
                 ("本月", f"{now.year}-{now.month:02d}"), ("本年度", str(now.year))]
    return render_template("dashboard/index.html", d=d, data=dashboard.to_json(d, _report_urls(d)),
                           industry=_industry_arg(), COMPONENTS=COMPONENTS, shortcuts=shortcuts,
                           industry_choices=industry_choices(user))


@bp.get("/data.json")
@login_required
def data() -> Response:
    user = actor()
    if user.role not in READERS:
        return _json_error(403, "forbidden", "无权查看数据看板")
    text = request.args.get("period") or ""
    try:
        period = assessment.parse_period(text) if text else assessment.current_quarter()
    except ValueError as exc:
        return _json_error(400, "bad_request", str(exc))
    try:
        d = dashboard.build(user, period, _industry_arg())
    except NotPublished as exc:
        return _json_error(404, exc.code, exc.message)
    resp = jsonify(dashboard.to_json(d, _report_urls(d)))
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
