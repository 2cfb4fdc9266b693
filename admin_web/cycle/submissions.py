"""Submissions of the programme year: a form per kind with attachments, drafts, submit, return
with a reason, accept, the print view, and publishing a good practice on the public page."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from admin_web.common import actor, commit_or_flash, found_or_404, role_required
from admin_web.cycle import (
    CYCLE_ROLES,
    SUBMITTERS,
    blueprint,
    cycle_or_404,
    kinds_for,
    submission_or_404,
)
from admin_web.cycle.forms import (
    AssignForm,
    RecusalForm,
    ReturnForm,
    ScoreFormBase,
    form_data,
    submission_form,
)
from admin_web.cycle.review import score_form_of
from feedback_api.models import Cycle, Submission, User
from feedback_api.models.reference import INDUSTRIES, SUBMISSION_KINDS
from feedback_api.services import cycle as svc
from feedback_api.services import files

bp = blueprint("cycle_submissions", __name__)


def _detail(submission_id: int) -> Response:
    return redirect(url_for("cycle_submissions.submission", submission_id=submission_id))


def _industry_choices(user: User) -> list[str]:
    if user.role == "office":
        return list(INDUSTRIES)
    return sorted({s.industry for s in user.scopes if s.industry})


def _make_form(user: User, cycle: Cycle, kind: str, **kwargs: Any) -> Any:
    # The registry's scope is also whom one may submit for (the service checks again).
    windows = [(w.code, f"{w.code} {w.unit.name} {w.name}")
               for w in svc.submittable_windows(user, kind)]
    standard = (svc.scoring_standard(cycle)
                if any(f.kind == "standard" for f in svc.SUBMISSION_FIELDS[kind]) else None)
    return submission_form(kind, windows, _industry_choices(user), standard, **kwargs)


def _submitted_message(sub: Submission) -> None:
    flash("已提交" + ("（已过截止日期，标记为逾期提交）" if sub.late else ""),
          "warning" if sub.late else "success")


def _save(user: User, cycle: Cycle, kind: str, form: Any, submission: Submission | None
          ) -> Response | None:
    """Save the draft and its attachments (committed), then submit if asked."""
    def change() -> Submission:
        sub = svc.save_draft(user, cycle, kind, form_data(form, kind), submission)
        for upload in form.attachments.data or []:
            if upload and getattr(upload, "filename", ""):
                svc.add_attachment(user, sub, upload.read(), upload.filename)
        return sub

    done = commit_or_flash(change, form=form)
    if done is None:
        return None
    sub = done.value
    if form.action.data != "submit":
        flash("草稿已保存", "success")
        return _detail(sub.id)
    if commit_or_flash(lambda: svc.submit(user, sub)) is None:
        flash("草稿已保存，补全后再提交", "warning")
        return redirect(url_for("cycle_submissions.edit", submission_id=sub.id))
    _submitted_message(sub)
    return _detail(sub.id)


def _form_page(form: Any, cycle: Cycle, kind: str, submission: Submission | None) -> str:
    return render_template("cycle/form.html", form=form, cycle=cycle, kind=kind,
                           submission=submission, fields=svc.SUBMISSION_FIELDS[kind],
                           deadline=svc.deadline(cycle, kind))


@bp.route("/<int:year>/new/<kind>", methods=["GET", "POST"])
@role_required(*SUBMITTERS)
def new(year: int, kind: str) -> Any:
    user = actor()
    cycle = cycle_or_404(year)
    if kind not in kinds_for(user):
        abort(404 if kind not in SUBMISSION_KINDS else 403)
    nothing = svc.nothing_to_submit(user, kind)
    if nothing:  # told why, not shown a form with an empty window list
        if request.method == "POST":
            flash(f"未保存：{nothing}", "error")
        return render_template("cycle/form.html", form=None, cycle=cycle, kind=kind, submission=None,
                               fields=[], deadline=svc.deadline(cycle, kind), nothing=nothing
                               ), 409 if request.method == "POST" else 200
    form = _make_form(user, cycle, kind)
    if form.validate_on_submit():
        done = _save(user, cycle, kind, form, None)
        if done is not None:
            return done
    return _form_page(form, cycle, kind, None)


@bp.route("/submissions/<int:submission_id>/edit", methods=["GET", "POST"])
@role_required(*SUBMITTERS)
def edit(submission_id: int) -> Any:
    user = actor()
    sub = submission_or_404(submission_id)
    if sub.state not in {"draft", "returned"} or sub.kind not in kinds_for(user):
        flash("该材料已提交，不能修改", "error")
        return _detail(sub.id)
    if request.method == "GET":
        form = _make_form(user, sub.cycle, sub.kind, formdata=None, data=dict(sub.data))
    else:
        form = _make_form(user, sub.cycle, sub.kind)
        if form.validate_on_submit():
            done = _save(user, sub.cycle, sub.kind, form, sub)
            if done is not None:
                return done
    return _form_page(form, sub.cycle, sub.kind, sub)


@bp.get("/submissions/<int:submission_id>")
@role_required(*CYCLE_ROLES)
def submission(submission_id: int) -> str:
    return submission_page(submission_id)


def submission_page(submission_id: int, *, recusal_form: RecusalForm | None = None,
                    withdrawal: dict[int, str] | None = None,
                    score_form: ScoreFormBase | None = None) -> str:
    """The submission's page; after a refusal, the form as typed: a recusal (``recusal_form``),
    a score (``score_form``) or a withdrawal's reason (``withdrawal``: assignment id to it)."""
    user = actor()
    sub = submission_or_404(submission_id)
    assign_form = None
    assignments: list[Any] = []
    experts = 0
    mine = None
    if sub.kind == "recommendation" and user.role == "office":
        assignments = svc.assignments_for(sub)
        if sub.state == "accepted":
            assign_form = AssignForm(formdata=None)
            taken = {a.expert_id for a in assignments}
            active = svc.list_experts()
            experts = len(active)
            # One who must recuse stays choosable: the refusal then says why.
            assign_form.experts.choices = [
                SelectChoice(str(e.id), e.display_name + ("（本单位，须回避）"
                                                          if svc.expert_conflict(e, sub) else ""))
                for e in active if e.id not in taken]
    if user.role == "expert":
        mine = next((a for a in svc.assignments_of(user, sub.cycle) if a.submission_id == sub.id),
                    None)
        if score_form is None:  # else the refused one, as typed
            score_form = score_form_of(sub, mine, formdata=None)
    return render_template(
        "cycle/submission.html", sub=sub, fields=svc.SUBMISSION_FIELDS[sub.kind],
        deadline=svc.deadline(sub.cycle, sub.kind), return_form=ReturnForm(formdata=None),
        can_edit=(sub.state in {"draft", "returned"} and sub.kind in kinds_for(user)
                  and (user.role != "office" or sub.author_id == user.id)),
        assign_form=assign_form, assignments=assignments, experts=experts, score_form=score_form,
        mine=mine, scores_locked=user.role == "expert" and svc.scores_locked(sub.id),
        conflicts=svc.assignment_conflicts(assignments),
        recusal_form=recusal_form or RecusalForm(formdata=None), withdrawal=withdrawal or {},
        scores_on_publicity=bool(assignments) and svc.scores_locked(sub.id),
        own_conflict=svc.expert_conflict(user, sub) if mine is not None else None,
        published=f"submission:{sub.id}" in svc.published_good_practice_sources())


@bp.get("/submissions/<int:submission_id>/print")
@role_required(*CYCLE_ROLES)
def print_view(submission_id: int) -> str:
    sub = submission_or_404(submission_id)
    return render_template("cycle/print.html", sub=sub, fields=svc.SUBMISSION_FIELDS[sub.kind])


@bp.post("/submissions/<int:submission_id>/submit")
@role_required(*SUBMITTERS)
def submit(submission_id: int) -> Response:
    sub = submission_or_404(submission_id)
    if commit_or_flash(lambda: svc.submit(actor(), sub)):
        _submitted_message(sub)
    return _detail(submission_id)


@bp.post("/submissions/<int:submission_id>/return")
@role_required("office")
def return_(submission_id: int) -> Response:
    sub = submission_or_404(submission_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        flash("请填写退回原因", "error")
    elif commit_or_flash(lambda: svc.return_submission(actor(), sub, form.reason.data)):
        flash("已退回修改", "success")
    return _detail(submission_id)


def _office_change(submission_id: int, change: Any, message: str) -> Response:
    sub = submission_or_404(submission_id)
    if commit_or_flash(lambda: change(actor(), sub)):
        flash(message, "success")
    return _detail(submission_id)


@bp.post("/submissions/<int:submission_id>/accept")
@role_required("office")
def accept(submission_id: int) -> Response:
    return _office_change(submission_id, svc.accept, "已受理")


@bp.post("/submissions/<int:submission_id>/publish")
@role_required("office")
def publish(submission_id: int) -> Response:
    return _office_change(submission_id, svc.publish_good_practice, "已发布到公开页面")


@bp.post("/submissions/<int:submission_id>/unpublish")
@role_required("office")
def unpublish(submission_id: int) -> Response:
    return _office_change(submission_id, svc.unpublish_good_practice, "已从公开页面撤下")


@bp.get("/submissions/<int:submission_id>/attachments/<int:attachment_id>")
@role_required(*CYCLE_ROLES)
def attachment(submission_id: int, attachment_id: int) -> Any:
    stored = found_or_404(lambda: svc.attachment_file(actor(), submission_id, attachment_id))
    try:
        return files.send(stored, inline=True)
    except FileNotFoundError:
        abort(404)
