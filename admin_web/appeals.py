"""Appeals (申诉): a unit appeals a rating it believes malicious or mistaken; the agency decides;
the office sees all appeals and each decision."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from admin_web.common import actor, commit_or_flash, found_or_404, paginate, role_required
from admin_web.ticket_forms import AppealForm, DecideForm, uploads
from feedback_api.models import Appeal
from feedback_api.models.reference import APPEAL_STATES
from feedback_api.services import appeals as appeal_service
from feedback_api.services import evidence_files, files
from feedback_api.services import feedback as feedback_service

bp = Blueprint("appeals", __name__)


@bp.get("/appeals")
@login_required
def index() -> str:
    state = request.args.get("state") or None
    filters = {"state": state if state in APPEAL_STATES else None,
               "window": (request.args.get("window") or "").strip() or None}
    page = paginate(partial(appeal_service.list_appeals, actor()), **filters)
    return render_template("tickets/appeals.html", page=page, filters=filters)


@bp.route("/appeals/new", methods=["GET", "POST"])
@files.request_limit(evidence_files.form_bytes)
@role_required(*appeal_service.FILER_ROLES)
def new() -> Any:
    user = actor()
    feedback_id = request.args.get("feedback", type=int) or 0
    item = found_or_404(lambda: feedback_service.get_feedback(user, feedback_id))
    form = AppealForm()
    if form.validate_on_submit():
        done = commit_or_flash(lambda: appeal_service.file_appeal(
            user, item.id, kind=form.kind.data, reason=form.reason.data,
            files=uploads(form.files)), form=form)
        if done:
            flash("申诉已提交，等待第三方机构裁定", "success")
            return redirect(url_for("appeals.detail", appeal_id=done.value.id))
    return render_template("tickets/appeal_new.html", form=form, item=item,
                           check=appeal_service.appealable(user, item),
                           text=feedback_service.visible_text(item, user))


def _appeal_or_404(appeal_id: int) -> Appeal:
    return found_or_404(lambda: appeal_service.get_appeal(actor(), appeal_id))


def _render(appeal: Appeal, form: DecideForm | None = None) -> str:
    user = actor()
    if form is None and appeal.state == "pending" and user.role in appeal_service.DECIDER_ROLES:
        form = DecideForm(formdata=None)
    return render_template("tickets/appeal_detail.html", appeal=appeal, form=form,
                           text=feedback_service.visible_text(appeal.feedback, user),
                           files=evidence_files.files_of_appeal(appeal.id))


@bp.get("/appeals/<int:appeal_id>")
@login_required
def detail(appeal_id: int) -> str:
    return _render(_appeal_or_404(appeal_id))


@bp.post("/appeals/<int:appeal_id>/decide")
@role_required(*appeal_service.DECIDER_ROLES)
def decide(appeal_id: int) -> Any:
    appeal = _appeal_or_404(appeal_id)
    form = DecideForm()
    if form.validate_on_submit():
        upheld = form.decision.data == "upheld"
        if commit_or_flash(lambda: appeal_service.decide_appeal(
                actor(), appeal.id, upheld=upheld, reason=form.reason.data), form=form):
            flash("已裁定" + ("：申诉成立，该评分不再计入统计" if upheld else "：申诉不成立"),
                  "success")
            return redirect(url_for("appeals.detail", appeal_id=appeal.id))
    return _render(_appeal_or_404(appeal_id), form)
