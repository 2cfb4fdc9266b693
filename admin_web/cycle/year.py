"""The programme year: its phases and deadlines (the office sets the dates), the status of every
submission per authority, and the next deadline in every page's navigation."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from admin_web.common import actor, commit_or_flash, paginate, role_required
from admin_web.cycle import CYCLE_ROLES, blueprint, cycle_or_404, form_errors, kinds_for
from admin_web.cycle.forms import CycleForm, PhaseForm
from feedback_api.models.reference import CYCLE_PHASES, INDUSTRIES, SUBMISSION_KINDS
from feedback_api.services import cycle as svc
from feedback_api.services import cycle_listings as listings

bp = blueprint("cycle", __name__)


@bp.get("/")
@role_required(*CYCLE_ROLES)
def index() -> Any:
    cycle = svc.current_cycle()
    if cycle is None:
        return render_template("cycle/none.html",
                               form=CycleForm() if actor().role == "office" else None)
    return redirect(url_for("cycle.year", year=cycle.year))


@bp.post("/new")
@role_required("office")
def create() -> Any:
    form = CycleForm()
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
        return redirect(url_for("cycle.index"))
    done = commit_or_flash(lambda: svc.create_cycle(actor(), form.year.data))
    if done is None:
        return redirect(url_for("cycle.index"))
    flash(f"已建立 {done.value.year} 年度，各阶段日期按工作方案默认设置，可调整", "success")
    return redirect(url_for("cycle.year", year=done.value.year))


@bp.get("/<int:year>")
@role_required(*CYCLE_ROLES)
def year(year: int) -> str:
    user = actor()
    cycle = cycle_or_404(year)
    office = user.role == "office"
    phase_forms = {p.kind: PhaseForm(formdata=None, kind=p.kind, starts_on=p.starts_on,
                                     ends_on=p.ends_on, prefix=p.kind)
                   for p in cycle.phases} if office else {}
    return render_template(
        "cycle/year.html", cycle=cycle, cycles=svc.list_cycles(),
        page=paginate(partial(listings.page_submissions, user, year=cycle.year)),
        kinds=kinds_for(user),
        nothing={k: svc.nothing_to_submit(user, k) for k in kinds_for(user)},
        deadlines={k: svc.deadline(cycle, k) for k in SUBMISSION_KINDS}, phase_forms=phase_forms,
        new_cycle_form=CycleForm(formdata=None) if office else None,
        reminders=svc.reminders(cycle)[:20] if office else [],
        assignments=svc.assignments_of(user, cycle) if user.role == "expert" else [])


def _date_errors(form: PhaseForm, phase: str) -> str:
    """An empty date is asked for, a malformed one told the format (not the other way round)."""
    out = []
    for field, what in ((form.starts_on, "开始日期"), (form.ends_on, "截止日期")):
        if not field.errors:
            continue
        typed = (field.raw_data or [""])[0].strip()
        out.append(f"{phase}{what}格式应为 YYYY-MM-DD" if typed else f"请填写{phase}{what}")
    return "；".join(out) or form_errors(form)  # else the CSRF token or the kind


@bp.post("/<int:year>/phases/<kind>")
@role_required("office")
def phase_dates(year: int, kind: str) -> Any:
    cycle = cycle_or_404(year)
    form = PhaseForm(prefix=kind)
    if not form.validate_on_submit():
        flash(_date_errors(form, CYCLE_PHASES.get(kind, "")), "error")
    elif commit_or_flash(lambda: svc.set_phase_dates(actor(), cycle, kind, form.starts_on.data,
                                                     form.ends_on.data)):
        flash(f"已调整{CYCLE_PHASES.get(kind, kind)}日期", "success")
    return redirect(url_for("cycle.year", year=year))


@bp.get("/<int:year>/status")
@role_required("office", "authority")
def status(year: int) -> str:
    cycle = cycle_or_404(year)
    return render_template("cycle/status.html", cycle=cycle,
                           board=svc.status_board(actor(), cycle),
                           deadlines={k: svc.deadline(cycle, k) for k in SUBMISSION_KINDS},
                           INDUSTRIES=INDUSTRIES)


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
