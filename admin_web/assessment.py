"""Assessment pages (量化考核): the assessment table with rankings and formula, one window's
assessment, and the delisting proposals with early warnings. The records the assessment reads
(standard, inspections, covert inspections, incidents) are in ``inspections`` and ``covert``."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required

from admin_web import assessment_export
from admin_web.assessment_args import asked_year as _asked_year
from admin_web.assessment_args import bad_year as _bad_year
from admin_web.assessment_args import download_period as download_period
from admin_web.assessment_args import industry_arg as industry_arg
from admin_web.assessment_args import period_arg as period_arg
from admin_web.assessment_args import today as today
from admin_web.assessment_args import year_arg as year_arg
from admin_web.assessment_forms import DecisionForm, PublishForm
from admin_web.common import (
    DOCX,
    XLSX,
    actor,
    commit_or_flash,
    download,
    error_page,
    found_or_404,
    local_dt,
    paginate,
    role_required,
)
from analytics import assessment, assessment_publish, delisting, delisting_documents, snapshots
from analytics.assessment_access import NotPublished, published_periods
from analytics.snapshot_diff import compare
from feedback_api.models.reference import (
    DELISTING_RULES,
    INCIDENT_KINDS,
    INCIDENT_SEVERITIES,
    INDUSTRIES,
    PROPOSAL_STATES,
)
from feedback_api.services import delisting as proposals
from feedback_api.services import windows as window_service
from feedback_api.services import workdays
from feedback_api.services.feedback import LOCAL_TZ

bp = Blueprint("assessment", __name__, url_prefix="/assessment")


@bp.app_context_processor
def _assessment_vocabularies() -> dict[str, Any]:
    return {"DELISTING_RULES": DELISTING_RULES, "INCIDENT_KINDS": INCIDENT_KINDS,
            "INCIDENT_SEVERITIES": INCIDENT_SEVERITIES, "PROPOSAL_STATES": PROPOSAL_STATES,
            "SNAPSHOT_TRIGGERS": snapshots.TRIGGERS, "published_periods": published_periods}


def _readable(period: assessment.Period) -> tuple[assessment.Assessment, Any]:
    """The period's figures as the user may read them; a unit's or an authority's of a period
    not published is a page saying so (no live figure)."""
    try:
        return snapshots.assessment_for(period, actor())
    except NotPublished as exc:
        abort(make_response(render_template("assessment/not_published.html", period=period,
                                            message=exc.message), 200))


# --- The assessment table --------------------------------------------------------------------

@bp.get("/")
@login_required
def table() -> Any:
    period = period_arg()
    result, snap = _readable(period)
    industry = industry_arg()
    rows = [r for r in result.rows if not industry or r.industry == industry]
    return render_template("assessment/table.html", result=result, rows=rows, period=period,
                           industry=industry, INDUSTRIES=INDUSTRIES, snap=snap,
                           form=PublishForm(period=period.code) if actor().role == "office" else None,
                           on_public=(assessment_publish.on_public_page(period)
                                      if actor().role == "office" else 0),
                           # The last day of a period not over yet: publishing now fixes it early.
                           running_until=(period.end - timedelta(days=1)
                                          if period.end > datetime.now(LOCAL_TZ).date() else None))


@bp.get("/export.xlsx")
@login_required
def export() -> Response:
    """The table as the page shows it (period, industry filter, the viewer's scope), in Excel."""
    period = download_period()
    industry = industry_arg(download=True)
    try:
        result, snap = snapshots.assessment_for(period, actor())
    except NotPublished as exc:
        abort(make_response(exc.message, 404, {"Content-Type": "text/plain; charset=utf-8"}))
    rows = [r for r in result.rows if not industry or r.industry == industry]
    version = (f"已发布 v{snap.version}（{local_dt(snap.created_at)}）" if snap
               else f"{assessment_export.LIVE}（按当前数据计算，发布前可能变化）")
    name = f"{period.label}量化考核{'（' + INDUSTRIES.get(industry, industry) + '）' if industry else ''}"
    # A forwarded file says what it is: live figures, and the day they were taken.
    live = "" if snap else f"（{assessment_export.LIVE}）"
    stamp = workdays.local_today().strftime("%Y%m%d")
    body = assessment_export.table_xlsx(result, rows, title=period.label + live, version=version)
    return download(body, XLSX, f"{name}{live}-{stamp}.xlsx",
                    fallback=f"assessment-{period.code}{'-' + industry if industry else ''}"
                             f"{'' if snap else '-live'}-{stamp}.xlsx")


@bp.get("/windows/<code>")
@login_required
def window(code: str) -> str:
    w = found_or_404(lambda: window_service.get_window(actor(), code))
    period = period_arg()
    result, snap = _readable(period)
    row = next((r for r in result.rows if r.window_id == w.id), None)
    if row is None:  # delisted before the period (or not in its published version)
        abort(make_response(error_page(404, f"窗口 {w.code} 在{period.label}已不在创建范围内"), 404))
    return render_template("assessment/window.html", r=row, result=result, period=period,
                           snap=snap)


# --- Published versions ----------------------------------------------------------------------

def _posted_period() -> assessment.Period:
    """The form's period; a bad one (a stale or edited form) is said on the table it came from."""
    try:
        return assessment.parse_period(request.form.get("period") or "")
    except ValueError as exc:
        flash(str(exc), "error")
        abort(redirect(url_for("assessment.table")))


@bp.post("/publish")
@role_required("office")
def publish() -> Any:
    form = PublishForm()
    period = _posted_period()
    if form.validate_on_submit():
        done = commit_or_flash(lambda: snapshots.publish(actor(), period))
        if done:
            flash(f"{period.label}考核结果已发布（第 1 版）：页面和报告此后读取这一版", "success")
    return redirect(url_for("assessment.table", period=period.code))


@bp.post("/recompute")
@role_required("office")
def recompute() -> Any:
    form = PublishForm()
    period = _posted_period()
    if form.validate_on_submit():
        done = commit_or_flash(lambda: snapshots.recompute(actor(), period, form.reason.data or ""))
        if done:
            flash(f"{period.label}已重新计算，生成第 {done.value.version} 版，旧版本保留", "success")
            return redirect(url_for("assessment.versions", period=period.code,
                                    compare=done.value.version))
    else:
        flash("；".join(e for errs in form.errors.values() for e in errs) or "提交无效", "error")
    return redirect(url_for("assessment.table", period=period.code))


@bp.post("/publish-public")
@role_required("office")
def publish_public() -> Any:
    """Show a published quarter's scores of the demonstration windows on the public page (what
    ``window-watch cycle publish-assessment`` does), from its newest version."""
    form = PublishForm()
    period = _posted_period()
    if period.kind != "quarter":
        flash("只发布季度考核结果，考核期应写作 2026Q3", "error")
    elif form.validate_on_submit():
        done = commit_or_flash(lambda: snapshots.write_public(actor(), period))
        if done:
            shown, without = done.value
            flash(f"已在公开页面公布 {shown} 个示范窗口的{period.label}考核结果", "success")
            if without:
                flash(f"本期无综合得分、未公布：{'、'.join(without)}", "warning")
    return redirect(url_for("assessment.table", period=period.code))


@bp.post("/withdraw-public")
@role_required("office")
def withdraw_public() -> Any:
    """Take a quarter's scores off the public page (撤下公示), the reverse of ``publish_public``."""
    form = PublishForm()
    period = _posted_period()
    if form.validate_on_submit():
        done = commit_or_flash(lambda: assessment_publish.withdraw_public(actor(), period))
        if done:
            flash(f"已从公开页面撤下{period.label} {done.value} 个示范窗口的考核结果", "success")
    return redirect(url_for("assessment.table", period=period.code))


@bp.get("/versions")
@login_required
def versions() -> str:
    """The stored versions of a period, and what changed per window between two of them."""
    period = period_arg()
    found = snapshots.versions(period)
    by_number = {s.version: s for s in found}
    new = by_number.get(request.args.get("compare", type=int) or 0) or (found[-1] if found else None)
    old = by_number.get(request.args.get("against", type=int) or 0)
    if new is not None and old is None:
        old = by_number.get(new.version - 1)
    changes = compare(old, new, actor()) if old is not None and new is not None else []
    return render_template("assessment/versions.html", period=period, versions=found, new=new,
                           old=old, changes=changes, TRIGGERS=snapshots.TRIGGERS)


# --- Delisting proposals ---------------------------------------------------------------------

@bp.get("/delisting")
@login_required
def proposal_list() -> str:
    state = request.args.get("state") or None
    state = state if state in PROPOSAL_STATES else None
    text, year = _asked_year()  # none: every year's proposals
    if year is None and text:
        _bad_year(text, "全部年度")
    page = paginate(partial(proposals.list_proposals, actor()), state=state, year=year)
    warning_year = year or today().year
    return render_template("assessment/proposals.html", page=page,
                           warnings=delisting.visible_warnings(actor(), warning_year),
                           warning_year=warning_year, state=state, year=year,
                           unavailable=delisting.UNAVAILABLE_RULES,
                           form=DecisionForm() if actor().role == "office" else None,
                           this_year=today().year, retitled_on=proposals.retitled_on)


@bp.post("/delisting/evaluate")
@role_required("office")
def proposal_evaluate() -> Any:
    form = DecisionForm()
    if form.validate_on_submit():
        text = (request.form.get("year") or "").strip()
        # Empty: this year; anything not a plain number counts as out of range.
        year = (today().year if not text else int(text) if text.isascii() and text.isdigit()
                else 0)
        if not 2000 <= year <= 2100:
            flash("年度须为 2000 至 2100 之间的整数", "error")
        elif done := commit_or_flash(lambda: delisting.evaluate(year)):
            flash(f"已按 {year} 年数据检查摘牌规则：新开或更新摘牌建议 {len(done.value)} 条",
                  "success")
    return redirect(url_for("assessment.proposal_list"))


@bp.post("/delisting/<int:proposal_id>/<any(confirm, dismiss):decision>")
@role_required("office")
def proposal_decide(proposal_id: int, decision: str) -> Any:
    form = DecisionForm()
    if form.validate_on_submit():
        decide = proposals.confirm if decision == "confirm" else proposals.dismiss
        done = commit_or_flash(lambda: decide(actor(), proposal_id, form.note.data or ""))
        if done:
            flash(f"窗口 {done.value.window.code} 已摘牌" if decision == "confirm"
                  else "已不予采纳该摘牌建议", "success")
    else:
        flash("；".join(e for errs in form.errors.values() for e in errs) or "提交无效", "error")
    return redirect(url_for("assessment.proposal_list"))


@bp.get('/delisting/<int:proposal_id>/<any(circular, "special-report"):kind>.docx')
@role_required("office")
def proposal_document(proposal_id: int, kind: str) -> Response:
    """A confirmed delisting's circular (通报) or special report (专报) as a Word document."""
    p = found_or_404(lambda: proposals.get_proposal(actor(), proposal_id))
    body = delisting_documents.document_docx(delisting_documents.document(p, kind))
    name = "摘牌通报" if kind == "circular" else "摘牌专报"
    return download(body, DOCX, f"{p.year}年度{name}-{p.window.code} {p.window.name}.docx",
                    fallback=f"{kind}-{p.window.code}-{p.year}.docx")
