"""The home page: the user's windows by status, their ratings and the latest feedback."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from admin_web.common import actor
from feedback_api.services import feedback as feedback_service
from feedback_api.services import feedback_list, overview

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> str:
    user = actor()
    counts = overview.windows_by_status(user)
    recent, _ = feedback_list.list_feedback(user, page=1, per_page=8)
    return render_template("home/index.html", counts=counts, total_windows=sum(counts.values()),
                           ratings=overview.rating_summary(user), recent=recent,
                           visible_text=feedback_service.visible_text)
