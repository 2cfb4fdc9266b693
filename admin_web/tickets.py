"""Pages of supervision tickets (督办单) and appeals (申诉): the agency's and the office's desk,
a ticket with its rounds and clocks, the unit's inbox and response with evidence, verify / send
back, call-backs, opening a ticket from a feedback, appeals, and the office's holiday calendar."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from werkzeug.datastructures import FileStorage
from wtforms import DateField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from feedback_api.api.params import MAX_PAGE
from feedback_api.db import Session
from feedback_api.models import Feedback, Ticket, Window
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
from feedback_api.services import evidence_files, scope, workdays
from feedback_api.services import feedback as feedback_service
from feedback_api.services import tickets as ticket_service
from feedback_api.services.errors import NotFound, ServiceError

bp = Blueprint("tickets", __name__, url_prefix="")

F = TypeVar("F", bound=Callable[..., Any])
PER_PAGE = 20


def _roles(*roles: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorator


def _user() -> Any:
    return current_user._get_current_object()


def _page() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def _uploads(field: MultipleFileField) -> list[evidence_files.Upload]:
    out = []
    for f in field.data or []:
        if isinstance(f, FileStorage) and f.filename:
            out.append(evidence_files.Upload(f.filename, f.read()))
    return out


# Forms (CSRF on every POST).

_TOPIC_CHOICES = [SelectChoice(k, v) for k, v in TOPICS.items()]
_TEXT = "请填写{}"


class OpenTicketForm(FlaskForm):
    window = StringField("窗口编号", validators=[Optional(), Length(max=64)])
    topic = SelectField("问题类别", choices=_TOPIC_CHOICES, invalid_choice_message="未知的问题类别")
    source = SelectField("来源", choices=[SelectChoice("office", TICKET_SOURCES["office"]),
                                        SelectChoice("inspection", TICKET_SOURCES["inspection"])],
                         invalid_choice_message="所选项无效")
    source_ref = StringField("来源编号（如检查记录编号）", validators=[Optional(), Length(max=200)])
    problem = TextAreaField("整改要求", validators=[
        DataRequired(_TEXT.format("整改要求")),
        Length(max=ticket_service.MAX_PROBLEM, message="整改要求过长")])


class RespondForm(FlaskForm):
    text = TextAreaField("整改情况", validators=[
        DataRequired(_TEXT.format("整改情况")),
        Length(max=ticket_service.MAX_RESPONSE,
               message=f"整改情况不能超过 {ticket_service.MAX_RESPONSE} 字")])
    files = MultipleFileField("证明材料（图片或 PDF）")


class VerdictForm(FlaskForm):
    reason = TextAreaField("核验意见 / 退回理由", validators=[
        Optional(), Length(max=ticket_service.MAX_REASON, message="内容过长")])


class CallbackForm(FlaskForm):
    called_at = DateTimeLocalField("回访时间", format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired("请填写回访时间")])
    outcome = SelectField("回访结果", choices=[SelectChoice(k, v) for k, v in CALLBACK_OUTCOMES.items()],
                          invalid_choice_message="所选项无效")
    note = TextAreaField("回访情况", validators=[Optional(), Length(max=ticket_service.MAX_REASON)])


class AttachForm(FlaskForm):
    receipt_no = StringField("受理编号", validators=[DataRequired("请填写受理编号"), Length(max=32)])


class AppealForm(FlaskForm):
    kind = SelectField("申诉类型", choices=[SelectChoice(k, v) for k, v in APPEAL_KINDS.items()],
                       invalid_choice_message="所选项无效")
    reason = TextAreaField("申诉理由", validators=[
        DataRequired(_TEXT.format("申诉理由")), Length(max=appeal_service.MAX_REASON)])
    files = MultipleFileField("证明材料（图片或 PDF）")


class DecideForm(FlaskForm):
    decision = SelectField("裁定", choices=[SelectChoice("upheld", "申诉成立（该评分不计入统计）"),
                                           SelectChoice("rejected", "申诉不成立")],
                           invalid_choice_message="所选项无效")
    reason = TextAreaField("裁定理由", validators=[
        DataRequired(_TEXT.format("裁定理由")), Length(max=appeal_service.MAX_REASON)])


class CalendarForm(FlaskForm):
    day = DateField("日期", validators=[DataRequired("请填写日期（YYYY-MM-DD）")])
    kind = SelectField("设置", choices=[SelectChoice("holiday", "放假（休息日）"),
                                      SelectChoice("workday", "调休上班（工作日）"),
                                      SelectChoice("clear", "删除自定义设置")],
                       invalid_choice_message="所选项无效")
    name = StringField("名称", validators=[Optional(), Length(max=100)])


# Shared with other templates: the ticket and appeal of a feedback, on its page.

@bp.app_context_processor
def _ticket_helpers() -> dict[str, Any]:
    return {"ticket_panel": _feedback_panel, "upheld_appeal": _upheld_appeal,
            "TICKET_STATES": TICKET_STATES,
            "TICKET_SOURCES": TICKET_SOURCES, "APPEAL_KINDS": APPEAL_KINDS,
            "APPEAL_STATES": APPEAL_STATES, "CLOCK_STATES": CLOCK_STATES,
            "ROUND_VERDICTS": ROUND_VERDICTS, "CALLBACK_OUTCOMES": CALLBACK_OUTCOMES}


def _upheld_appeal(item: Feedback) -> bool:
    appeal = appeal_service.appeal_of(item.id)
    return appeal is not None and appeal.state == "upheld"


def _feedback_panel(item: Feedback) -> dict[str, Any]:
    user = _user()
    ticket = ticket_service.ticket_of_feedback(item.id)
    appeal = appeal_service.appeal_of(item.id)
    return {"ticket": ticket,
            "can_open": ticket is None and user.role in ticket_service.SUPERVISOR_ROLES,
            "appeal": appeal,
            "appealable": appeal_service.appealable(user, item) if appeal is None else None}


# Tickets.

def _ticket_filters() -> dict[str, Any]:
    state = request.args.get("state") or None
    overdue = request.args.get("overdue")
    return {"window": (request.args.get("window") or "").strip() or None,
            "state": state if state in TICKET_STATES or state == "active" else None,
            "overdue": True if overdue == "1" else False if overdue == "0" else None,
            "topic": request.args.get("topic") if request.args.get("topic") in TOPICS else None}


@bp.get("/tickets")
@login_required
def desk() -> str:
    """The desk of tickets in the user's scope, with filters and pages."""
    user, page, filters = _user(), _page(), _ticket_filters()
    items, total = ticket_service.list_tickets(user, page=page, per_page=PER_PAGE, **filters)
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render_template("tickets/list.html", items=items, total=total, page=page, pages=pages,
                           filters=filters, inbox=False,
                           can_open=user.role in ticket_service.SUPERVISOR_ROLES)


@bp.get("/tickets/export.xlsx")
@login_required
def export() -> Response:
    """The desk's tickets (its filters applied) as an Excel workbook."""
    body = ticket_service.export_xlsx(_user(), **_ticket_filters())
    stamp = workdays.local_today().strftime("%Y%m%d")
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=tickets-{stamp}.xlsx"})


@bp.get("/tickets/repeated")
@login_required
def repeated() -> str:
    """Windows whose same problem was pushed three rounds in a row without completion within
    the last year (the delisting rule's question), within the user's scope."""
    user = _user()
    window_ids = None if user.role in scope.GLOBAL_ROLES else list(Session.scalars(
        sa.select(Window.id).join(Window.unit).where(scope.window_clause(user))))
    found = ticket_service.repeated_pushes(window_ids=window_ids)
    pushes = [p for items in found.values() for p in items]
    by_id = {t.id: t for t in Session.scalars(
        sa.select(Ticket).where(Ticket.id.in_([p.ticket_id for p in pushes])))} if pushes else {}
    rows = sorted(((by_id[p.ticket_id], p.rounds) for p in pushes),
                  key=lambda r: (r[0].window.code, r[0].number))
    return render_template("tickets/repeated.html", rows=rows)


@bp.get("/tickets/inbox")
@login_required
def inbox() -> str:
    """A unit's open tickets, the nearest deadline first."""
    user = _user()
    stmt = ticket_service.ticket_query(user, state="active").order_by(Ticket.fix_due, Ticket.id)
    items = list(Session.scalars(stmt.limit(200)))
    return render_template("tickets/list.html", items=items, total=len(items), page=1, pages=1,
                           filters={}, inbox=True, can_open=False,
                           appealable=appeal_service.open_for_appeal(user),
                           visible_text=feedback_service.visible_text)


def _ticket_or_404(ticket_id: int) -> Any:
    try:
        return ticket_service.get_ticket(_user(), ticket_id)
    except ServiceError:
        abort(404)


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket_detail(ticket_id: int) -> str:
    return _render_ticket(_ticket_or_404(ticket_id))


def _render_ticket(ticket: Any, **forms: Any) -> str:
    user = _user()
    supervisor = user.role in ticket_service.SUPERVISOR_ROLES
    if ticket.state == "open" and user.role in ticket_service.RESPONDER_ROLES:
        forms.setdefault("respond_form", RespondForm(formdata=None))
    if ticket.state == "responded" and supervisor:
        forms.setdefault("verdict_form", VerdictForm(formdata=None))
    if supervisor and ticket.callback_due is not None:
        forms.setdefault("callback_form", CallbackForm(formdata=None))
    if supervisor and ticket.state != "closed":
        forms.setdefault("attach_form", AttachForm(formdata=None))
    linked = ticket_service.feedback_of(ticket.id)
    return render_template(
        "tickets/detail.html", ticket=ticket, clocks=ticket_service.clocks(ticket),
        linked=linked, visible_text=feedback_service.visible_text,
        files=evidence_files.files_of_rounds([r.id for r in ticket.rounds]),
        callbacks=ticket_service.callbacks_of(ticket.id) if supervisor else None,
        **forms)


def _done(message: str, ticket_id: int) -> Any:
    Session.commit()
    flash(message, "success")
    return redirect(url_for("tickets.ticket_detail", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/respond")
@_roles(*ticket_service.RESPONDER_ROLES)
def respond(ticket_id: int) -> Any:
    ticket = _ticket_or_404(ticket_id)
    form = RespondForm()
    if form.validate_on_submit():
        try:
            ticket_service.respond(_user(), ticket.id, form.text.data, _uploads(form.files))
        except ServiceError as exc:
            Session.rollback()
            form.text.errors = [exc.message]
        else:
            return _done("整改情况已提交，等待第三方机构核验", ticket.id)
    return _render_ticket(_ticket_or_404(ticket_id), respond_form=form)


@bp.post("/tickets/<int:ticket_id>/verdict")
@_roles(*ticket_service.SUPERVISOR_ROLES)
def verdict(ticket_id: int) -> Any:
    ticket = _ticket_or_404(ticket_id)
    form = VerdictForm()
    action = request.form.get("action")
    if form.validate_on_submit() and action in {"verify", "send_back"}:
        try:
            if action == "verify":
                done = ticket_service.verify(_user(), ticket.id, form.reason.data or "")
                note = (f"，整改结果已答复 {len(done.answered)} 位群众"
                        f"{'并请其整改评价' if done.rerating_requested else ''}"
                        if done.answered else "")
                return _done("已核验办结" + note, ticket.id)
            rnd = ticket_service.send_back(_user(), ticket.id, form.reason.data or "")
            return _done(f"已退回，第 {rnd.number} 轮督办截止 {rnd.due:%Y-%m-%d}", ticket.id)
        except ServiceError as exc:
            Session.rollback()
            form.reason.errors = [exc.message]
    elif action not in {"verify", "send_back"}:
        form.reason.errors = ["请选择核验办结或退回重办"]
    return _render_ticket(_ticket_or_404(ticket_id), verdict_form=form)


@bp.post("/tickets/<int:ticket_id>/callback")
@_roles(*ticket_service.SUPERVISOR_ROLES)
def callback(ticket_id: int) -> Any:
    ticket = _ticket_or_404(ticket_id)
    form = CallbackForm()
    if form.validate_on_submit():
        called_at = form.called_at.data.replace(tzinfo=feedback_service.LOCAL_TZ)
        try:
            ticket_service.record_callback(_user(), ticket.id, called_at=called_at,
                                           outcome=form.outcome.data, note=form.note.data or "")
        except ServiceError as exc:
            Session.rollback()
            form.note.errors = [exc.message]
        else:
            return _done("回访已登记", ticket.id)
    return _render_ticket(_ticket_or_404(ticket_id), callback_form=form)


@bp.post("/tickets/<int:ticket_id>/attach")
@_roles(*ticket_service.SUPERVISOR_ROLES)
def attach(ticket_id: int) -> Any:
    ticket = _ticket_or_404(ticket_id)
    form = AttachForm()
    if form.validate_on_submit():
        try:
            item = feedback_service.get_by_receipt((form.receipt_no.data or "").strip().upper())
            ticket_service.attach_feedback(_user(), ticket.id, item.id)
        except ServiceError as exc:
            Session.rollback()
            form.receipt_no.errors = [exc.message]
        else:
            return _done(f"已关联评价 {item.receipt_no}", ticket.id)
    return _render_ticket(_ticket_or_404(ticket_id), attach_form=form)


@bp.route("/tickets/new", methods=["GET", "POST"])
@_roles(*ticket_service.SUPERVISOR_ROLES)
def ticket_new() -> Any:
    """Open a ticket: from a feedback (``?feedback=ID``), or by the office / from an inspection."""
    user = _user()
    item = None
    feedback_id = request.args.get("feedback", type=int)
    if feedback_id is not None:
        try:
            item = feedback_service.get_feedback(user, feedback_id)
        except ServiceError:
            abort(404)
    form = OpenTicketForm()
    if item is not None:  # the window and the source come from the feedback
        del form.window, form.source, form.source_ref
    if request.method == "GET":
        if item is not None:
            form.topic.data = ticket_service.default_topic(item)
            form.problem.data = ticket_service.default_problem(item)
        else:
            form.window.data = request.args.get("window", "")
    if form.validate_on_submit():
        try:
            if item is not None:
                ticket = ticket_service.open_from_feedback(user, item.id, topic=form.topic.data,
                                                           problem=form.problem.data)
            else:
                window = Session.scalars(sa.select(Window).where(
                    Window.code == (form.window.data or "").strip())).first()
                if window is None or not scope.can_see_window(user, window):
                    raise NotFound("窗口编号不存在")
                ticket = ticket_service.open_ticket(
                    user, window, topic=form.topic.data, problem=form.problem.data,
                    source=form.source.data, source_ref=form.source_ref.data or "")
        except ServiceError as exc:
            Session.rollback()
            field = form.window if item is None and "窗口" in exc.message else form.problem
            field.errors = [exc.message]
        else:
            Session.commit()
            flash(f"已开督办单 {ticket.number}，整改截止 {ticket.fix_due:%Y-%m-%d}", "success")
            return redirect(url_for("tickets.ticket_detail", ticket_id=ticket.id))
    return render_template("tickets/new.html", form=form, item=item,
                           text=feedback_service.visible_text(item, user) if item else None)


@bp.get("/tickets/files/<int:file_id>")
@login_required
def evidence_file(file_id: int) -> Any:
    """An evidence file, only for users who may see its window."""
    try:
        row, path = evidence_files.get_for(_user(), file_id)
    except ServiceError:
        abort(404)
    response = send_file(path, mimetype=row.content_type, download_name=row.original_name,
                         as_attachment=row.content_type == "application/pdf", max_age=3600,
                         conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# Appeals.

@bp.get("/appeals")
@login_required
def appeals() -> str:
    user, page = _user(), _page()
    state = request.args.get("state") or None
    filters = {"state": state if state in APPEAL_STATES else None,
               "window": (request.args.get("window") or "").strip() or None}
    items, total = appeal_service.list_appeals(user, page=page, per_page=PER_PAGE, **filters)
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render_template("tickets/appeals.html", items=items, total=total, page=page,
                           pages=pages, filters=filters)


@bp.route("/appeals/new", methods=["GET", "POST"])
@_roles(*appeal_service.FILER_ROLES)
def appeal_new() -> Any:
    user = _user()
    feedback_id = request.args.get("feedback", type=int)
    try:
        item = feedback_service.get_feedback(user, feedback_id or 0)
    except ServiceError:
        abort(404)
    form = AppealForm()
    check = appeal_service.appealable(user, item)
    if form.validate_on_submit():
        try:
            appeal = appeal_service.file_appeal(user, item.id, kind=form.kind.data,
                                                reason=form.reason.data, files=_uploads(form.files))
        except ServiceError as exc:
            Session.rollback()
            form.reason.errors = [exc.message]
        else:
            Session.commit()
            flash("申诉已提交，等待第三方机构裁定", "success")
            return redirect(url_for("tickets.appeal_detail", appeal_id=appeal.id))
    return render_template("tickets/appeal_new.html", form=form, item=item, check=check,
                           text=feedback_service.visible_text(item, user))


def _appeal_or_404(appeal_id: int) -> Any:
    try:
        return appeal_service.get_appeal(_user(), appeal_id)
    except ServiceError:
        abort(404)


def _render_appeal(appeal: Any, form: DecideForm | None = None) -> str:
    user = _user()
    if form is None and appeal.state == "pending" and user.role in appeal_service.DECIDER_ROLES:
        form = DecideForm(formdata=None)
    return render_template("tickets/appeal_detail.html", appeal=appeal, form=form,
                           text=feedback_service.visible_text(appeal.feedback, user),
                           files=evidence_files.files_of_appeal(appeal.id))


@bp.get("/appeals/<int:appeal_id>")
@login_required
def appeal_detail(appeal_id: int) -> str:
    return _render_appeal(_appeal_or_404(appeal_id))


@bp.post("/appeals/<int:appeal_id>/decide")
@_roles(*appeal_service.DECIDER_ROLES)
def appeal_decide(appeal_id: int) -> Any:
    appeal = _appeal_or_404(appeal_id)
    form = DecideForm()
    if form.validate_on_submit():
        try:
            appeal_service.decide_appeal(_user(), appeal.id, upheld=form.decision.data == "upheld",
                                         reason=form.reason.data)
        except ServiceError as exc:
            Session.rollback()
            form.reason.errors = [exc.message]
        else:
            Session.commit()
            flash("已裁定" + ("：申诉成立，该评分不再计入统计" if form.decision.data == "upheld"
                            else "：申诉不成立"), "success")
            return redirect(url_for("tickets.appeal_detail", appeal_id=appeal.id))
    return _render_appeal(_appeal_or_404(appeal_id), form)


# The office's holiday calendar.

@bp.route("/calendar", methods=["GET", "POST"])
@_roles("office")
def calendar() -> Any:
    year = request.args.get("year", type=int) or workdays.local_today().year
    year = min(max(year, 2000), 2100)
    form = CalendarForm()
    if form.validate_on_submit():
        day: date = form.day.data
        workday = {"holiday": False, "workday": True}.get(form.kind.data)
        try:
            workdays.set_day(_user(), day, workday=workday, name=form.name.data or "")
        except ServiceError as exc:
            Session.rollback()
            form.name.errors = [exc.message]
        else:
            Session.commit()
            flash(f"{day:%Y-%m-%d} 已设置", "success")
            return redirect(url_for("tickets.calendar", year=day.year))
    return render_template("tickets/calendar.html", form=form, year=year,
                           days=workdays.list_days(year))


# The units' alert contacts (e-mail): the office keeps them; a unit reads its own.

class ContactForm(FlaskForm):
    unit = SelectField("单位", validators=[DataRequired("请选择单位")],
                       invalid_choice_message="所选项无效")
    email = StringField("电子邮箱", validators=[DataRequired("请填写电子邮箱"), Length(max=254)])
    name = StringField("联系人", validators=[Optional(), Length(max=100)])


@bp.route("/alert-contacts", methods=["GET", "POST"])
@login_required
def contacts() -> Any:
    from feedback_api.models import Unit, UnitContact
    from feedback_api.services import alerts

    user = _user()
    visible_units = sa.select(Window.unit_id).join(Window.unit).where(scope.window_clause(user))
    units = list(Session.scalars(sa.select(Unit).where(Unit.id.in_(visible_units))
                                 .order_by(Unit.code)))
    form = None
    if user.role == "office":
        form = ContactForm()
        form.unit.choices = [SelectChoice(u.code, f"{u.code} {u.name}") for u in units]
        if form.validate_on_submit():
            unit = next(u for u in units if u.code == form.unit.data)
            try:
                alerts.add_contact(user, unit, form.email.data, form.name.data or "")
            except ServiceError as exc:
                Session.rollback()
                form.email.errors = [exc.message]
            else:
                Session.commit()
                flash(f"已登记 {unit.name} 的提醒邮箱", "success")
                return redirect(url_for("tickets.contacts"))
    rows = Session.scalars(sa.select(UnitContact).where(UnitContact.unit_id.in_([u.id for u in units]))
                           .order_by(UnitContact.unit_id, UnitContact.id)).all()
    by_unit: dict[int, list[Any]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_id, []).append(row)
    return render_template("tickets/contacts.html", units=units, by_unit=by_unit, form=form,
                           smtp=bool(current_app.config.get("WW_SMTP_URL")))


@bp.post("/alert-contacts/<int:contact_id>/delete")
@_roles("office")
def contact_delete(contact_id: int) -> Any:
    from feedback_api.services import alerts

    try:
        alerts.remove_contact(_user(), contact_id)
    except ServiceError as exc:
        Session.rollback()
        flash(exc.message, "error")
    else:
        Session.commit()
        flash("已删除", "success")
    return redirect(url_for("tickets.contacts"))
