"""The alert contacts (e-mail): the units' (差评, new tickets, the daily digest, programme
reminders), the industry authorities' (programme reminders) and the experts' (review
reminders). The office keeps them; a unit reads its own."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from admin_web.common import actor, commit_or_flash, role_required
from admin_web.ticket_forms import ContactForm
from feedback_api.models.reference import INDUSTRIES
from feedback_api.services import alert_contacts, units
from feedback_api.services import cycle as cycle_service

bp = Blueprint("contacts", __name__)


@bp.route("/alert-contacts", methods=["GET", "POST"])
@login_required
def index() -> Any:
    user = actor()
    visible = units.units_with_visible_windows(user)
    form = None
    experts = cycle_service.list_experts() if user.role == "office" else []
    if user.role == "office":
        form = ContactForm()
        form.unit.choices = [SelectChoice(u.code, f"{u.code} {u.name}") for u in visible] + [
            SelectChoice(f"industry:{code}", f"{name}行业主管部门") for code, name in INDUSTRIES.items()
        ] + [SelectChoice(f"expert:{e.username}", f"评审专家 {e.display_name or e.username}")
             for e in experts]
        if form.validate_on_submit():
            kind, _, code = form.unit.data.rpartition(":")
            industry = code if kind == "industry" else None
            expert = next(e for e in experts if e.username == code) if kind == "expert" else None
            unit = None if kind else next(u for u in visible if u.code == code)
            if commit_or_flash(lambda: alert_contacts.add_contact(
                    user, unit, form.email.data, form.name.data or "", industry=industry,
                    expert=expert), form=form):
                who = (unit.name if unit else f"评审专家 {expert.display_name or expert.username}"
                       if expert else f"{INDUSTRIES[industry or '']}行业主管部门")
                flash(f"已登记 {who} 的提醒邮箱", "success")
                return redirect(url_for("contacts.index"))
    # Industry authorities' addresses (programme reminders) are the office's list to keep.
    by_industry = alert_contacts.industry_contacts() if user.role == "office" else {}
    return render_template("tickets/contacts.html", units=visible, form=form,
                           by_unit=alert_contacts.contacts_by_unit(visible), industries=INDUSTRIES,
                           by_industry=by_industry, experts=experts,
                           by_expert=alert_contacts.expert_contacts() if experts else {},
                           smtp=bool(current_app.config.get("WW_SMTP_URL")))


@bp.post("/alert-contacts/<int:contact_id>/delete")
@role_required("office")
def delete(contact_id: int) -> Any:
    if commit_or_flash(lambda: alert_contacts.remove_contact(actor(), contact_id)):
        flash("已删除", "success")
    return redirect(url_for("contacts.index"))
