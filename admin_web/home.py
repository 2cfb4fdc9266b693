"""The home page: the user's windows by status (now), their ratings (since the start), the running
supervision tickets and the latest feedback."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import login_required

from admin_web.common import actor
from feedback_api.services import desk, feedback_list, overview, workdays
from feedback_api.services import feedback as feedback_service

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> Any:
    user = actor()
    if user.role == "expert":  # it sees no windows: its work is the candidates assigned to it
        return redirect(url_for("cycle.index"))
    counts = overview.windows_by_status(user)
    recent, _ = feedback_list.list_feedback(user, page=1, per_page=8)
    # The reviewers' queue, counted as the desk's list of it counts.
    pending = (feedback_list.list_feedback(user, page=1, per_page=1, review_state="pending")[1]
               if user.role in desk.DESK_ROLES else None)
    return render_template("home/index.html", counts=counts, total_windows=sum(counts.values()),
                           ratings=overview.rating_summary(user), recent=recent,
                           tickets=overview.running_tickets(user), pending=pending,
                           holidays_missing=workdays.schedule_missing() if user.role == "office" else [],
                           visible_text=feedback_service.visible_text)


@bp.get("/favicon.ico")
def favicon() -> Any:
    """Browsers ask the site root for its icon on every page, signed in or not."""
    return current_app.send_static_file("favicon.ico")
