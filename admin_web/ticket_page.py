"""One ticket's page, shown as it is or again with a form the service or the form refused: that
form keeps what was typed, the page opens at it (each form posts to its own anchor) and a summary
at the top links there. Its forms post to two blueprints (tickets, ticket_links)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from admin_web.common import actor, found_or_404
from admin_web.feedback import NOT_CONFIGURED
from admin_web.ticket_forms import (
    AttachForm,
    CallbackForm,
    ReasonForm,
    RespondForm,
    TransferForm,
    VerdictForm,
)
from feedback_api.models import Ticket
from feedback_api.models.reference import ACTIVE_TICKET_STATES
from feedback_api.services import (
    answers,
    evidence_files,
    inspection_tickets,
    scope,
    ticket_clocks,
    ticket_links,
    ticket_loop,
    ticket_transfer,
    windows,
)
from feedback_api.services import feedback as feedback_service
from feedback_api.services import tickets as ticket_service


def ticket_or_404(ticket_id: int) -> Ticket:
    return found_or_404(lambda: ticket_service.get_ticket(actor(), ticket_id))


#: Each form's anchor (it posts there, so a refused form's page opens at it) and summary name.
FORM_ANCHORS = {"respond_form": ("respond-form", "整改情况表单"),
                "verdict_form": ("verdict-form", "核验表单"),
                "callback_form": ("callback-form", "回访登记表单"),
                "attach_form": ("attach-form", "关联评价表单"),
                "transfer_form": ("transfer-form", "转办表单"),
                "cancel_form": ("cancel-form", "撤销督办单表单")}


def render_ticket(ticket: Ticket, *, detached: int | None = None, **forms: Any) -> str:
    """The ticket page; a form passed in was submitted and refused: the summary links to it.
    A refused detach form (one per linked feedback) is ``detached``'s row's, the others blank."""
    running = ticket.state in ACTIVE_TICKET_STATES
    if not running:  # closed meanwhile: the notice says so, there is nothing to transfer
        forms.pop("transfer_form", None)
    failed_form = next((FORM_ANCHORS[k] for k in forms if k in FORM_ANCHORS), None)
    failed_detach = None
    if detached is not None and "detach_form" in forms:
        failed_detach = (detached, forms.pop("detach_form"))
        failed_form = (f"detach-{detached}", "解除关联表单")
    user = actor()
    supervisor = user.role in ticket_service.SUPERVISOR_ROLES
    if ticket.state == "open" and user.role in ticket_service.RESPONDER_ROLES:
        forms.setdefault("respond_form", RespondForm(formdata=None))
    if ticket.state == "responded" and supervisor:
        forms.setdefault("verdict_form", VerdictForm(formdata=None))
    # A cancelled ticket's clocks stopped: the service records no call-back on it.
    if supervisor and ticket.callback_due is not None and ticket.state != "cancelled":
        forms.setdefault("callback_form", CallbackForm(formdata=None))
    if supervisor and ticket.state == "open":  # an answered round takes no newcomer
        forms.setdefault("attach_form", AttachForm(formdata=None))
    if supervisor and running:
        forms.setdefault("detach_form", ReasonForm(formdata=None, prefix="detach"))
        forms.setdefault("transfer_form", TransferForm(formdata=None, prefix="transfer"))
    if running and user.role in ticket_links.CANCEL_ROLES:
        forms.setdefault("cancel_form", ReasonForm(formdata=None, prefix="cancel"))
    links = ticket_links.links_of(ticket)
    return render_template(
        "tickets/detail.html", ticket=ticket, clocks=[
            c for c in ticket_clocks.clocks(ticket)  # the call-back's is the agency's clock
            if c.name != "callback" or ticket_service.sees_callback_clock(user)],
        links=links, opens={link.feedback.id for link in links  # not another unit's (转办)
                            if scope.can_see_window(user, link.feedback.window)},
        fix_ratings=answers.fix_ratings([link.feedback for link in links]),
        visible_text=feedback_service.visible_text,
        files=evidence_files.files_of_rounds([r.id for r in ticket.rounds]),
        unread={r.id for r in ticket.rounds if not evidence_files.reads_round(user, r)},
        callbacks=ticket_service.callbacks_of(ticket.id) if supervisor else None,
        transfers=ticket_transfer.transferred_to(ticket),
        source_fixes=inspection_tickets.correction_notes(ticket),
        window_choices=windows.choices(user) if "transfer_form" in forms else [],
        failed_form=failed_form, failed_detach=failed_detach, **forms)


def verified_note(done: ticket_loop.Verified, *, wechat_ready: bool) -> str:
    """What the verifying clerk is told of the citizens: who will hear back in WeChat (and is
    asked to rate the fix), whose answer only staff see (no channel reaches them: the H5 page,
    an import), and that WeChat messages wait while its interface is not configured."""
    parts = []
    if done.messaged:
        parts.append(f"整改结果已作为单位答复发送给 {len(done.messaged)} 位群众"
                     f"{'并请其整改评价' if done.rerating_requested else ''}")
    unreached = len(done.answered) - len(done.messaged)
    if unreached:
        parts.append(f"{unreached} 条评价的群众无法通过微信联系，答复已存档")
    if done.messaged and not wechat_ready:
        parts.append(NOT_CONFIGURED)
    return "，" + "；".join(parts) if parts else ""
