"""Publicity (公示) of the review results, the objections received and answered, and the award
of the title once the period is over."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from admin_web.common import actor, commit_or_flash, found_or_404, role_required
from admin_web.cycle import blueprint, cycle_or_404, form_errors
from admin_web.cycle.forms import AnswerObjectionForm, ObjectionForm, PublicityForm
from feedback_api.models import Cycle, PublicityEntry
from feedback_api.services import cycle as svc

bp = blueprint("cycle_publicity", __name__)
#: The period the form offers once the plan's publicity phase is over (公示期 at least 5 working days).
PUBLICITY_DAYS = 7


def _page(year: int) -> Response:
    return redirect(url_for("cycle_publicity.publicity", year=year))


def _publicity_form(cycle: Cycle, **kwargs: object) -> PublicityForm:
    form = PublicityForm(**kwargs)
    form.candidates.choices = [
        SelectChoice(str(r.submission.id), f"{r.submission.window.name}（{r.mean:.2f}）")
        for r in svc.publicity_candidates(cycle)]
    return form


@bp.get("/<int:year>/publicity")
@role_required("office")
def publicity(year: int) -> str:
    return _render(cycle_or_404(year))


def _render(cycle: Cycle, form: PublicityForm | None = None, *,
            objection_forms: dict[int, ObjectionForm] | None = None,
            answer_forms: dict[int, AnswerObjectionForm] | None = None) -> str:
    """The page; a form sent with an error comes back (opened) in the one entry's or objection's
    place it was sent from, with what the office typed."""
    publicities = svc.publicities(cycle)
    if form is None:
        phase = cycle.phase("publicity")
        starts_on, ends_on = (phase.starts_on, phase.ends_on) if phase else (None, None)
        today = svc.local_today()
        if ends_on is None or ends_on < today:  # the plan's phase is over: a week from today
            starts_on, ends_on = today, today + timedelta(days=PUBLICITY_DAYS)
        form = _publicity_form(cycle, formdata=None, starts_on=starts_on, ends_on=ends_on)
        # Ticked: the candidates not on an earlier list (one whose objection was upheld there
        # goes up again only if the office picks it).
        shown = {str(e.submission_id) for p in publicities for e in p.entries}
        form.candidates.data = [c.value for c in form.candidates.choices if c.value not in shown]
    return render_template("cycle/publicity.html", cycle=cycle, form=form,
                           publicities=publicities, running=svc.running_publicity(cycle),
                           objection_form=ObjectionForm(formdata=None, received_on=svc.local_today()),
                           objection_forms=objection_forms or {},
                           answer_form=AnswerObjectionForm(formdata=None),
                           answer_forms=answer_forms or {})


@bp.post("/<int:year>/publicity")
@role_required("office")
def open_publicity(year: int) -> Response | str:
    cycle = cycle_or_404(year)
    form = _publicity_form(cycle)
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
    elif commit_or_flash(lambda: svc.open_publicity(
            actor(), cycle, form.starts_on.data, form.ends_on.data,
            [int(x) for x in form.candidates.data], form.notice.data or "")):
        flash("公示已发布", "success")
        return _page(year)
    return _render(cycle, form)  # what the office typed stays in the form


def _entry_or_404(entry_id: int) -> PublicityEntry:
    return found_or_404(lambda: svc.get_entry(entry_id))


@bp.post("/entries/<int:entry_id>/objections")
@role_required("office")
def record_objection(entry_id: int) -> Response | str:
    entry = _entry_or_404(entry_id)
    cycle = entry.publicity.cycle
    form = ObjectionForm()
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
    elif commit_or_flash(lambda: svc.record_objection(
            actor(), entry, form.text.data, channel=form.channel.data or "",
            received_on=form.received_on.data)):
        flash("异议已登记", "success")
        return _page(cycle.year)
    return _render(cycle, objection_forms={entry.id: form})  # what was typed stays


@bp.post("/objections/<int:objection_id>/answer")
@role_required("office")
def answer_objection(objection_id: int) -> Response | str:
    objection = found_or_404(lambda: svc.get_objection(objection_id))
    cycle = objection.entry.publicity.cycle
    form = AnswerObjectionForm()
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
    elif commit_or_flash(lambda: svc.answer_objection(actor(), objection, form.outcome.data,
                                                      form.answer.data)):
        flash("异议已答复", "success")
        return _page(cycle.year)
    return _render(cycle, answer_forms={objection.id: form})  # what was typed stays


@bp.post("/entries/<int:entry_id>/award")
@role_required("office")
def award(entry_id: int) -> Response:
    entry = _entry_or_404(entry_id)
    year = entry.publicity.cycle.year
    done = commit_or_flash(lambda: svc.award(actor(), entry))
    if done:
        flash(f"{done.value.name} 已命名为 {year} 年度示范窗口", "success")
    return _page(year)
