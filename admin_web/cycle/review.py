"""The expert review: the office assigns experts to accepted recommendations, each expert scores
the candidates assigned to it, the office reads the results (mean, outliers) and exports them;
the recommendation forms and the ledger go out as Excel."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from admin_web.common import XLSX, actor, commit_or_flash, download, found_or_404, role_required
from admin_web.cycle import blueprint, cycle_or_404, form_errors, submission_or_404
from admin_web.cycle.forms import AssignForm, RecusalForm, ScoreFormBase, score_form
from feedback_api.models import ExpertAssignment, Submission
from feedback_api.services import cycle as svc
from feedback_api.services import cycle_exports, ledger

bp = blueprint("cycle_review", __name__)


def _detail(submission_id: int) -> Response:
    return redirect(url_for("cycle_submissions.submission", submission_id=submission_id))


def _refused(submission_id: int, **typed: Any) -> tuple[str, int]:
    """The submission's page again, the refused reason or score still in its form (a redirect
    lost it)."""
    from admin_web.cycle.submissions import submission_page  # it imports this module

    return submission_page(submission_id, **typed), 400


@bp.post("/submissions/<int:submission_id>/assign")
@role_required("office")
def assign(submission_id: int) -> Response:
    sub = submission_or_404(submission_id)
    form = AssignForm()
    experts = {str(e.id): e for e in svc.list_experts()}
    form.experts.choices = [SelectChoice(k, e.display_name) for k, e in experts.items()]
    if not form.validate_on_submit():
        flash("请选择评审专家", "error")
    elif commit_or_flash(lambda: [svc.assign_expert(actor(), sub, experts[key])
                                  for key in form.experts.data]):
        flash(f"已分配 {len(form.experts.data)} 位评审专家", "success")
    return _detail(submission_id)


@bp.post("/submissions/<int:submission_id>/recuse")
@role_required("expert")
def recuse(submission_id: int) -> Response | tuple[str, int]:
    """The expert declares a conflict (申请回避): the candidate leaves their review at once."""
    sub = submission_or_404(submission_id)
    form = RecusalForm()
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
    elif commit_or_flash(lambda: svc.declare_recusal(actor(), sub, form.reason.data or "")):
        flash(f"已申请回避：{sub.title} 不再由您评审，区联席办将另行分配专家", "success")
        return redirect(url_for("cycle_review.scoring", year=sub.cycle.year))
    return _refused(submission_id, recusal_form=form)


@bp.post("/assignments/<int:assignment_id>/withdraw")
@role_required("office")
def withdraw(assignment_id: int) -> Response | tuple[str, int]:
    """The office withdraws an assignment that conflicts (回避); it stays on record."""
    assignment = found_or_404(lambda: svc.get_assignment(assignment_id))
    form = RecusalForm()
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
    elif commit_or_flash(lambda: svc.withdraw_assignment(actor(), assignment,
                                                         form.reason.data or "")):
        flash(f"已撤回 {assignment.expert.display_name} 的评审分配（回避），可另行分配专家", "success")
        return _detail(assignment.submission_id)
    return _refused(assignment.submission_id,
                    withdrawal={assignment.id: form.reason.data or ""})


def score_form_of(sub: Submission, mine: ExpertAssignment | None, **kwargs: Any) -> ScoreFormBase:
    """The expert's form for ``sub``: its year's indicators, with the points already given."""
    form = score_form(svc.scoring_standard(sub.cycle), mine.items if mine else None, **kwargs)
    if mine is not None and kwargs.get("formdata", True) is None:
        form.comment.data = mine.comment
    return form


@bp.post("/submissions/<int:submission_id>/score")
@role_required("expert")
def score(submission_id: int) -> Response | tuple[str, int]:
    sub = submission_or_404(submission_id)
    form = score_form_of(sub, None)
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
    elif commit_or_flash(lambda: svc.score(actor(), sub, form.item_scores(),
                                           comment=form.comment.data or "")):
        flash("评分已保存", "success")
        return redirect(url_for("cycle_review.scoring", year=sub.cycle.year))
    return _refused(submission_id, score_form=form)


@bp.get("/<int:year>/scoring")
@role_required("expert")
def scoring(year: int) -> str:
    cycle = cycle_or_404(year)
    return render_template("cycle/scoring.html", cycle=cycle,
                           assignments=svc.assignments_of(actor(), cycle))


@bp.get("/<int:year>/review")
@role_required("office")
def review(year: int) -> str:
    cycle = cycle_or_404(year)
    return render_template("cycle/review.html", cycle=cycle, results=svc.review_results(cycle),
                           points=svc.OUTLIER_POINTS)


@bp.get("/<int:year>/recommendations.xlsx")
@role_required("office", "authority")
def recommendations_xlsx(year: int) -> Any:
    user = actor()
    cycle = cycle_or_404(year)
    subs = [s for s in svc.list_submissions(user, cycle, kind="recommendation")
            if s.state != "draft"]
    body = cycle_exports.recommendations_xlsx(cycle, subs, ledger.all_windows(user))
    return download(body, XLSX, f"{year}年度行业推荐表.xlsx",
                    fallback=f"recommendations-{year}.xlsx")


@bp.get("/<int:year>/review.xlsx")
@role_required("office")
def review_xlsx(year: int) -> Any:
    cycle = cycle_or_404(year)
    return download(cycle_exports.review_xlsx(cycle, svc.review_results(cycle)), XLSX,
                    f"{year}年度评审结果.xlsx", fallback=f"review-{year}.xlsx")


@bp.get("/<int:year>/review.pdf")
@role_required("office")
def review_pdf(year: int) -> Any:
    cycle = cycle_or_404(year)
    return download(cycle_exports.review_pdf(cycle, svc.review_results(cycle)),
                    "application/pdf", f"{year}年度评审结果.pdf", fallback=f"review-{year}.pdf")
