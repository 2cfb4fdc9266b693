"""Which feedback a ticket answers, where it goes, and cancelling one: a reviewer attaches a
feedback to a running ticket from the feedback's page, or detaches one from the ticket's page
(with a reason); the agency or the office transfers a ticket to another window (转办) with a
reason; the office cancels a ticket (已撤销) with a reason. Each form posts and comes back to its page; a
refused one on the ticket's page shows that page again, open at the form, as its other forms."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask_wtf import FlaskForm

from admin_web.common import actor, commit_or_flash, role_required
from admin_web.ticket_forms import AttachToTicketForm, ReasonForm, TransferForm
from admin_web.ticket_page import render_ticket, ticket_or_404
from feedback_api.services import ticket_links, ticket_open, ticket_transfer
from feedback_api.services import tickets as ticket_service

bp = Blueprint("ticket_links", __name__)

SUPERVISORS = tuple(ticket_service.SUPERVISOR_ROLES)


def _form_errors(form: FlaskForm) -> bool:
    """Flash the form's first error (a missing reason, a stale CSRF token); True if any."""
    if form.validate_on_submit():
        return False
    for errors in form.errors.values():
        flash(errors[0], "error")
        break
    else:
        flash("表单已失效，请刷新页面后重试", "error")
    return True


def _back_to_ticket(ticket_id: int) -> Any:
    return redirect(url_for("tickets.ticket_detail", ticket_id=ticket_id))


def _valid(form: FlaskForm) -> bool:
    """The reason's own errors show at the form; one without a field (a stale CSRF token) is
    flashed."""
    if form.validate_on_submit():
        return True
    if not form.reason.errors:
        _form_errors(form)
    return False


def _ticket_again(ticket_id: int, **forms: Any) -> Any:
    return render_ticket(ticket_or_404(ticket_id), **forms)


@bp.post("/tickets/<int:ticket_id>/detach/<int:feedback_id>")
@role_required(*SUPERVISORS)
def detach(ticket_id: int, feedback_id: int) -> Any:
    form = ReasonForm(prefix="detach")
    if _valid(form) and commit_or_flash(lambda: ticket_links.detach_feedback(
            actor(), ticket_id, feedback_id, form.reason.data), form=form):
        flash("已解除该评价与督办单的关联", "success")
        return _back_to_ticket(ticket_id)
    return _ticket_again(ticket_id, detach_form=form, detached=feedback_id)


@bp.post("/tickets/<int:ticket_id>/transfer")
@role_required(*SUPERVISORS)
def transfer(ticket_id: int) -> Any:
    form = TransferForm(prefix="transfer")
    if form.validate_on_submit():
        done = commit_or_flash(lambda: ticket_transfer.transfer(
            actor(), ticket_id, form.window.data, form.reason.data, round_no=form.round.data),
            form=form)
        if done:
            rnd = done.value
            flash(f"已转办至“{rnd.window.name}”（{rnd.window.unit.name}），第 {rnd.number} 轮整改截止 "
                  f"{rnd.due:%Y-%m-%d}", "success")
            return _back_to_ticket(ticket_id)
    elif not (form.window.errors or form.reason.errors):
        _form_errors(form)
    return _ticket_again(ticket_id, transfer_form=form)


@bp.post("/tickets/<int:ticket_id>/cancel")
@role_required(*ticket_links.CANCEL_ROLES)
def cancel(ticket_id: int) -> Any:
    form = ReasonForm(prefix="cancel")
    if _valid(form) and commit_or_flash(lambda: ticket_links.cancel_ticket(
            actor(), ticket_id, form.reason.data), form=form):
        flash("督办单已撤销，时限停止计算，不再计入考核", "success")
        return _back_to_ticket(ticket_id)
    return _ticket_again(ticket_id, cancel_form=form)


@bp.post("/feedback/<int:feedback_id>/attach-ticket")
@role_required(*SUPERVISORS)
def attach(feedback_id: int) -> Any:
    """From the feedback's page: attach it to a running ticket of its window."""
    form = AttachToTicketForm()
    if not _form_errors(form):
        done = commit_or_flash(lambda: ticket_open.attach_feedback(
            actor(), form.ticket_id.data, feedback_id))
        if done:
            flash("已关联到督办单", "success")
            return _back_to_ticket(done.value.ticket_id)
    return redirect(url_for("feedback.detail", feedback_id=feedback_id))
