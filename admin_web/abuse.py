"""刷票监测: the ballot-stuffing findings of the last days, computed on demand, each with the
feedback involved, for the agency and the office to mark invalid with a reason."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from admin_web.common import actor, commit_or_flash, role_required
from admin_web.forms import EmptyForm
from analytics import abuse
from feedback_api.services.errors import ValidationError

bp = Blueprint("abuse", __name__, url_prefix="/abuse")

REVIEWERS = ("agency", "office")


@bp.get("")
@role_required(*REVIEWERS)
def index() -> str:
    thresholds = abuse.Thresholds()
    findings = abuse.find(thresholds=thresholds)
    lines = abuse.lines([fid for f in findings for fid in f.feedback_ids])
    return render_template("abuse/index.html", findings=findings, lines=lines,
                           t=thresholds, form=EmptyForm(),
                           invalid_ids={i for i, line in lines.items()
                                        if line.review_state == "invalid"})


@bp.post("/invalid")
@role_required(*REVIEWERS)
def mark_invalid() -> Response:
    if not EmptyForm().validate_on_submit():
        flash("页面已过期，请重试", "error")
        return redirect(url_for("abuse.index"))
    try:
        ids = abuse.parse_ids(request.form.get("ids", ""))
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(url_for("abuse.index"))
    done = commit_or_flash(lambda: abuse.mark_invalid(
        actor(), ids, request.form.get("kind", ""), request.form.get("reason", "")))
    if done is not None:
        flash(f"已将 {done.value} 条评价标记为无效，不再计入考核", "success")
    return redirect(url_for("abuse.index"))
