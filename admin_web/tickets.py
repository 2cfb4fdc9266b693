"""Supervision tickets (督办单): the agency's and the office's desk (with its Excel export), the
unit's inbox, a ticket with its rounds and clocks, the unit's response with evidence, verify /
send back, call-backs, attaching feedback, and opening a ticket from a feedback or a window.
Appeals, the holiday calendar and the alert contacts have their own modules."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from admin_web.common import (
    XLSX,
    actor,
    commit_or_flash,
    download,
    found_or_404,
    name_file,
    paginate,
    role_required,
)
from admin_web.feedback import wechat_ready
from admin_web.ticket_forms import (
    AttachForm,
    AttachToTicketForm,
    CallbackForm,
    OpenTicketForm,
    RespondForm,
    VerdictForm,
    uploads,
)
from admin_web.ticket_page import render_ticket, ticket_or_404, verified_note
from feedback_api.models import Feedback, Ticket
from feedback_api.models.reference import (
    APPEAL_KINDS,
    APPEAL_STATES,
    CALLBACK_OUTCOMES,
    CLOCK_STATES,
    ROUND_VERDICTS,
    TICKET_SOURCES,
    TICKET_STATES,
    TOPICS,
)
from feedback_api.services import appeals as appeal_service
from feedback_api.services import (
    evidence_files,
    files,
    ticket_clocks,
    ticket_export,
    ticket_links,
    ticket_loop,
    ticket_open,
    windows,
    workdays,
)
from feedback_api.services import feedback as feedback_service
from feedback_api.services import tickets as ticket_service

bp = Blueprint("tickets", __name__)

SUPERVISORS = tuple(ticket_service.SUPERVISOR_ROLES)
RESPONDERS = tuple(ticket_service.RESPONDER_ROLES)


# Shared with other templates: the ticket and appeal of a feedback, on its page.

@bp.app_context_processor
def _ticket_helpers() -> dict[str, Any]:
    return {"ticket_panel": _feedback_panel, "upheld_appeal": _upheld_appeal,
            "TICKET_STATES": TICKET_STATES,
            "TICKET_SOURCES": TICKET_SOURCES, "APPEAL_KINDS": APPEAL_KINDS,
            "APPEAL_STATES": APPEAL_STATES, "CLOCK_STATES": CLOCK_STATES,
            "ROUND_VERDICTS": ROUND_VERDICTS, "CALLBACK_OUTCOMES": CALLBACK_OUTCOMES}


@bp.app_context_processor
def _agency_next_callback() -> dict[str, Any]:
    def agency_next_callback() -> str:
        """The agency's nav reminder of its next call-back deadline, e.g. "回访 12月8日截止"
        (one indexed query; the agency's own deadlines are its call-backs to citizens)."""
        if not current_user.is_authenticated or current_user.role != "agency":
            return ""
        due = ticket_clocks.next_callback_due()
        return f"回访 {due.month}月{due.day}日截止" if due else ""
    return {"agency_next_callback": agency_next_callback}


def _upheld_appeal(item: Feedback) -> bool:
    appeal = appeal_service.appeal_of(item.id)
    return appeal is not None and appeal.state == "upheld"


def _feedback_panel(item: Feedback) -> dict[str, Any]:
    user = actor()
    ticket = ticket_service.ticket_of_feedback(item.id)
    appeal = appeal_service.appeal_of(item.id)
    # A cancelled ticket's complaint may be ticketed again (it moves to the new ticket).
    free = ticket is None or ticket.state == "cancelled"
    running = ticket_links.running_tickets(user, item) if free else []
    return {"ticket": ticket, "running": running,
            "attach_form": AttachToTicketForm(formdata=None) if running else None,
            "can_open": free and user.role in ticket_service.SUPERVISOR_ROLES,
            "appeal": appeal,
            "appealable": appeal_service.appealable(user, item) if appeal is None else None}


# Lists.

def _callback_column(items: list[Ticket]) -> dict[str, Any]:
    """The call-back clocks of a list, for those who see them (``sees_callback_clock``)."""
    shown = ticket_service.sees_callback_clock(actor())
    return {"show_callback": shown,
            "callback_clocks": ticket_clocks.callback_clocks(items) if shown else {}}

def _ticket_filters() -> dict[str, Any]:
    state = request.args.get("state") or None
    overdue = request.args.get("overdue")
    topic = request.args.get("topic")
    # The call-backs to do are the agency's (and the office's) clock, not a unit's.
    callback = ("pending" if request.args.get("callback") == "pending"
                and ticket_service.sees_callback_clock(actor()) else None)
    return {"window": (request.args.get("window") or "").strip() or None,
            "unit": (request.args.get("unit") or "").strip() or None, "callback": callback,
            "state": state if state in TICKET_STATES or state == "active" else None,
            "overdue": True if overdue == "1" else False if overdue == "0" else None,
            "topic": topic if topic in TOPICS else None}


@bp.get("/tickets")
@login_required
def desk() -> str:
    """The desk of tickets in the user's scope, with filters and pages."""
    filters = _ticket_filters()
    page = paginate(partial(ticket_service.list_tickets, actor()), **filters)
    return render_template("tickets/list.html", page=page, filters=filters, inbox=False,
                           fix_clocks=ticket_clocks.fix_clocks(page.items),
                           **_callback_column(page.items),
                           can_open=actor().role in ticket_service.SUPERVISOR_ROLES,
                           export_cap=ticket_export.MAX_EXPORT
                           if ticket_export.over_cap(page.total) else None)


@bp.get("/tickets/export.xlsx")
@login_required
def export() -> Response:
    """The desk's tickets (its filters applied) as an Excel workbook."""
    body = ticket_export.export_xlsx(actor(), **_ticket_filters())
    stamp = workdays.local_today().strftime("%Y%m%d")
    return download(body, XLSX, f"督办单-{stamp}.xlsx", fallback=f"tickets-{stamp}.xlsx")


@bp.get("/tickets/repeated")
@login_required
def repeated() -> str:
    """Windows whose same problem was pushed three rounds in a row without completion within
    the last year (the delisting rule's question), within the user's scope."""
    return render_template("tickets/repeated.html",
                           rows=ticket_clocks.repeated_in_scope(actor()))


@bp.get("/tickets/inbox")
@login_required
def inbox() -> str:
    """A unit's running tickets, the nearest deadline first, a page at a time, and the 差评 it
    may still appeal."""
    user = actor()
    page = paginate(partial(ticket_service.inbox, user))
    return render_template("tickets/list.html", page=page, filters={}, inbox=True, can_open=False,
                           fix_clocks=ticket_clocks.fix_clocks(page.items),
                           **_callback_column(page.items),
                           appealable=appeal_service.open_for_appeal(user),
                           visible_text=feedback_service.visible_text)


# One ticket.

@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket_detail(ticket_id: int) -> str:
    return render_ticket(ticket_or_404(ticket_id))


def _to_ticket(message: str, ticket_id: int) -> Any:
    flash(message, "success")
    return redirect(url_for("tickets.ticket_detail", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/respond")
@files.request_limit(evidence_files.form_bytes)
@role_required(*RESPONDERS)
def respond(ticket_id: int) -> Any:
    ticket = ticket_or_404(ticket_id)
    form = RespondForm()
    if form.validate_on_submit() and commit_or_flash(lambda: ticket_loop.respond(
            actor(), ticket.id, form.text.data, uploads(form.files), round_no=form.round.data),
            form=form):
        return _to_ticket("整改情况已提交，等待第三方机构核验", ticket_id)
    return render_ticket(ticket_or_404(ticket_id), respond_form=form)


def _verify(ticket_id: int, reason: str, round_no: int | None) -> str:
    done = ticket_loop.verify(actor(), ticket_id, reason, round_no=round_no)
    return "已核验办结" + verified_note(done, wechat_ready=wechat_ready())


def _send_back(ticket_id: int, reason: str, round_no: int | None) -> str:
    rnd = ticket_loop.send_back(actor(), ticket_id, reason, round_no=round_no)
    return f"已退回，第 {rnd.number} 轮督办截止 {rnd.due:%Y-%m-%d}"


@bp.post("/tickets/<int:ticket_id>/verdict")
@role_required(*SUPERVISORS)
def verdict(ticket_id: int) -> Any:
    ticket = ticket_or_404(ticket_id)
    form = VerdictForm()
    action = {"verify": _verify, "send_back": _send_back}.get(request.form.get("action", ""))
    if action is None:
        form.validate_on_submit()
        form.reason.errors = [*form.reason.errors, "请选择核验办结或退回重办"]
    elif form.validate_on_submit():
        done = commit_or_flash(lambda: action(ticket.id, form.reason.data or "", form.round.data),
                               form=form)
        if done:
            return _to_ticket(done.value, ticket_id)
    return render_ticket(ticket_or_404(ticket_id), verdict_form=form)


@bp.post("/tickets/<int:ticket_id>/callback")
@role_required(*SUPERVISORS)
def callback(ticket_id: int) -> Any:
    ticket = ticket_or_404(ticket_id)
    form = CallbackForm()
    if form.validate_on_submit() and commit_or_flash(lambda: ticket_loop.record_callback(
            actor(), ticket.id, called_at=form.called_at.data.replace(tzinfo=feedback_service.LOCAL_TZ),
            outcome=form.outcome.data, note=form.note.data or ""), form=form):
        return _to_ticket("回访已登记", ticket_id)
    return render_ticket(ticket_or_404(ticket_id), callback_form=form)


def _attach(ticket_id: int, receipt_no: str) -> Feedback:
    item = feedback_service.get_by_receipt(receipt_no.strip().upper())
    ticket_open.attach_feedback(actor(), ticket_id, item.id)
    return item


@bp.post("/tickets/<int:ticket_id>/attach")
@role_required(*SUPERVISORS)
def attach(ticket_id: int) -> Any:
    ticket = ticket_or_404(ticket_id)
    form = AttachForm()
    if form.validate_on_submit():
        done = commit_or_flash(lambda: _attach(ticket.id, form.receipt_no.data or ""), form=form)
        if done:
            return _to_ticket(f"已关联评价 {done.value.receipt_no}", ticket_id)
    return render_ticket(ticket_or_404(ticket_id), attach_form=form)


@bp.route("/tickets/new", methods=["GET", "POST"])
@role_required(*SUPERVISORS)
def ticket_new() -> Any:
    """Open a ticket: from a feedback (``?feedback=ID``), or by the office / from an inspection."""
    user = actor()
    feedback_id = request.args.get("feedback", type=int)
    item = (found_or_404(lambda: feedback_service.get_feedback(user, feedback_id))
            if feedback_id is not None else None)
    form = OpenTicketForm()
    if item is not None:  # the window and the source come from the feedback
        del form.window, form.source, form.source_ref
    if request.method == "GET":
        if item is not None:
            form.topic.data = ticket_open.default_topic(item)
            form.problem.data = ticket_open.default_problem(item)
        else:
            form.window.data = request.args.get("window", "")
    duplicates: list[Any] = []

    def _open() -> Any:
        # A running ticket on the window and topic is shown; 仍然新建 opens, for the window and
        # topic it was shown for only (the form may have changed since).
        code = item.window.code if item is not None else (form.window.data or "").strip()
        check = request.form.get("force") != f"{code}|{form.topic.data}"
        try:
            if item is not None:
                return ticket_open.open_from_feedback(user, item.id, topic=form.topic.data,
                                                      problem=form.problem.data, check_duplicates=check)
            return ticket_open.open_on_window(
                user, form.window.data or "", topic=form.topic.data, problem=form.problem.data,
                source=form.source.data, source_ref=form.source_ref.data or "", check_duplicates=check)
        except ticket_open.DuplicateTicket as exc:
            duplicates.extend(exc.tickets)
            raise

    if form.validate_on_submit():
        done = commit_or_flash(_open, form=form)
        if done:
            ticket = done.value
            return _to_ticket(f"已开督办单 {ticket.number}，整改截止 {ticket.fix_due:%Y-%m-%d}",
                              ticket.id)
    return render_template("tickets/new.html", form=form, item=item, duplicates=duplicates,
                           confirm=f"{duplicates[0].window.code}|{form.topic.data}" if duplicates else "",
                           text=feedback_service.visible_text(item, user) if item else None,
                           windows=[] if item else windows.choices(user))


@bp.get("/tickets/files/<int:file_id>")
@login_required
def evidence_file(file_id: int) -> Any:
    """An evidence file of a response or an appeal, only for users who may see its window."""
    _row, stored = found_or_404(lambda: evidence_files.get_for(actor(), file_id))
    suffix = stored.filename.rpartition(".")[2] if "." in stored.filename else ""
    return name_file(files.send(stored, inline=True), stored.filename,
                     fallback=f"evidence-{file_id}{'.' + suffix if suffix else ''}")
