"""The annual programme cycle pages (issue 15): the year's phases and deadlines, a form per
submission kind with attachments, drafts, submit, return with a reason, the status of every
submission per authority, the expert's scoring page, publicity with objections, the award,
exports and a print view of each form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
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
    url_for,
)
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from admin_web.cycle_forms import (
    AnswerObjectionForm,
    AssignForm,
    CycleForm,
    ObjectionForm,
    PhaseForm,
    PublicityForm,
    ReturnForm,
    ScoreForm,
    form_data,
    submission_form,
)
from feedback_api.db import Session
from feedback_api.models import Cycle, Objection, Submission, User, Window
from feedback_api.models.reference import (
    CYCLE_PHASES,
    INDUSTRIES,
    OBJECTION_OUTCOMES,
    SUBMISSION_KINDS,
    SUBMISSION_STATES,
)
from feedback_api.services import cycle as svc
from feedback_api.services import cycle_exports, files, ledger
from feedback_api.services import windows as window_service
from feedback_api.services.errors import ServiceError

bp = Blueprint("cycle", __name__, url_prefix="/cycle")
F = TypeVar("F", bound=Callable[..., Any])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def cycle_access(*roles: str) -> Callable[[F], F]:
    """Signed in, with a part in the cycle (and one of ``roles`` when given)."""
    allowed = set(roles) or {"office", "authority", "unit", "expert"}

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not svc.can_use(current_user) or current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorator


@bp.context_processor
def _vocabularies() -> dict[str, Any]:
    return {"CYCLE_PHASES": CYCLE_PHASES, "SUBMISSION_KINDS": SUBMISSION_KINDS,
            "SUBMISSION_STATES": SUBMISSION_STATES, "OBJECTION_OUTCOMES": OBJECTION_OUTCOMES,
            "today": svc.local_today()}


def _cycle_or_404(year: int) -> Cycle:
    try:
        return svc.get_cycle(year)
    except ServiceError:
        abort(404)


def _submission_or_404(submission_id: int) -> Submission:
    try:
        return svc.get_submission(_user(), submission_id)
    except ServiceError:
        abort(404)


def _flash_error(exc: ServiceError, form: Any = None) -> None:
    Session.rollback()
    if form is not None and isinstance(exc.details, dict):
        for name, message in exc.details.items():
            field = getattr(form, name, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, message]
    flash(exc.message, "error")


def _kinds_for(user: User) -> list[str]:
    return [k for k, roles in svc.SUBMITTER_ROLES.items() if user.role in roles]


# --------------------------------------------------------------------------- the year


@bp.get("/")
@cycle_access()
def index() -> Any:
    cycle = svc.current_cycle()
    if cycle is None:
        return render_template("cycle/none.html", form=CycleForm() if _user().role == "office"
                               else None)
    return redirect(url_for("cycle.year", year=cycle.year))


@bp.post("/new")
@cycle_access("office")
def create() -> Any:
    form = CycleForm()
    if form.validate_on_submit():
        try:
            cycle = svc.create_cycle(_user(), form.year.data)
        except ServiceError as exc:
            _flash_error(exc)
        else:
            Session.commit()
            flash(f"已建立 {cycle.year} 年度，各阶段日期按工作方案默认设置，可调整", "success")
            return redirect(url_for("cycle.year", year=cycle.year))
    else:
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect(url_for("cycle.index"))


@bp.get("/<int:year>")
@cycle_access()
def year(year: int) -> str:
    user = _user()
    cycle = _cycle_or_404(year)
    subs = svc.list_submissions(user, cycle)
    phase_forms = {}
    if user.role == "office":
        for p in cycle.phases:
            phase_forms[p.kind] = PhaseForm(formdata=None, kind=p.kind, starts_on=p.starts_on,
                                            ends_on=p.ends_on, prefix=p.kind)
    deadlines = {k: svc.deadline(cycle, k) for k in SUBMISSION_KINDS}
    return render_template(
        "cycle/year.html", cycle=cycle, cycles=svc.list_cycles(), submissions=subs,
        kinds=_kinds_for(user), deadlines=deadlines, phase_forms=phase_forms,
        new_cycle_form=CycleForm(formdata=None) if user.role == "office" else None,
        reminders=svc.reminders(cycle)[:20] if user.role == "office" else [],
        assignments=svc.assignments_of(user, cycle) if user.role == "expert" else [])


@bp.post("/<int:year>/phases/<kind>")
@cycle_access("office")
def phase_dates(year: int, kind: str) -> Any:
    cycle = _cycle_or_404(year)
    form = PhaseForm(prefix=kind)
    if form.validate_on_submit():
        try:
            svc.set_phase_dates(_user(), cycle, kind, form.starts_on.data, form.ends_on.data)
        except ServiceError as exc:
            _flash_error(exc)
        else:
            Session.commit()
            flash(f"已调整{CYCLE_PHASES.get(kind, kind)}日期", "success")
    else:
        flash("日期格式应为 YYYY-MM-DD", "error")
    return redirect(url_for("cycle.year", year=year))


# --------------------------------------------------------------------------- submissions


def _window_choices(user: User, kind: str) -> list[tuple[str, str]]:
    status = {"recommendation": "candidate", "management_rules": "demonstration"}.get(kind)
    # The registry's scope is also whom one may submit for (the service checks again).
    stmt = window_service.window_query(user, status=status)
    windows = Session.scalars(stmt.order_by(Window.code)).all()
    return [(w.code, f"{w.code} {w.unit.name} {w.name}") for w in windows]


def _industry_choices(user: User) -> list[str]:
    if user.role == "office":
        return list(INDUSTRIES)
    return sorted({s.industry for s in user.scopes if s.industry})


def _make_form(user: User, kind: str, **kwargs: Any) -> Any:
    return submission_form(kind, _window_choices(user, kind), _industry_choices(user), **kwargs)


def _save(user: User, cycle: Cycle, kind: str, form: Any, submission: Submission | None) -> Any:
    """Save the draft and its attachments (committed), then submit if asked."""
    try:
        sub = svc.save_draft(user, cycle, kind, form_data(form, kind), submission)
        for upload in form.attachments.data or []:
            if upload and getattr(upload, "filename", ""):
                svc.add_attachment(user, sub, upload.read(), upload.filename)
    except ServiceError as exc:
        _flash_error(exc, form)
        return None
    Session.commit()
    if form.action.data != "submit":
        flash("草稿已保存", "success")
        return redirect(url_for("cycle.submission", submission_id=sub.id))
    try:
        svc.submit(user, sub)
    except ServiceError as exc:
        _flash_error(exc)
        flash("草稿已保存，补全后再提交", "warning")
        return redirect(url_for("cycle.edit", submission_id=sub.id))
    Session.commit()
    flash("已提交" + ("（已过截止日期，标记为逾期）" if sub.late else ""),
          "warning" if sub.late else "success")
    return redirect(url_for("cycle.submission", submission_id=sub.id))


@bp.route("/<int:year>/new/<kind>", methods=["GET", "POST"])
@cycle_access("office", "authority", "unit")
def new(year: int, kind: str) -> Any:
    user = _user()
    cycle = _cycle_or_404(year)
    if kind not in _kinds_for(user):
        abort(404 if kind not in SUBMISSION_KINDS else 403)
    form = _make_form(user, kind)
    if form.validate_on_submit():
        done = _save(user, cycle, kind, form, None)
        if done is not None:
            return done
    return render_template("cycle/form.html", form=form, cycle=cycle, kind=kind, submission=None,
                           fields=svc.SUBMISSION_FIELDS[kind], deadline=svc.deadline(cycle, kind))


@bp.route("/submissions/<int:submission_id>/edit", methods=["GET", "POST"])
@cycle_access("office", "authority", "unit")
def edit(submission_id: int) -> Any:
    user = _user()
    sub = _submission_or_404(submission_id)
    if sub.state not in {"draft", "returned"} or sub.kind not in _kinds_for(user):
        flash("该材料已提交，不能修改", "error")
        return redirect(url_for("cycle.submission", submission_id=sub.id))
    if request.method == "GET":
        form = _make_form(user, sub.kind, formdata=None, data=dict(sub.data))
    else:
        form = _make_form(user, sub.kind)
        if form.validate_on_submit():
            done = _save(user, sub.cycle, sub.kind, form, sub)
            if done is not None:
                return done
    return render_template("cycle/form.html", form=form, cycle=sub.cycle, kind=sub.kind,
                           submission=sub, fields=svc.SUBMISSION_FIELDS[sub.kind],
                           deadline=svc.deadline(sub.cycle, sub.kind))


@bp.get("/submissions/<int:submission_id>")
@cycle_access()
def submission(submission_id: int) -> str:
    user = _user()
    sub = _submission_or_404(submission_id)
    assign_form = score_form = None
    assignments: list[Any] = []
    mine = None
    if sub.kind == "recommendation" and user.role == "office":
        assignments = Session.scalars(sa.select(svc.ExpertAssignment).where(
            svc.ExpertAssignment.submission_id == sub.id)).all()
        if sub.state == "accepted":
            assign_form = AssignForm(formdata=None)
            taken = {a.expert_id for a in assignments}
            assign_form.experts.choices = [SelectChoice(str(e.id), e.display_name)
                                           for e in svc.list_experts() if e.id not in taken]
    if user.role == "expert":
        mine = next((a for a in svc.assignments_of(user, sub.cycle) if a.submission_id == sub.id),
                    None)
        score_form = ScoreForm(formdata=None, total=mine.total if mine else None,
                               comment=mine.comment if mine else "",
                               items="\n".join(f"{k} {v:g}" for k, v in (mine.items or {}).items())
                               if mine else "")
    published = f"submission:{sub.id}" in svc.published_good_practice_sources()
    return render_template(
        "cycle/submission.html", sub=sub, fields=svc.SUBMISSION_FIELDS[sub.kind],
        deadline=svc.deadline(sub.cycle, sub.kind), return_form=ReturnForm(formdata=None),
        can_edit=(sub.state in {"draft", "returned"} and sub.kind in _kinds_for(user)
                  and (user.role != "office" or sub.author_id == user.id)),
        assign_form=assign_form, assignments=assignments, score_form=score_form, mine=mine,
        published=published)


@bp.get("/submissions/<int:submission_id>/print")
@cycle_access()
def print_view(submission_id: int) -> str:
    sub = _submission_or_404(submission_id)
    return render_template("cycle/print.html", sub=sub, fields=svc.SUBMISSION_FIELDS[sub.kind])


@bp.post("/submissions/<int:submission_id>/submit")
@cycle_access("office", "authority", "unit")
def submit(submission_id: int) -> Any:
    sub = _submission_or_404(submission_id)
    try:
        svc.submit(_user(), sub)
    except ServiceError as exc:
        _flash_error(exc)
    else:
        Session.commit()
        flash("已提交" + ("（已过截止日期，标记为逾期）" if sub.late else ""),
              "warning" if sub.late else "success")
    return redirect(url_for("cycle.submission", submission_id=submission_id))


@bp.post("/submissions/<int:submission_id>/return")
@cycle_access("office")
def return_(submission_id: int) -> Any:
    sub = _submission_or_404(submission_id)
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            svc.return_submission(_user(), sub, form.reason.data)
        except ServiceError as exc:
            _flash_error(exc)
        else:
            Session.commit()
            flash("已退回修改", "success")
    else:
        flash("请填写退回原因", "error")
    return redirect(url_for("cycle.submission", submission_id=submission_id))


@bp.post("/submissions/<int:submission_id>/accept")
@cycle_access("office")
def accept(submission_id: int) -> Any:
    sub = _submission_or_404(submission_id)
    try:
        svc.accept(_user(), sub)
    except ServiceError as exc:
        _flash_error(exc)
    else:
        Session.commit()
        flash("已受理", "success")
    return redirect(url_for("cycle.submission", submission_id=submission_id))


@bp.post("/submissions/<int:submission_id>/publish")
@cycle_access("office")
def publish(submission_id: int) -> Any:
    sub = _submission_or_404(submission_id)
    try:
        svc.publish_good_practice(_user(), sub)
    except ServiceError as exc:
        _flash_error(exc)
    else:
        Session.commit()
        flash("已发布到公开页面", "success")
    return redirect(url_for("cycle.submission", submission_id=submission_id))


@bp.post("/submissions/<int:submission_id>/unpublish")
@cycle_access("office")
def unpublish(submission_id: int) -> Any:
    sub = _submission_or_404(submission_id)
    try:
        svc.unpublish_good_practice(_user(), sub)
    except ServiceError as exc:
        _flash_error(exc)
    else:
        Session.commit()
        flash("已从公开页面撤下", "success")
    return redirect(url_for("cycle.submission", submission_id=submission_id))


@bp.get("/submissions/<int:submission_id>/attachments/<int:attachment_id>")
@cycle_access()
def attachment(submission_id: int, attachment_id: int) -> Any:
    try:
        stored = svc.attachment_file(_user(), submission_id, attachment_id)
        return files.send(stored, inline=True)
    except (ServiceError, FileNotFoundError):
        abort(404)


@bp.post("/submissions/<int:submission_id>/assign")
@cycle_access("office")
def assign(submission_id: int) -> Any:
    sub = _submission_or_404(submission_id)
    form = AssignForm()
    experts = {str(e.id): e for e in svc.list_experts()}
    form.experts.choices = [SelectChoice(k, e.display_name) for k, e in experts.items()]
    if form.validate_on_submit():
        try:
            for key in form.experts.data:
                svc.assign_expert(_user(), sub, experts[key])
        except ServiceError as exc:
            _flash_error(exc)
        else:
            Session.commit()
            flash(f"已分配 {len(form.experts.data)} 位评审专家", "success")
    else:
        flash("请选择评审专家", "error")
    return redirect(url_for("cycle.submission", submission_id=submission_id))


@bp.post("/submissions/<int:submission_id>/score")
@cycle_access("expert")
def score(submission_id: int) -> Any:
    user = _user()
    sub = _submission_or_404(submission_id)
    form = ScoreForm()
    if form.validate_on_submit():
        try:
            items = form.item_scores()
        except ValueError as exc:
            flash(f"按指标得分：{exc}", "error")
            return redirect(url_for("cycle.submission", submission_id=submission_id))
        try:
            svc.score(user, sub, form.total.data, items=items, comment=form.comment.data or "")
        except ServiceError as exc:
            _flash_error(exc)
        else:
            Session.commit()
            flash("评分已保存", "success")
            return redirect(url_for("cycle.scoring", year=sub.cycle.year))
    else:
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect(url_for("cycle.submission", submission_id=submission_id))


# --------------------------------------------------------------------------- status and review


@bp.get("/<int:year>/status")
@cycle_access("office", "authority")
def status(year: int) -> str:
    cycle = _cycle_or_404(year)
    return render_template("cycle/status.html", cycle=cycle,
                           board=svc.status_board(_user(), cycle),
                           deadlines={k: svc.deadline(cycle, k) for k in SUBMISSION_KINDS},
                           INDUSTRIES=INDUSTRIES)


@bp.get("/<int:year>/scoring")
@cycle_access("expert")
def scoring(year: int) -> str:
    cycle = _cycle_or_404(year)
    return render_template("cycle/scoring.html", cycle=cycle,
                           assignments=svc.assignments_of(_user(), cycle))


@bp.get("/<int:year>/review")
@cycle_access("office")
def review(year: int) -> str:
    cycle = _cycle_or_404(year)
    return render_template("cycle/review.html", cycle=cycle, results=svc.review_results(cycle),
                           points=svc.OUTLIER_POINTS)


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    from urllib.parse import quote

    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "private, no-store"})


@bp.get("/<int:year>/recommendations.xlsx")
@cycle_access("office", "authority")
def recommendations_xlsx(year: int) -> Response:
    user = _user()
    cycle = _cycle_or_404(year)
    subs = [s for s in svc.list_submissions(user, cycle, kind="recommendation")
            if s.state != "draft"]
    body = cycle_exports.recommendations_xlsx(cycle, subs, ledger.all_windows(user))
    return _download(body, XLSX, f"{year}年度行业推荐表.xlsx")


@bp.get("/<int:year>/review.xlsx")
@cycle_access("office")
def review_xlsx(year: int) -> Response:
    cycle = _cycle_or_404(year)
    return _download(cycle_exports.review_xlsx(cycle, svc.review_results(cycle)), XLSX,
                     f"{year}年度评审结果.xlsx")


@bp.get("/<int:year>/review.pdf")
@cycle_access("office")
def review_pdf(year: int) -> Response:
    cycle = _cycle_or_404(year)
    return _download(cycle_exports.review_pdf(cycle, svc.review_results(cycle)), "application/pdf",
                     f"{year}年度评审结果.pdf")


# --------------------------------------------------------------------------- publicity and award


def _publicity_form(cycle: Cycle, **kwargs: Any) -> PublicityForm:
    form = PublicityForm(**kwargs)
    form.candidates.choices = [
        SelectChoice(str(r.submission.id), f"{r.submission.window.name}（{r.mean:.2f}）")
        for r in svc.review_results(cycle) if r.mean is not None]
    return form


@bp.get("/<int:year>/publicity")
@cycle_access("office")
def publicity(year: int) -> str:
    cycle = _cycle_or_404(year)
    phase = cycle.phase("publicity")
    form = _publicity_form(cycle, formdata=None, starts_on=phase.starts_on if phase else None,
                           ends_on=phase.ends_on if phase else None)
    form.candidates.data = [c.value for c in form.candidates.choices]
    return render_template("cycle/publicity.html", cycle=cycle, form=form,
                           publicities=svc.publicities(cycle),
                           objection_form=ObjectionForm(formdata=None, received_on=svc.local_today()),
                           answer_form=AnswerObjectionForm(formdata=None))


@bp.post("/<int:year>/publicity")
@cycle_access("office")
def open_publicity(year: int) -> Any:
    cycle = _cycle_or_404(year)
    form = _publicity_form(cycle)
    if form.validate_on_submit():
        try:
            svc.open_publicity(_user(), cycle, form.starts_on.data, form.ends_on.data,
                               [int(x) for x in form.candidates.data], form.notice.data or "")
        except ServiceError as exc:
            _flash_error(exc)
        else:
            Session.commit()
            flash("公示已发布", "success")
    else:
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect(url_for("cycle.publicity", year=year))


def _entry_or_404(entry_id: int) -> Any:
    try:
        return svc.get_entry(entry_id)
    except ServiceError:
        abort(404)


@bp.post("/entries/<int:entry_id>/objections")
@cycle_access("office")
def record_objection(entry_id: int) -> Any:
    entry = _entry_or_404(entry_id)
    form = ObjectionForm()
    if form.validate_on_submit():
        try:
            svc.record_objection(_user(), entry, form.text.data, channel=form.channel.data or "",
                                 received_on=form.received_on.data)
        except ServiceError as exc:
            _flash_error(exc)
        else:
            Session.commit()
            flash("异议已登记", "success")
    else:
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect(url_for("cycle.publicity", year=entry.publicity.cycle.year))


@bp.post("/objections/<int:objection_id>/answer")
@cycle_access("office")
def answer_objection(objection_id: int) -> Any:
    objection = Session.get(Objection, objection_id)
    if objection is None:
        abort(404)
    form = AnswerObjectionForm()
    if form.validate_on_submit():
        try:
            svc.answer_objection(_user(), objection, form.outcome.data, form.answer.data)
        except ServiceError as exc:
            _flash_error(exc)
        else:
            Session.commit()
            flash("异议已答复", "success")
    else:
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect(url_for("cycle.publicity", year=objection.entry.publicity.cycle.year))


@bp.post("/entries/<int:entry_id>/award")
@cycle_access("office")
def award(entry_id: int) -> Any:
    entry = _entry_or_404(entry_id)
    try:
        window = svc.award(_user(), entry)
    except ServiceError as exc:
        _flash_error(exc)
    else:
        Session.commit()
        flash(f"{window.name} 已命名为 {entry.publicity.cycle.year} 年度示范窗口", "success")
    return redirect(url_for("cycle.publicity", year=entry.publicity.cycle.year))


@bp.app_context_processor
def _next_deadline() -> dict[str, Any]:
    def cycle_next_deadline() -> str:
        """The nav's reminder of the next deadline, e.g. "推荐申报 6月5日截止" (one query)."""
        if not current_user.is_authenticated or not svc.can_use(current_user):
            return ""
        phase = svc.next_deadline(current_user)
        if phase is None:
            return ""
        return f"{CYCLE_PHASES[phase.kind]} {phase.ends_on.month}月{phase.ends_on.day}日截止"
    return {"cycle_next_deadline": cycle_next_deadline}


@bp.app_template_filter("days_left")
def days_left(deadline: date | None) -> str:
    if deadline is None:
        return ""
    left = (deadline - svc.local_today()).days
    if left < 0:
        return f"已截止 {-left} 天"
    return "今天截止" if left == 0 else f"还有 {left} 天"
