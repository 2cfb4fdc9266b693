"""The evaluation standard (测评标准) and the quarterly comprehensive inspections (综合检查): the
list, the form, the spreadsheet import with its template, and a ticket from a failed indicator."""

from __future__ import annotations

import csv
import io
from functools import partial
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from admin_web.assessment import today, year_arg
from admin_web.assessment_forms import DecisionForm, StandardForm, UploadForm, inspection_form
from admin_web.common import XLSX, actor, commit_or_flash, download, found_or_404, paginate, role_required
from analytics import assessment_access
from feedback_api.services import cells, inspection_sheets, inspection_tickets, inspections, ledger, standards
from feedback_api.services import delisting as proposals

bp = Blueprint("inspections", __name__, url_prefix="/assessment")


def _year_standard(year: int) -> Any:
    """The year's standard, made from the defaults (and committed) on first use."""
    done = commit_or_flash(lambda: standards.ensure_standard(year))
    if done is None:  # only a year outside 2000–2100, which year_arg never gives
        abort(404)
    return done.value


@bp.route("/standard", methods=["GET", "POST"])
@login_required
def standard() -> Any:
    year = year_arg()
    user = actor()
    if request.method == "POST" and user.role != "office":
        abort(403)
    # The office's page stores the year's standard it is about to edit; a reader's page only
    # reads it (an unsaved year shows what it would be).
    std = _year_standard(year) if user.role == "office" else standards.read_standard(year)
    form = None
    if user.role == "office":
        form = StandardForm()
        if form.validate_on_submit():
            if commit_or_flash(lambda: standards.update_standard(user, year, form.to_data())):
                flash(f"{year} 年度测评标准已保存", "success")
                return redirect(url_for("inspections.standard", year=year))
        elif request.method == "GET":
            form = StandardForm(formdata=None, obj=std)
            form.load(std)
    return render_template("assessment/standard.html", std=std, form=form, year=year,
                           CATEGORIES=standards.CATEGORIES,
                           published=assessment_access.published_in(year) if form else [])


@bp.get("/inspections")
@login_required
def inspection_list() -> str:
    filters = _filters()
    page = paginate(partial(inspections.list_inspections, actor()), **filters)
    return render_template("assessment/inspections.html", page=page, **filters,
                           can_enter=actor().role in inspections.ENTRY_ROLES)


def _filters() -> dict[str, Any]:
    """The list's filters from the query string, read alike by the list and its export (staff
    export what they see): the year, ?quarter=1-4, ?passed=1 the passed inspections and 0 the
    failed ones, ?window= a window's code or name typed (``typed_filters``)."""
    quarter = request.args.get("quarter", type=int)
    return {"year": year_arg(), "quarter": quarter if quarter in (1, 2, 3, 4) else None,
            "passed": {"1": True, "0": False}.get(request.args.get("passed", "")),
            "window": request.args.get("window") or None}


def _form_data(form: Any, std: Any, year: int) -> dict[str, Any]:
    return {"window": form.window.data, "year": year, "quarter": int(form.quarter.data),
            "inspected_on": form.inspected_on.data, "inspectors": form.inspectors.data,
            "notes": form.notes.data,
            "scores": {ind.id: getattr(form, f"score_{ind.id}").data for ind in std.indicators}}


def _saved(insp: Any, what: str) -> str:
    return (f"{what} {insp.window.code} {insp.year} 年第 {insp.quarter} 季度综合检查："
            f"{insp.total:g} 分，{'合格' if insp.passed else '不合格'}")


def _with_rules(insp: Any) -> tuple[Any, str]:
    """The delisting rules run at once for the record's window and year (the nightly job's, as
    the incident form); with what the page says of a proposal raised."""
    return insp, proposals.raised(proposals.run_rules({(insp.window_id, insp.year)}))


@bp.get("/inspections/export.xlsx")
@login_required
def inspection_export() -> Response:
    """The list's inspections as filtered (year, quarter, result, window), in the viewer's scope,
    in Excel."""
    filters = _filters()
    year, quarter = filters["year"], filters["quarter"]
    _year_standard(year)
    part = f"第{'一二三四'[quarter - 1]}季度" if quarter else "年度"
    return download(inspection_sheets.export_xlsx(actor(), **filters), XLSX,
                    f"{year}年{part}综合检查.xlsx",
                    fallback=f"inspections-{year}{'Q' + str(quarter) if quarter else ''}.xlsx")


@bp.route("/inspections/new", methods=["GET", "POST"])
@role_required("office", "authority")
def inspection_new() -> Any:
    user = actor()
    year = year_arg()
    std = _year_standard(year)
    form = inspection_form(std, inspections.windows_for_entry(user))
    existing = None
    if request.method == "GET":
        form.window.data = request.args.get("window") or None
        form.quarter.data = str((today().month - 1) // 3 + 1) if year == today().year else "4"
    if form.validate_on_submit():
        data = _form_data(form, std, year)
        done = commit_or_flash(lambda: _with_rules(inspections.save_inspection(user, data)[0]),
                               form=form)
        if done:
            insp, raised = done.value
            flash(_saved(insp, "已录入") + raised, "success" if insp.passed else "warning")
            return redirect(url_for("inspections.inspection_detail", inspection_id=insp.id))
        # The quarter entered already: the page links the record to correct.
        existing = inspections.find_inspection(user, data["window"], year, data["quarter"])
    return render_template("assessment/inspection_form.html", form=form, std=std, year=year,
                           existing=existing, editing=None,
                           score_fields=[getattr(form, f"score_{i.id}") for i in std.indicators])


@bp.route("/inspections/<int:inspection_id>/edit", methods=["GET", "POST"])
@role_required("office", "authority")
def inspection_edit(inspection_id: int) -> Any:
    """Correct an inspection: its window and quarter stay (they are the record's)."""
    user = actor()
    insp = found_or_404(lambda: inspections.get_inspection(user, inspection_id))
    if not inspections.can_inspect(user, insp.window):
        abort(404)
    std = _year_standard(insp.year)
    form = inspection_form(std, [insp.window])
    form.window.data, form.quarter.data = insp.window.code, str(insp.quarter)
    if request.method == "GET":
        form.inspected_on.data, form.inspectors.data = insp.inspected_on, insp.inspectors
        form.notes.data = insp.notes
        for sc in insp.scores:
            if (field := getattr(form, f"score_{sc.indicator_id}", None)) is not None:
                field.data = sc.score
    if form.validate_on_submit():
        data = _form_data(form, std, insp.year)
        was = proposals.proposal_state(insp.window_id, insp.year, 1)
        tickets = inspection_tickets.finding_tickets(insp)
        notes = {t.id: len(inspection_tickets.correction_notes(t)) for t in tickets.values()}
        done = commit_or_flash(
            lambda: _with_rules(inspections.save_inspection(user, data, replace=True)[0]), form=form)
        if done:
            note = done.value[1]
            if noted := [t.number for t in tickets.values()
                         if len(inspection_tickets.correction_notes(t)) > notes[t.id]]:
                note += (f"；督办单 {'、'.join(noted)} 不变（由第三方机构核实办结），"
                         "已在其页面注明本次更正")
            if was == "open" and proposals.proposal_state(insp.window_id, insp.year, 1) == "withdrawn":
                note = f"；该窗口 {insp.year} 年据此生成的摘牌建议已撤回（无需处理）"
            flash(_saved(done.value[0], "已更正") + note, "success")
            return redirect(url_for("inspections.inspection_detail", inspection_id=insp.id))
    return render_template("assessment/inspection_form.html", form=form, std=std, year=insp.year,
                           existing=None, editing=insp,
                           tickets=inspection_tickets.finding_tickets(insp),
                           score_fields=[getattr(form, f"score_{i.id}") for i in std.indicators])


@bp.get("/inspections/<int:inspection_id>")
@login_required
def inspection_detail(inspection_id: int) -> str:
    user = actor()
    insp = found_or_404(lambda: inspections.get_inspection(user, inspection_id))
    can_open = inspection_tickets.can_open_ticket(user)
    return render_template("assessment/inspection.html", insp=insp,
                           delete_form=DecisionForm() if user.role == "office" else None,
                           delete_refused=user.role == "office"
                           and inspections.deletion_refused(insp),
                           can_correct=user.role in inspections.ENTRY_ROLES
                           and inspections.can_inspect(user, insp.window),
                           tickets=inspection_tickets.finding_tickets(insp),
                           form=DecisionForm() if can_open else None)


@bp.post("/inspections/<int:inspection_id>/delete")
@role_required("office")
def inspection_delete(inspection_id: int) -> Any:
    """Remove an inspection entered in error, with the reason (the office's)."""
    insp = found_or_404(lambda: inspections.get_inspection(actor(), inspection_id))
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    year, window_id = insp.year, insp.window_id
    what = f"{insp.window.code} {insp.year} 年第 {insp.quarter} 季度"
    was = proposals.proposal_state(window_id, year, 1)
    def delete() -> None:
        inspections.delete_inspection(actor(), inspection_id, form.note.data or "")
        proposals.run_rules({(window_id, year)})

    if commit_or_flash(delete):
        note = ""
        if was == "open" and proposals.proposal_state(window_id, year, 1) == "withdrawn":
            note = f"；该窗口 {year} 年据此生成的摘牌建议已撤回（无需处理）"
        flash(f"已删除 {what}综合检查" + note, "success")
        return redirect(url_for("inspections.inspection_list", year=year))
    return redirect(url_for("inspections.inspection_detail", inspection_id=inspection_id))


@bp.post("/inspections/<int:inspection_id>/indicators/<int:indicator_id>/ticket")
@role_required(*inspection_tickets.TICKET_ROLES)
def inspection_ticket(inspection_id: int, indicator_id: int) -> Any:
    """Open a supervision ticket for a failed indicator of an inspection."""
    user = actor()
    insp = found_or_404(lambda: inspections.get_inspection(user, inspection_id))
    form = DecisionForm()
    if form.validate_on_submit():
        done = commit_or_flash(lambda: inspection_tickets.open_ticket_for_finding(
            user, insp, indicator_id, form.note.data or ""))
        if done:
            flash(f"已开督办单 {done.value.number}", "success")
            return redirect(url_for("tickets.ticket_detail", ticket_id=done.value.id))
    return redirect(url_for("inspections.inspection_detail", inspection_id=inspection_id))


@bp.route("/inspections/import", methods=["GET", "POST"])
@role_required("office", "authority")
def inspection_import() -> Any:
    form = UploadForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        def run() -> tuple[Any, str]:
            report = inspection_sheets.import_inspections(
                actor(), upload.read(), upload.filename or "", max_rows=ledger.UPLOAD_MAX_ROWS)
            return report, proposals.raised(proposals.run_rules(report.affected))

        done = commit_or_flash(run)
        if done:
            report, raised = done.value
            flash("导入完成：" + report.summary() + raised, "success" if report.ok else "warning")
    year = year_arg()
    _year_standard(year)
    return render_template("assessment/inspection_import.html", form=form, report=report,
                           headers=inspection_sheets.template_headers(year), year=year)


@bp.get("/inspections/template.csv")
@role_required("office", "authority")
def inspection_template() -> Response:
    year = year_arg()
    _year_standard(year)
    buf = io.StringIO()
    csv.writer(buf).writerow(cells.csv_row(inspection_sheets.template_headers(year)))
    return download("\ufeff" + buf.getvalue(), "text/csv", f"{year}年度综合检查导入模板.csv",
                    fallback=f"inspections-{year}.csv")


@bp.get("/inspections/template.xlsx")
@role_required("office", "authority")
def inspection_template_xlsx() -> Response:
    year = year_arg()
    _year_standard(year)
    return download(inspection_sheets.template_xlsx(year), XLSX, f"{year}年度综合检查导入模板.xlsx",
                    fallback=f"inspections-{year}.xlsx")
