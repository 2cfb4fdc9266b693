"""The public page (/public): no sign-in, published data only, nothing personal (what it shows:
feedback_api.services.public); while a publicity period is open, a form for the public's
objections, which land in the office's objection list (feedback_api.services.cycle)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from admin_web.forms import PageForm
from feedback_api.db import Session
from feedback_api.services import cycle as cycle_service
from feedback_api.services import ratelimit
from feedback_api.services.errors import ServiceError
from feedback_api.services.public import public_page

bp = Blueprint("public", __name__, url_prefix="/public")

#: Objections one address may send per hour (``WW_OBJECTION_RATE_LIMIT``), counted in the
#: database, shared by the workers.
OBJECTION_WINDOW = 3600
TOO_MANY = "您提交得太频繁了，请一小时后再试。如有急事，请直接联系区联席办。"


def _entry_id(value: Any) -> int:
    """The chosen entry's id; 0 (nothing chosen, refused politely) for anything else."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class PublicObjectionForm(PageForm):
    entry = SelectField("对哪个窗口有异议", coerce=_entry_id, validate_choice=False,
                        validators=[DataRequired("请选择您有异议的窗口")])
    text = TextAreaField("异议内容", validators=[
        DataRequired("请填写异议内容"),
        Length(max=cycle_service.PUBLIC_TEXT_MAX,
               message=f"异议内容请不要超过 {cycle_service.PUBLIC_TEXT_MAX} 字")])
    contact = StringField("联系方式（选填，手机号码或电子邮箱，仅供区联席办答复，不会公开）",
                          validators=[Optional(), Length(max=100, message="联系方式请不要超过 100 个字符")])


def _render(form: PublicObjectionForm | None = None, *, error: str = "", status: int = 200,
            received: bool = False) -> Response:
    page = public_page()
    if page.publicity and form is None:
        form = PublicObjectionForm(formdata=None)
    if form is not None:
        form.entry.choices = [(0, "请选择")] + [
            (e["id"], f"{e['window']}（{e['unit']}）") for p in page.publicity for e in p["entries"]]
    resp = make_response(render_template("public/index.html", groups=page.groups,
                                         publicity=page.publicity, total=page.total,
                                         form=form if page.publicity else None, error=error,
                                         received=received), status)
    resp.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'self'"
    # With a form the page holds this visitor's CSRF token: never in a shared cache.
    resp.headers["Cache-Control"] = ("private, no-store" if page.publicity
                                     else "public, max-age=60")
    return resp


@bp.get("")
def index() -> Any:
    return _render(received=request.args.get("objection") == "received")


@bp.post("/objections")
def object_to_entry() -> Any:
    allowed = ratelimit.hit("public-objection", request.remote_addr or "-",
                            limit=current_app.config["WW_OBJECTION_RATE_LIMIT"], window=OBJECTION_WINDOW)
    Session.commit()  # the attempt counts, whatever the form holds
    form = PublicObjectionForm()
    if not allowed:
        return _render(form, error=TOO_MANY, status=429)
    if not form.validate_on_submit():
        errors = [e for f in (form.entry, form.text, form.contact) for e in f.errors]
        return _render(form, error="；".join(errors) or "请检查填写的内容", status=400)
    try:
        cycle_service.public_objection(form.entry.data, form.text.data, form.contact.data or "")
        Session.commit()
    except ServiceError as exc:
        Session.rollback()
        return _render(form, error=exc.message, status=exc.status)
    return redirect(url_for("public.index", objection="received") + "#objection")
