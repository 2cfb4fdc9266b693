"""The office's holiday calendar: holidays and make-up working days (调休) that every
working-day clock of the tickets and appeals counts with."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from admin_web.common import actor, commit_or_flash, role_required
from admin_web.ticket_forms import CalendarForm
from feedback_api.services import workdays

bp = Blueprint("calendar", __name__)


@bp.route("/calendar", methods=["GET", "POST"])
@role_required("office")
def index() -> Any:
    year = request.args.get("year", type=int) or workdays.local_today().year
    year = min(max(year, 2000), 2100)
    form = CalendarForm()
    if form.validate_on_submit():
        day = form.day.data
        workday = {"holiday": False, "workday": True}.get(form.kind.data)
        if commit_or_flash(lambda: workdays.set_day(actor(), day, workday=workday,
                                                    name=form.name.data or ""), form=form):
            flash(f"{day:%Y-%m-%d} 已设置", "success")
            return redirect(url_for("calendar.index", year=day.year))
    return render_template("tickets/calendar.html", form=form, year=year,
                           days=workdays.list_days(year), missing=workdays.schedule_missing(),
                           builtin_until=workdays.builtin_until())
