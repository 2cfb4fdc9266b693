"""Covert inspections (暗查) with their evidence files, and incidents (重大事件): the office enters
both; the windows' users read their own."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from admin_web.assessment import year_arg
from admin_web.assessment_forms import EvidenceForm, IncidentForm, covert_form
from admin_web.common import actor, commit_or_flash, found_or_404, paginate, role_required
from analytics import covert_coverage, delisting
from analytics.periods import current_quarter
from feedback_api.db import Session
from feedback_api.models.reference import PROPOSAL_STATES, WINDOW_STATUSES, label
from feedback_api.services import covert, files, standards
from feedback_api.services import delisting as proposals
from feedback_api.services.errors import ServiceError

bp = Blueprint("covert", __name__, url_prefix="/assessment")


@bp.get("/covert")
@login_required
def covert_list() -> str:
    year = year_arg()
    page = paginate(partial(covert.list_covert, actor()), year=year,
                    window=request.args.get("window") or None)
    quarter = current_quarter()
    return render_template("assessment/covert_list.html", page=page, year=year,
                           can_enter=actor().role == "office", quarter=quarter,
                           not_visited=(covert_coverage.not_visited(quarter, actor())
                                        if year == quarter.year else None))


def _store_evidence(item: Any, files: list[Any]) -> list[str]:
    """Save uploaded files, each in its own savepoint; returns the problems (each file stands
    alone: one refused file loses none of the others)."""
    problems = []
    for upload in files or []:
        if not getattr(upload, "filename", ""):
            continue
        try:
            with Session.begin_nested():
                covert.add_evidence(actor(), item, upload.filename,
                                    upload.read(covert.max_evidence_bytes() + 1))
        except ServiceError as exc:
            problems.append(exc.message)
    return problems


def _files_not_kept(form: Any) -> None:
    """A refused visit stores none of its chosen files, and no browser keeps a file input's
    choice on the page shown again: the field says which to choose again."""
    names = [f.filename for f in form.files.data or [] if getattr(f, "filename", "")]
    if names:
        form.files.errors = [*form.files.errors,
                             f"所选证据文件未保存（{'、'.join(names)}），请改正后重新选择"]


def _form_limit() -> int:
    """One form may carry one file of the full size (several smaller ones), plus the fields."""
    return covert.max_evidence_bytes() + 1024 * 1024


def _rules(item: Any) -> str:
    """The delisting rules at once for the visit's window and year (the nightly job's, as the
    incident form); what the page says of a proposal raised."""
    return proposals.raised(proposals.run_rules({(item.window_id, item.inspected_on.year)}))


@bp.route("/covert/new", methods=["GET", "POST"])
@files.request_limit(_form_limit)
@role_required("office")
def covert_new() -> Any:
    year = year_arg()
    done_std = commit_or_flash(lambda: standards.ensure_standard(year))
    if done_std is None:
        abort(404)
    std = done_std.value
    form = covert_form(std, covert.windows_for_entry())
    existing = None
    if form.validate_on_submit():
        # By name: the date's year decides the standard, and a year's copy keeps the names.
        results = {ind.name: getattr(form, f"result_{ind.id}").data == "1" for ind in std.indicators
                   if getattr(form, f"result_{ind.id}").data in {"0", "1"}}
        data = {"window": form.window.data, "inspected_on": form.inspected_on.data,
                "notes": form.notes.data, "results": results}

        def record() -> tuple[Any, list[str], str]:
            item = covert.record_covert(actor(), data)
            return item, _store_evidence(item, form.files.data), _rules(item)

        done = commit_or_flash(record, form=form)
        if not done:  # a visit of that day entered already: the page links it
            existing = covert.find_same_day(data["window"], data["inspected_on"])
        if done:
            item, problems, raised = done.value
            flash("暗查记录已保存" + raised, "success")
            for p in problems:
                flash(f"证据未保存：{p}", "warning")
            return redirect(url_for("covert.covert_detail", covert_id=item.id))
    if request.method == "POST":  # refused: nothing of it stored
        _files_not_kept(form)
    return render_template("assessment/covert_form.html", form=form, std=std, year=year,
                           existing=existing, editing=None,
                           result_fields=[getattr(form, f"result_{i.id}") for i in std.indicators])


@bp.route("/covert/<int:covert_id>/edit", methods=["GET", "POST"])
@role_required("office")
def covert_edit(covert_id: int) -> Any:
    """Correct a covert inspection (its window stays; evidence is added on its page)."""
    item = found_or_404(lambda: covert.get_covert(actor(), covert_id))
    done_std = commit_or_flash(lambda: standards.ensure_standard(item.inspected_on.year))
    if done_std is None:
        abort(404)
    std = done_std.value
    form = covert_form(std, [item.window])
    form.window.data = item.window.code
    fields = [getattr(form, f"result_{i.id}") for i in std.indicators]
    if request.method == "GET":
        form.inspected_on.data, form.notes.data = item.inspected_on, item.notes
        given = {r.indicator_id: r.passed for r in item.results}
        for ind, field in zip(std.indicators, fields, strict=True):
            field.data = "" if ind.id not in given else ("1" if given[ind.id] else "0")
    if form.validate_on_submit():
        results = {ind.name: f.data == "1" for ind, f in zip(std.indicators, fields, strict=True)
                   if f.data in {"0", "1"}}
        data = {"inspected_on": form.inspected_on.data, "notes": form.notes.data,
                "results": results}
        if done := commit_or_flash(lambda: _rules(covert.correct_covert(actor(), covert_id, data)),
                                   form=form):
            flash("暗查记录已更正" + done.value, "success")
            return redirect(url_for("covert.covert_detail", covert_id=covert_id))
    return render_template("assessment/covert_form.html", form=form, std=std, editing=item,
                           year=item.inspected_on.year, existing=None, result_fields=fields)


@bp.route("/covert/<int:covert_id>", methods=["GET", "POST"])
@files.request_limit(_form_limit)
@login_required
def covert_detail(covert_id: int) -> Any:
    user = actor()
    item = found_or_404(lambda: covert.get_covert(user, covert_id))
    form = EvidenceForm() if user.role == "office" else None
    if request.method == "POST":
        if form is None:
            abort(403)
        if form.validate_on_submit():
            done = commit_or_flash(lambda: _store_evidence(item, form.files.data))
            problems = done.value if done else []
            for p in problems:
                flash(f"证据未保存：{p}", "error")
            if done and not problems:
                flash("证据已保存", "success")
            return redirect(url_for("covert.covert_detail", covert_id=covert_id))
    return render_template("assessment/covert.html", item=item, form=form,
                           sees_evidence=covert.sees_evidence(user))


@bp.get("/covert/<int:covert_id>/evidence/<int:evidence_id>")
@login_required
def covert_evidence(covert_id: int, evidence_id: int) -> Any:
    """A kept evidence file, as a download (pictures and PDFs open), for the office and the
    agency; outside a user's scope, or changed since upload, it does not exist."""
    _ev, stored = found_or_404(lambda: covert.get_evidence(actor(), covert_id, evidence_id))
    return files.send(stored, inline=True)


# --- Incidents -------------------------------------------------------------------------------

@bp.get("/incidents")
@login_required
def incident_list() -> str:
    year = year_arg()
    page = paginate(partial(covert.list_incidents, actor()), year=year,
                    window=request.args.get("window") or None)
    return render_template("assessment/incidents.html", page=page, year=year,
                           can_enter=actor().role == "office")


@bp.route("/incidents/new", methods=["GET", "POST"])
@bp.route("/incidents/<int:incident_id>/edit", methods=["GET", "POST"])
@role_required("office")
def incident_form(incident_id: int | None = None) -> Any:
    item = found_or_404(lambda: covert.get_incident(actor(), incident_id)) if incident_id else None
    form = IncidentForm(obj=item) if request.method == "GET" and item else IncidentForm()
    form.window.choices = [(w.code, f"{w.code} {w.name}") for w in covert.windows_for_entry()]
    if request.method == "GET" and item:
        form.window.data = item.window.code
    if form.validate_on_submit():
        data = {k: getattr(form, k).data for k in ("window", "occurred_on", "kind", "severity",
                                                   "source", "description")}
        major = data["severity"] == "major"
        was = (item.window_id, item.occurred_on.year) if item and item.severity == "major" else None

        def save() -> str:
            before = proposals.proposal_state(*was, 4) if was else None
            item = covert.save_incident(actor(), data, incident_id)
            if before == "open" and proposals.proposal_state(*was, 4) == "withdrawn":
                return f"；该窗口 {was[1]} 年据此生成的摘牌建议已撤回（无需处理）"
            if not major:
                return ""
            # Its proposal is there when the office opens the page, not the next night; only a
            # titled window gets one, and the notice says which happened.
            delisting.evaluate(item.occurred_on.year)
            state = proposals.proposal_state(item.window_id, item.occurred_on.year, 4)
            if state == "open":
                return "；已生成摘牌建议，请到“摘牌建议”页确认"
            if state is not None:
                return f"；该窗口本年度的摘牌建议已处理（{PROPOSAL_STATES[state]}）"
            return (f"；该窗口现为{label(WINDOW_STATUSES, item.window.status)}，"
                    "未持有示范窗口称号（或当年尚未命名），不生成摘牌建议")

        if done := commit_or_flash(save, form=form):
            flash("重大事件已保存" + done.value, "success")
            return redirect(url_for("covert.incident_list", year=data["occurred_on"].year))
    return render_template("assessment/incident_form.html", form=form, item=item)
