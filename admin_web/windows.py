"""The window registry: list, detail, new, edit, ledger import and export."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from admin_web.common import XLSX, actor, commit_or_flash, download, found_or_404, paginate, role_required
from admin_web.forms import ImportForm, WindowForm
from feedback_api.models import Window
from feedback_api.models.reference import DELISTED, INDUSTRIES, STATUS_CHANGE_VIAS, WINDOW_STATUSES
from feedback_api.services import feedback as feedback_service
from feedback_api.services import (
    feedback_list,
    ledger,
    ledger_template,
    opinions,
    overview,
    scope,
    units,
    window_status,
    window_title,
    workdays,
)
from feedback_api.services import windows as window_service
from wechat_bot import qrcodes
from wechat_bot.config import settings as wechat_settings
from wechat_bot.posters import render_posters

bp = Blueprint("windows", __name__)


@bp.get("/windows")
@login_required
def index() -> str:
    user = actor()
    industry = request.args.get("industry")
    status = request.args.get("status")
    filters = {"q": request.args.get("q") or None, "unit": request.args.get("unit") or None,
               "industry": industry if industry in INDUSTRIES else None,
               "status": status if status in WINDOW_STATUSES else None}
    page = paginate(partial(window_service.list_windows, user), **filters)
    return render_template("windows/list.html", page=page, filters=filters,
                           units=units.units_with_visible_windows(user),
                           can_edit=scope.can_edit_windows(user))


def _window_or_404(code: str) -> Window:
    return found_or_404(lambda: window_service.get_window(actor(), code))


@bp.get("/windows/<code>")
@login_required
def detail(code: str) -> str:
    user = actor()
    window = _window_or_404(code)
    recent, fb_total = feedback_list.list_feedback(user, window=code, page=1, per_page=10)
    return render_template("windows/detail.html", window=window, recent=recent, fb_total=fb_total,
                           summary=opinions.opinion_summary(window.id),
                           rating_counts=overview.rating_counts(window.id),
                           channel_counts=overview.rating_counts_by_channel(window.id),
                           visible_text=feedback_service.visible_text,
                           can_edit=scope.can_manage_unit(user, window.unit),
                           history=window_status.history(window), vias=STATUS_CHANGE_VIAS,
                           actors=window_status.SYSTEM_ACTORS)


@bp.get("/windows/<code>/poster.pdf")
@login_required
def poster(code: str) -> Any:
    """The window's A4 rating poster, as ``qrcodes posters`` prints it: its WeChat QR code when
    one was issued and the account is configured, else the H5 page's link."""
    window = _window_or_404(code)
    if window.status == DELISTED:
        flash("该窗口已摘牌，不再张贴评价二维码", "error")
        return redirect(url_for("windows.detail", code=window.code))
    cfg = wechat_settings()
    qr = qrcodes.qr_for(window) if cfg.can_call_api else None
    # Without WW_PUBLIC_BASE_URL the address the staff reached this site by, not a default.
    base = (current_app.config.get("WW_PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    body = render_posters([window], lambda w: (qr.url, True) if qr else (f"{base}/f/{w.code}", False),
                          title=f"{window.name} 评价二维码")
    return download(body, "application/pdf", f"{window.code} {window.name} 评价二维码.pdf",
                    fallback=f"poster-{window.code}.pdf")


def _unit_choices() -> list[SelectChoice]:
    return [SelectChoice(u.code, f"{u.code} {u.name}") for u in units.manageable_units(actor())]


def _window_form(window: Window | None = None) -> WindowForm:
    """The form, without the title's fields for whoever may not change the title (they would
    only be refused): the page shows the title read-only with who changes it."""
    form = WindowForm(obj=window) if window is not None and request.method == "GET" else WindowForm()
    form.unit.choices = _unit_choices()
    if not window_title.may_change(actor()):
        for name in (*window_title.TITLE_FIELDS, window_title.LISTING_FIELD):
            delattr(form, name)
    return form


def _edit_page(form: WindowForm, window: Window | None) -> str:
    note = None if window_title.may_change(actor()) else window_title.WHO_CHANGES_IT
    return render_template("windows/edit.html", form=form, window=window, title_note=note,
                           listing_note=window_title.WHO_LISTS_IT)


@bp.route("/windows/new", methods=["GET", "POST"])
@role_required("office", "authority")
def new() -> Any:
    form = _window_form()
    if form.validate_on_submit():
        done = commit_or_flash(lambda: window_service.create_window(actor(), form.to_data()),
                               form=form)
        if done:
            flash(f"已新建窗口 {done.value.code}", "success")
            return redirect(url_for("windows.detail", code=done.value.code))
    return _edit_page(form, None)


@bp.route("/windows/<code>/edit", methods=["GET", "POST"])
@role_required("office", "authority")
def edit(code: str) -> Any:
    window = _window_or_404(code)
    form = _window_form(window)
    if request.method == "GET":
        form.unit.data = window.unit.code
    if form.validate_on_submit():
        data = {**form.to_data(), "code": window.code}
        if commit_or_flash(lambda: window_service.update_window(actor(), code, data), form=form):
            flash("已保存", "success")
            return redirect(url_for("windows.detail", code=code))
    return _edit_page(form, window)


@bp.route("/windows/import", methods=["GET", "POST"])
@role_required("office", "authority")
def import_ledger() -> Any:
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        done = commit_or_flash(lambda: ledger.import_ledger(
            actor(), upload.read(), upload.filename or "", max_rows=ledger.UPLOAD_MAX_ROWS))
        if done:
            report = done.value
            flash("导入完成：" + report.summary(), "success" if report.ok else "warning")
    note = None if window_title.may_change(actor()) else window_title.WHO_CHANGES_IT
    return render_template("windows/import.html", form=form, report=report,
                           columns=ledger.LEDGER_COLUMNS, title_note=note)


@bp.get("/windows/template.xlsx")
@role_required("office", "authority")
def template() -> Response:
    return download(ledger_template.template_xlsx(), XLSX, "窗口登记台账导入模板.xlsx",
                    fallback="windows-ledger-template.xlsx")


@bp.get("/windows/export.csv")
@login_required
def export() -> Response:
    body = "\ufeff" + ledger.export_csv(ledger.all_windows(actor()))  # BOM: Excel reads UTF-8
    stamp = workdays.local_today().strftime("%Y%m%d")
    return download(body, "text/csv", f"窗口登记台账-{stamp}.csv", fallback=f"windows-ledger-{stamp}.csv")


@bp.get("/windows/export.xlsx")
@login_required
def export_xlsx() -> Response:
    """The ledger as Excel keeps it: phone numbers and codes as text, dates as dates."""
    body = ledger.export_xlsx(ledger.all_windows(actor()))
    stamp = workdays.local_today().strftime("%Y%m%d")
    return download(body, XLSX, f"窗口登记台账-{stamp}.xlsx", fallback=f"windows-ledger-{stamp}.xlsx")
