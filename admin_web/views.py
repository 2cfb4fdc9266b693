"""Admin pages: sign-in, the home page and the window registry (list, detail, edit, import)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from admin_web.forms import AnswerForm, EmptyForm, ImportForm, LoginForm, ReviewForm, WindowForm
from feedback_api.api.params import MAX_PAGE
from feedback_api.db import Session
from feedback_api.extensions import login_manager
from feedback_api.models import Feedback, Unit, Window
from feedback_api.models.reference import (
    AUDIT_ACTIONS,
    AUDIT_ENTITIES,
    CHANNELS,
    INDUSTRIES,
    OUTBOX_KINDS,
    OUTBOX_STATES,
    RATINGS,
    REVIEW_STATES,
    ROLES,
    SENTIMENTS,
    TOPICS,
    WINDOW_STATUSES,
    label,
)
from feedback_api.services import answers as answers_service
from feedback_api.services import evidence as evidence_service
from feedback_api.services import feedback as feedback_service
from feedback_api.services import ledger, scope
from feedback_api.services import review as review_service
from feedback_api.services import users as user_service
from feedback_api.services import windows as window_service
from feedback_api.services.errors import ServiceError

bp = Blueprint("admin_web", __name__, url_prefix="")
login_manager.login_view = "admin_web.login"

F = TypeVar("F", bound=Callable[..., Any])
PER_PAGE = 20


@bp.app_context_processor
def _vocabularies() -> dict[str, Any]:
    return {"INDUSTRIES": INDUSTRIES, "WINDOW_STATUSES": WINDOW_STATUSES, "ROLES": ROLES,
            "RATINGS": RATINGS, "CHANNELS": CHANNELS, "REVIEW_STATES": REVIEW_STATES,
            "TOPICS": TOPICS, "SENTIMENTS": SENTIMENTS, "AUDIT_ACTIONS": AUDIT_ACTIONS,
            "AUDIT_ENTITIES": AUDIT_ENTITIES,
            "label": label}


@bp.app_template_filter("local_dt")
def local_dt(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in the district's time."""
    if value is None:
        return "—"
    return value.astimezone(feedback_service.LOCAL_TZ).strftime(fmt)


def role_required(*roles: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorator


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("admin_web.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("admin_web.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = user_service.authenticate(form.username.data or "", form.password.data or "")
        except ServiceError as exc:  # locked after too many wrong passwords
            Session.commit()
            flash(exc.message, "error")
            return render_template("login.html", form=form)
        Session.commit()  # keeps the count of wrong passwords as well as the last sign-in
        if user is None:
            flash("用户名或密码错误", "error")
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        flash("已退出登录", "info")
    return redirect(url_for("admin_web.login"))


@bp.get("/")
@login_required
def index() -> str:
    user = current_user._get_current_object()
    window_ids = sa.select(Window.id).join(Window.unit).where(scope.window_clause(user))
    counts = dict(Session.execute(
        sa.select(Window.status, sa.func.count()).where(Window.id.in_(window_ids))
        .group_by(Window.status)).all())
    fb = Session.execute(
        sa.select(sa.func.count(), sa.func.avg(Feedback.rating),
                  sa.func.sum(sa.case((Feedback.rating <= 2, 1), else_=0)))
        .where(Feedback.window_id.in_(window_ids), Feedback.rating_counts.is_(True))
    ).one()
    recent, _ = feedback_service.list_feedback(user, page=1, per_page=8)
    return render_template(
        "index.html", counts=counts, total_windows=sum(counts.values()),
        feedback_total=fb[0] or 0, avg_rating=float(fb[1]) if fb[1] is not None else None,
        bad_total=fb[2] or 0, recent=recent, visible_text=feedback_service.visible_text,
    )


@bp.get("/windows")
@login_required
def windows() -> str:
    user = current_user._get_current_object()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    industry = request.args.get("industry") or None
    status = request.args.get("status") or None
    industry = industry if industry in INDUSTRIES else None
    status = status if status in WINDOW_STATUSES else None
    filters = {"q": request.args.get("q") or None, "unit": request.args.get("unit") or None,
               "industry": industry, "status": status}
    items, total = window_service.list_windows(user, page=page, per_page=PER_PAGE, **filters)
    units = Session.scalars(
        sa.select(Unit).where(Unit.id.in_(
            sa.select(Window.unit_id).join(Window.unit).where(scope.window_clause(user))))
        .order_by(Unit.code)).all()
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render_template("windows/list.html", items=items, total=total, page=page, pages=pages,
                           filters=filters, units=units,
                           can_edit=scope.can_edit_windows(user))


def _window_or_404(code: str) -> Window:
    try:
        return window_service.get_window(current_user._get_current_object(), code)
    except ServiceError:
        abort(404)


@bp.get("/windows/<code>")
@login_required
def window_detail(code: str) -> str:
    user = current_user._get_current_object()
    window = _window_or_404(code)
    recent, fb_total = feedback_service.list_feedback(user, window=code, page=1, per_page=10)
    stats = Session.execute(
        sa.select(Feedback.rating, sa.func.count()).where(
            Feedback.window_id == window.id, Feedback.rating.is_not(None),
            Feedback.rating_counts.is_(True)).group_by(Feedback.rating)).all()
    summary = feedback_service.opinion_summary(window.id)
    return render_template("windows/detail.html", window=window, recent=recent, fb_total=fb_total,
                           summary=summary,
                           rating_counts=dict(stats), visible_text=feedback_service.visible_text,
                           can_edit=scope.can_manage_unit(user, window.unit))


def _unit_choices() -> list[SelectChoice]:
    user = current_user._get_current_object()
    units = Session.scalars(sa.select(Unit).order_by(Unit.code)).all()
    return [SelectChoice(u.code, f"{u.code} {u.name}") for u in units
            if scope.can_manage_unit(user, u)]


@bp.route("/windows/new", methods=["GET", "POST"])
@role_required("office", "authority")
def window_new() -> Any:
    form = WindowForm()
    form.unit.choices = _unit_choices()
    if form.validate_on_submit():
        try:
            window = window_service.create_window(current_user._get_current_object(), form.to_data())
        except ServiceError as exc:
            Session.rollback()
            _form_errors(form, exc)
        else:
            Session.commit()
            flash(f"已新建窗口 {window.code}", "success")
            return redirect(url_for("admin_web.window_detail", code=window.code))
    return render_template("windows/edit.html", form=form, window=None)


@bp.route("/windows/<code>/edit", methods=["GET", "POST"])
@role_required("office", "authority")
def window_edit(code: str) -> Any:
    window = _window_or_404(code)
    form = WindowForm(obj=window) if request.method == "GET" else WindowForm()
    form.unit.choices = _unit_choices()
    if request.method == "GET":
        form.unit.data = window.unit.code
    if form.validate_on_submit():
        data = form.to_data()
        data["code"] = window.code
        try:
            window_service.update_window(current_user._get_current_object(), code, data)
        except ServiceError as exc:
            Session.rollback()
            _form_errors(form, exc)
        else:
            Session.commit()
            flash("已保存", "success")
            return redirect(url_for("admin_web.window_detail", code=code))
    return render_template("windows/edit.html", form=form, window=window)


def _form_errors(form: WindowForm, exc: ServiceError) -> None:
    if isinstance(exc.details, dict):
        for name, message in exc.details.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = [*field.errors, message]
    flash(exc.message, "error")


@bp.route("/windows/import", methods=["GET", "POST"])
@role_required("office", "authority")
def windows_import() -> Any:
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = ledger.import_ledger(current_user._get_current_object(), upload.read(),
                                          upload.filename or "")
        except ServiceError as exc:
            Session.rollback()
            flash(exc.message, "error")
        else:
            Session.commit()
            flash("导入完成：" + report.summary(), "success" if report.ok else "warning")
    return render_template("windows/import.html", form=form, report=report,
                           columns=ledger.LEDGER_COLUMNS)


@bp.get("/windows/export.csv")
@login_required
def windows_export() -> Response:
    windows = ledger.all_windows(current_user._get_current_object())
    body = "\ufeff" + ledger.export_csv(windows)  # BOM so Excel opens it as UTF-8
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=windows-ledger.csv"})


def _date_arg(name: str) -> Any:
    from datetime import date

    raw = request.args.get(name) or ""
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        flash(f"日期格式应为 YYYY-MM-DD：{raw}", "error")
        return None


@bp.get("/feedback")
@login_required
def feedback_list() -> str:
    user = current_user._get_current_object()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    rating = request.args.get("rating", type=int)
    state = request.args.get("review_state") or None
    filters = {
        "window": request.args.get("window") or None,
        "unit": request.args.get("unit") or None,
        "rating": rating if rating in RATINGS else None,
        "review_state": state if state in REVIEW_STATES else None,
        "date_from": _date_arg("date_from"),
        "date_to": _date_arg("date_to"),
    }
    items, total = feedback_service.list_feedback(user, page=page, per_page=PER_PAGE, **filters)
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render_template("feedback/list.html", items=items, total=total, page=page, pages=pages,
                           filters=filters, visible_text=feedback_service.visible_text)


def _feedback_or_404(feedback_id: int) -> Feedback:
    try:
        return feedback_service.get_feedback(current_user._get_current_object(), feedback_id)
    except ServiceError:
        abort(404)


@bp.route("/feedback/<int:feedback_id>", methods=["GET", "POST"])
@login_required
def feedback_detail(feedback_id: int) -> Any:
    user = current_user._get_current_object()
    item = _feedback_or_404(feedback_id)
    if request.method == "POST":
        if user.role not in review_service.REVIEWER_ROLES:
            abort(403)
        form = ReviewForm()
        if form.validate_on_submit():
            try:
                review_service.review_feedback(user, feedback_id, form.to_data())
            except ServiceError as exc:
                Session.rollback()
                flash(exc.message, "error")
            else:
                Session.commit()
                flash("审核已保存，更正将用于改进自动分析", "success")
                return redirect(url_for("admin_web.feedback_detail", feedback_id=feedback_id))
        return _render_detail(item, user, form=form)
    return _render_detail(item, user)


def _review_form(item: Feedback, user: Any) -> ReviewForm | None:
    """The review form for reviewers, showing the current topics."""
    if user.role not in review_service.REVIEWER_ROLES:
        return None
    form = ReviewForm(formdata=None)
    form.topics.data = item.reviewed_topics or [
        t["topic"] for t in item.topics or [] if isinstance(t, dict)]
    return form


def _render_detail(item: Feedback, user: Any, *, form: ReviewForm | None = None,
                   answer_form: AnswerForm | None = None) -> str:
    """The feedback page; ``form`` and ``answer_form`` when a POST of theirs needs its errors
    shown."""
    if form is None:
        form = _review_form(item, user)
    if answer_form is None and answers_service.can_answer(user):
        answer_form = AnswerForm(formdata=None)
    # Pictures may show the citizen or their papers: only roles that read unmasked opinions see
    # them; others learn that evidence exists.
    return render_template("feedback/detail.html", item=item, form=form,
                           text=feedback_service.visible_text(item, user),
                           evidence=evidence_service.of_feedback(item.id),
                           sees_evidence=scope.sees_raw_opinions(user),
                           answers=answers_service.answers_of(item.id),
                           outbound=answers_service.messages_of(item.id),
                           OUTBOX_KINDS=OUTBOX_KINDS, OUTBOX_STATES=OUTBOX_STATES,
                           reachable=answers_service.reachable(item),
                           answer_form=answer_form,
                           rerate_form=(EmptyForm() if answers_service.can_request_rerating(user)
                                        else None))


@bp.post("/feedback/<int:feedback_id>/answer")
@login_required
def answer_feedback(feedback_id: int) -> Any:
    user = current_user._get_current_object()
    item = _feedback_or_404(feedback_id)
    if not answers_service.can_answer(user):
        abort(403)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            done = answers_service.answer_feedback(user, feedback_id, form.text.data)
        except ServiceError as exc:
            Session.rollback()
            form.text.errors = [exc.message]
        else:
            Session.commit()
            flash("答复已保存，将通过微信发送给群众" if done.message is not None
                  else "答复已保存（该评价不是通过微信公众号提交的，无法推送给群众）", "success")
            return redirect(url_for("admin_web.feedback_detail", feedback_id=feedback_id))
    return _render_detail(item, user, answer_form=form)


@bp.post("/feedback/<int:feedback_id>/rerate")
@login_required
def request_rerating(feedback_id: int) -> Any:
    user = current_user._get_current_object()
    _feedback_or_404(feedback_id)
    if not answers_service.can_request_rerating(user):
        abort(403)
    # CSRF is checked before any view (CSRFProtect); the button carries nothing else.
    try:
        answers_service.request_rerating(user, feedback_id)
    except ServiceError as exc:
        Session.rollback()
        flash(exc.message, "error")
    else:
        Session.commit()
        flash("已通过微信请群众进行整改评价", "success")
    return redirect(url_for("admin_web.feedback_detail", feedback_id=feedback_id))


@bp.get("/feedback/<int:feedback_id>/evidence/<int:evidence_id>")
@login_required
def evidence_image(feedback_id: int, evidence_id: int) -> Any:
    """A saved evidence picture, for the roles that may see it."""
    user = current_user._get_current_object()
    _feedback_or_404(feedback_id)
    found = evidence_service.file_of(feedback_id, evidence_id)
    if found is None or not scope.sees_raw_opinions(user):
        abort(404)
    path, content_type = found
    response = send_file(path, mimetype=content_type, max_age=3600, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/audit")
@role_required("office")
def audit_log() -> str:
    """The office reads every change: who, what, when, before and after."""
    from feedback_api.models import AuditLog

    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    stmt = sa.select(AuditLog)
    actor = (request.args.get("actor") or "").strip()
    entity = (request.args.get("entity") or "").strip()
    if actor:
        stmt = stmt.where(AuditLog.actor == actor)
    if entity:
        stmt = stmt.where(sa.or_(AuditLog.entity_id == entity, AuditLog.entity_type == entity))
    total = Session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    entries = Session.scalars(stmt.order_by(AuditLog.id.desc())
                              .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render_template("audit.html", entries=entries, total=total, page=page, pages=pages,
                           actor=actor, entity=entity)
