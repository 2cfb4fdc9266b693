"""Assessment pages (量化考核): the standard, inspections (form and import), covert inspections,
incidents, the assessment table with rankings and formula, and delisting proposals."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, MultipleFileField
from wtforms import (
    DateField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from analytics import assessment, delisting
from feedback_api.api.params import MAX_PAGE
from feedback_api.db import Session
from feedback_api.models import User, Window
from feedback_api.models.reference import (
    DELISTING_RULES,
    INCIDENT_KINDS,
    INCIDENT_SEVERITIES,
    INDUSTRIES,
    PROPOSAL_STATES,
    TOPICS,
)
from feedback_api.services import covert, inspections, scope, standards
from feedback_api.services import delisting as proposals
from feedback_api.services.errors import ServiceError
from feedback_api.services.feedback import LOCAL_TZ

bp = Blueprint("assessment", __name__, url_prefix="/assessment")
F = TypeVar("F", bound=Callable[..., Any])
PER_PAGE = 30


def role_required(*roles: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorator


def _user() -> User:
    return current_user._get_current_object()


def _today() -> date:
    return datetime.now(LOCAL_TZ).date()


def _year_arg() -> int:
    year = request.args.get("year", type=int)
    return year if year is not None and 2000 <= year <= 2100 else _today().year


def _page() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def _paged(stmt: sa.Select[Any]) -> tuple[list[Any], int, int]:
    page = _page()
    total = Session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    items = list(Session.scalars(stmt.offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    return items, page, max(1, (total + PER_PAGE - 1) // PER_PAGE)


def _flash_error(form: FlaskForm | None, exc: ServiceError) -> None:
    if form is not None and isinstance(exc.details, dict):
        for name, message in exc.details.items():
            field = getattr(form, str(name), None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, message]
    flash(exc.message, "error")


@bp.app_context_processor
def _assessment_vocabularies() -> dict[str, Any]:
    return {"DELISTING_RULES": DELISTING_RULES, "INCIDENT_KINDS": INCIDENT_KINDS,
            "INCIDENT_SEVERITIES": INCIDENT_SEVERITIES, "PROPOSAL_STATES": PROPOSAL_STATES}


# --- The assessment table --------------------------------------------------------------------

@bp.get("/")
@login_required
def table() -> str:
    text = request.args.get("period") or ""
    try:
        period = assessment.parse_period(text) if text else assessment.current_quarter()
    except ValueError as exc:
        flash(str(exc), "error")
        period = assessment.current_quarter()
    result = assessment.assess(period, _user())
    industry = request.args.get("industry") or ""
    rows = [r for r in result.rows if not industry or r.industry == industry]
    return render_template("assessment/table.html", result=result, rows=rows, period=period,
                           industry=industry, TOPICS=TOPICS, INDUSTRIES=INDUSTRIES)


@bp.get("/windows/<code>")
@login_required
def window(code: str) -> str:
    w = Session.scalars(sa.select(Window).where(Window.code == code)).first()
    if w is None or not scope.can_see_window(_user(), w):
        abort(404)
    try:
        period = assessment.parse_period(request.args.get("period") or "")
    except ValueError:
        period = assessment.current_quarter()
    result = assessment.assess(period, _user())
    row = next((r for r in result.rows if r.window_id == w.id), None)
    if row is None:
        abort(404)
    return render_template("assessment/window.html", r=row, result=result, period=period,
                           TOPICS=TOPICS)


# --- The standard ----------------------------------------------------------------------------

_CATEGORY_CHOICES = [SelectChoice(k, v) for k, v in standards.CATEGORIES.items()]


class IndicatorForm(Form):
    id = HiddenField()
    category = SelectField("类别", choices=_CATEGORY_CHOICES, invalid_choice_message="类别无效")
    name = StringField("指标名称", validators=[Optional(), Length(max=100)])
    weight = FloatField("分值", validators=[Optional()])
    pass_line = FloatField("合格线", validators=[Optional()])


class StandardForm(FlaskForm):
    name = StringField("标准名称", validators=[DataRequired("请填写名称"), Length(max=200)])
    pass_score = FloatField("综合检查合格分数线", validators=[InputRequired("请填写合格分数线")])
    weight_feedback = FloatField("群众评价权重", validators=[InputRequired("请填写权重")])
    weight_inspection = FloatField("综合检查权重", validators=[InputRequired("请填写权重")])
    weight_covert = FloatField("暗查权重", validators=[InputRequired("请填写权重")])
    weight_tickets = FloatField("督办办理权重", validators=[InputRequired("请填写权重")])
    indicators = FieldList(FormField(IndicatorForm), min_entries=1, max_entries=60)


@bp.route("/standard", methods=["GET", "POST"])
@login_required
def standard() -> Any:
    year = _year_arg()
    user = _user()
    if request.method == "POST" and user.role != "office":
        abort(403)
    std = standards.ensure_standard(year)
    Session.commit()  # the year's standard, if this made it
    form = None
    if user.role == "office":
        form = StandardForm()
        if form.validate_on_submit():
            rows = [e.form for e in form.indicators]
            items = [{"id": int(f.id.data) if (f.id.data or "").isdigit() else None,
                      "category": f.category.data, "name": f.name.data,
                      "weight": f.weight.data, "pass_line": f.pass_line.data}
                     for f in rows if (f.name.data or "").strip()]
            data = {k: getattr(form, k).data for k in ("name", "pass_score", *standards.DEFAULT_WEIGHTS)}
            try:
                standards.update_standard(user, year, {**data, "indicators": items})
            except ServiceError as exc:
                Session.rollback()
                flash(exc.message, "error")
            else:
                Session.commit()
                flash(f"{year} 年度测评标准已保存", "success")
                return redirect(url_for("assessment.standard", year=year))
        elif request.method == "GET":
            form = StandardForm(formdata=None, obj=std)
            while len(form.indicators):
                form.indicators.pop_entry()
            for ind in std.indicators:
                form.indicators.append_entry({"id": str(ind.id or ""), "category": ind.category,
                                              "name": ind.name, "weight": ind.weight,
                                              "pass_line": ind.pass_line})
            form.indicators.append_entry({"category": "attitude"})  # one blank row to add one
    return render_template("assessment/standard.html", std=std, form=form, year=year,
                           CATEGORIES=standards.CATEGORIES)


# --- Inspections -----------------------------------------------------------------------------

@bp.get("/inspections")
@login_required
def inspection_list() -> str:
    year = _year_arg()
    quarter = request.args.get("quarter", type=int)
    quarter = quarter if quarter in (1, 2, 3, 4) else None
    items, page, pages = _paged(inspections.inspection_query(
        _user(), year=year, quarter=quarter, window=request.args.get("window") or None))
    return render_template("assessment/inspections.html", items=items, page=page, pages=pages,
                           year=year, quarter=quarter,
                           can_enter=_user().role in inspections.ENTRY_ROLES)


def _inspection_form(std: Any, user: User) -> FlaskForm:
    class InspectionForm(FlaskForm):
        window = SelectField("窗口", validators=[DataRequired("请选择窗口")],
                             invalid_choice_message="所选窗口无效（或不属于本行业）")
        quarter = SelectField("季度", choices=[SelectChoice(str(q), f"第{'一二三四'[q - 1]}季度")
                                              for q in (1, 2, 3, 4)],
                              invalid_choice_message="季度无效")
        inspected_on = DateField("检查日期", validators=[InputRequired("请填写检查日期")])
        inspectors = StringField("检查人员", validators=[DataRequired("请填写检查人员"),
                                                      Length(max=200)])
        notes = TextAreaField("备注（发现的问题）", validators=[Optional(), Length(max=2000)])

    for ind in std.indicators:
        setattr(InspectionForm, f"score_{ind.id}", FloatField(
            f"{ind.name}（满分 {ind.weight:g}，合格线 {ind.pass_line:g}）",
            validators=[InputRequired(f"请为“{ind.name}”评分"),
                        NumberRange(0, ind.weight, f"{ind.name}得分应在 0–{ind.weight:g} 之间")]))
    form = InspectionForm()
    form.window.choices = [SelectChoice(w.code, f"{w.code} {w.name}")
                           for w in inspections.windows_for_entry(user)]
    return form


@bp.route("/inspections/new", methods=["GET", "POST"])
@role_required("office", "authority")
def inspection_new() -> Any:
    user = _user()
    year = _year_arg()
    std = standards.ensure_standard(year)
    Session.commit()  # the year's standard, if this made it
    form = _inspection_form(std, user)
    if request.method == "GET":
        form.window.data = request.args.get("window") or None
        form.quarter.data = str((_today().month - 1) // 3 + 1) if year == _today().year else "4"
    if form.validate_on_submit():
        data = {"window": form.window.data, "year": year, "quarter": int(form.quarter.data),
                "inspected_on": form.inspected_on.data, "inspectors": form.inspectors.data,
                "notes": form.notes.data,
                "scores": {ind.id: getattr(form, f"score_{ind.id}").data for ind in std.indicators}}
        try:
            insp, _ = inspections.save_inspection(user, data)
        except ServiceError as exc:
            Session.rollback()
            _flash_error(form, exc)
        else:
            Session.commit()
            flash(f"已录入 {insp.window.code} {year} 年第 {insp.quarter} 季度综合检查："
                  f"{insp.total:g} 分，{'合格' if insp.passed else '不合格'}",
                  "success" if insp.passed else "warning")
            return redirect(url_for("assessment.inspection_detail", inspection_id=insp.id))
    return render_template("assessment/inspection_form.html", form=form, std=std, year=year,
                           score_fields=[getattr(form, f"score_{i.id}") for i in std.indicators])


@bp.get("/inspections/<int:inspection_id>")
@login_required
def inspection_detail(inspection_id: int) -> str:
    try:
        insp = inspections.get_inspection(_user(), inspection_id)
    except ServiceError:
        abort(404)
    return render_template("assessment/inspection.html", insp=insp)


class UploadForm(FlaskForm):
    file = FileField("检查表文件", validators=[
        FileRequired("请选择要导入的文件"), FileAllowed(["csv", "xlsx"], "只支持 CSV 或 XLSX 文件")])


@bp.route("/inspections/import", methods=["GET", "POST"])
@role_required("office", "authority")
def inspection_import() -> Any:
    form = UploadForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = inspections.import_inspections(_user(), upload.read(), upload.filename or "")
        except ServiceError as exc:
            Session.rollback()
            flash(exc.message, "error")
        else:
            Session.commit()
            flash("导入完成：" + report.summary(), "success" if report.ok else "warning")
    year = _year_arg()
    headers = inspections.template_headers(year)
    Session.commit()  # the year's standard, if this made it
    return render_template("assessment/inspection_import.html", form=form, report=report,
                           headers=headers, year=year)


@bp.get("/inspections/template.csv")
@role_required("office", "authority")
def inspection_template() -> Response:
    year = _year_arg()
    buf = io.StringIO()
    csv.writer(buf).writerow(inspections.template_headers(year))
    Session.commit()
    return Response("\ufeff" + buf.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f"attachment; filename=inspections-{year}.csv"})


# --- Covert inspections ----------------------------------------------------------------------

@bp.get("/covert")
@login_required
def covert_list() -> str:
    year = _year_arg()
    items, page, pages = _paged(covert.covert_query(_user(), year=year,
                                                    window=request.args.get("window") or None))
    return render_template("assessment/covert_list.html", items=items, page=page, pages=pages,
                           year=year, can_enter=_user().role == "office")


_RESULT_CHOICES = [SelectChoice("", "未检查"), SelectChoice("1", "合格"), SelectChoice("0", "不合格")]


class EvidenceForm(FlaskForm):
    files = MultipleFileField("证据文件（照片、录音、视频、PDF、Word；每个不超过 20 MB）")


def _covert_form(std: Any) -> FlaskForm:
    class CovertForm(EvidenceForm):
        window = SelectField("窗口", validators=[DataRequired("请选择窗口")],
                             invalid_choice_message="所选窗口无效")
        inspected_on = DateField("暗查日期", validators=[InputRequired("请填写暗查日期")])
        notes = TextAreaField("情况记录", validators=[Optional(), Length(max=5000)])

    for ind in std.indicators:
        setattr(CovertForm, f"result_{ind.id}", SelectField(
            ind.name, choices=_RESULT_CHOICES, default="", invalid_choice_message="所选项无效"))
    form = CovertForm()
    form.window.choices = [SelectChoice(w.code, f"{w.code} {w.name}") for w in
                           Session.scalars(sa.select(Window).order_by(Window.code))]
    return form


def _store_evidence(item: Any, files: list[Any]) -> list[str]:
    """Save uploaded files; returns the problems (each file stands alone)."""
    problems = []
    for upload in files or []:
        if not getattr(upload, "filename", ""):
            continue
        try:
            with Session.begin_nested():
                covert.add_evidence(_user(), item, upload.filename,
                                    upload.read(covert.MAX_EVIDENCE_BYTES + 1))
        except ServiceError as exc:
            problems.append(exc.message)
    return problems


@bp.route("/covert/new", methods=["GET", "POST"])
@role_required("office")
def covert_new() -> Any:
    year = _year_arg()
    std = standards.ensure_standard(year)
    Session.commit()
    form = _covert_form(std)
    if form.validate_on_submit():
        # By name: the date's year decides the standard, and a year's copy keeps the names.
        results = {ind.name: getattr(form, f"result_{ind.id}").data == "1" for ind in std.indicators
                   if getattr(form, f"result_{ind.id}").data in {"0", "1"}}
        on = form.inspected_on.data
        try:
            item = covert.record_covert(_user(), {"window": form.window.data, "inspected_on": on,
                                                  "notes": form.notes.data, "results": results})
            problems = _store_evidence(item, form.files.data)
        except ServiceError as exc:
            Session.rollback()
            _flash_error(form, exc)
        else:
            Session.commit()
            flash("暗查记录已保存", "success")
            for p in problems:
                flash(f"证据未保存：{p}", "warning")
            return redirect(url_for("assessment.covert_detail", covert_id=item.id))
    return render_template("assessment/covert_form.html", form=form, std=std, year=year,
                           result_fields=[getattr(form, f"result_{i.id}") for i in std.indicators])


@bp.route("/covert/<int:covert_id>", methods=["GET", "POST"])
@login_required
def covert_detail(covert_id: int) -> Any:
    user = _user()
    try:
        item = covert.get_covert(user, covert_id)
    except ServiceError:
        abort(404)
    form = EvidenceForm() if user.role == "office" else None
    if request.method == "POST":
        if form is None:
            abort(403)
        if form.validate_on_submit():
            problems = _store_evidence(item, form.files.data)
            Session.commit()
            for p in problems:
                flash(f"证据未保存：{p}", "error")
            if not problems:
                flash("证据已保存", "success")
            return redirect(url_for("assessment.covert_detail", covert_id=covert_id))
    return render_template("assessment/covert.html", item=item, form=form,
                           sees_evidence=scope.sees_raw_opinions(user))


@bp.get("/covert/<int:covert_id>/evidence/<int:evidence_id>")
@login_required
def covert_evidence(covert_id: int, evidence_id: int) -> Any:
    """A kept evidence file, as a download, for the office and the agency."""
    user = _user()
    if not scope.sees_raw_opinions(user):
        abort(404)
    try:
        item = covert.get_covert(user, covert_id)
    except ServiceError:
        abort(404)
    found = covert.evidence_file(item, evidence_id)
    if found is None:
        abort(404)
    ev, path = found
    response = send_file(path, mimetype=ev.content_type, as_attachment=True,
                         download_name=ev.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- Incidents -------------------------------------------------------------------------------

class IncidentForm(FlaskForm):
    window = SelectField("窗口", validators=[DataRequired("请选择窗口")],
                         invalid_choice_message="所选窗口无效")
    occurred_on = DateField("发生日期", validators=[InputRequired("请填写发生日期")])
    kind = SelectField("事件类型", choices=[SelectChoice(k, v) for k, v in INCIDENT_KINDS.items()],
                       invalid_choice_message="所选项无效")
    severity = SelectField("严重程度", choices=[SelectChoice(k, v) for k, v in
                                             INCIDENT_SEVERITIES.items()],
                           invalid_choice_message="所选项无效")
    source = StringField("信息来源", validators=[DataRequired("请填写信息来源"), Length(max=200)])
    description = TextAreaField("事件经过", validators=[DataRequired("请填写事件经过"),
                                                    Length(max=5000)])


@bp.get("/incidents")
@login_required
def incident_list() -> str:
    year = _year_arg()
    items, page, pages = _paged(covert.incident_query(_user(), year=year))
    return render_template("assessment/incidents.html", items=items, page=page, pages=pages,
                           year=year, can_enter=_user().role == "office")


@bp.route("/incidents/new", methods=["GET", "POST"])
@bp.route("/incidents/<int:incident_id>/edit", methods=["GET", "POST"])
@role_required("office")
def incident_form(incident_id: int | None = None) -> Any:
    from feedback_api.models import Incident

    item = Session.get(Incident, incident_id) if incident_id and incident_id < 2**31 else None
    if incident_id and item is None:
        abort(404)
    form = IncidentForm(obj=item) if request.method == "GET" and item else IncidentForm()
    form.window.choices = [SelectChoice(w.code, f"{w.code} {w.name}") for w in
                           Session.scalars(sa.select(Window).order_by(Window.code))]
    if request.method == "GET" and item:
        form.window.data = item.window.code
    if form.validate_on_submit():
        data = {k: getattr(form, k).data for k in ("window", "occurred_on", "kind", "severity",
                                                   "source", "description")}
        try:
            covert.save_incident(_user(), data, incident_id)
        except ServiceError as exc:
            Session.rollback()
            _flash_error(form, exc)
        else:
            Session.commit()
            flash("重大事件已保存" + ("；重大事件将生成摘牌建议，请到“摘牌建议”页确认"
                                      if data["severity"] == "major" else ""), "success")
            return redirect(url_for("assessment.incident_list", year=data["occurred_on"].year))
    return render_template("assessment/incident_form.html", form=form, item=item)


# --- Delisting proposals ---------------------------------------------------------------------

class DecisionForm(FlaskForm):
    note = TextAreaField("说明", validators=[Optional(), Length(max=2000)])


@bp.get("/delisting")
@login_required
def proposal_list() -> str:
    state = request.args.get("state") or None
    state = state if state in PROPOSAL_STATES else None
    year = request.args.get("year", type=int)
    items, page, pages = _paged(proposals.proposal_query(_user(), state=state, year=year))
    visible = set(Session.scalars(sa.select(Window.id).join(Window.unit)
                                  .where(scope.window_clause(_user()))))
    warnings = delisting.early_warnings(year or _today().year, visible)
    names = dict(Session.execute(sa.select(Window.id, Window.code).where(
        Window.id.in_([w.window_id for w in warnings]))).all()) if warnings else {}
    return render_template("assessment/proposals.html", items=items, page=page, pages=pages,
                           warnings=warnings, window_codes=names, warning_year=year or _today().year,
                           state=state, year=year, unavailable=delisting.UNAVAILABLE_RULES,
                           form=DecisionForm() if _user().role == "office" else None,
                           this_year=_today().year)


@bp.post("/delisting/evaluate")
@role_required("office")
def proposal_evaluate() -> Any:
    form = DecisionForm()
    if form.validate_on_submit():
        year = request.form.get("year", type=int) or _today().year
        if not 2000 <= year <= 2100:
            abort(400)
        changed = delisting.evaluate(year)
        Session.commit()
        flash(f"已按 {year} 年数据检查摘牌规则：新开或更新摘牌建议 {len(changed)} 条", "success")
    return redirect(url_for("assessment.proposal_list"))


@bp.post("/delisting/<int:proposal_id>/<any(confirm, dismiss):decision>")
@role_required("office")
def proposal_decide(proposal_id: int, decision: str) -> Any:
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            if decision == "confirm":
                p = proposals.confirm(_user(), proposal_id, form.note.data or "")
            else:
                p = proposals.dismiss(_user(), proposal_id, form.note.data or "")
        except ServiceError as exc:
            Session.rollback()
            flash(exc.message, "error")
        else:
            Session.commit()
            flash(f"窗口 {p.window.code} 已摘牌" if decision == "confirm"
                  else "已不予采纳该摘牌建议", "success")
    else:
        flash("；".join(e for errs in form.errors.values() for e in errs) or "提交无效", "error")
    return redirect(url_for("assessment.proposal_list"))
