"""个人设置: who I am, an expert's own alert e-mail addresses (read-only: the office registers
them), and (for unit and authority staff and experts) binding my own WeChat account to receive
alerts there: a temporary QR code to scan, or its scene shown as text where WeChat is not
configured."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from admin_web.common import actor, commit_or_flash, role_required
from admin_web.forms import EmptyForm
from feedback_api.services import alert_contacts, staff_bindings
from wechat_bot.staff import BindQr, issue_bind_qr

bp = Blueprint("profile", __name__, url_prefix="/profile")


def _svg(data: str) -> Markup:
    """The QR code as inline SVG markup we generate (no data: URL, which the CSP forbids)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return Markup(image.to_string(encoding="unicode"))  # noqa: S704 - our own markup


def _page(qr: BindQr | None = None, status: int = 200) -> tuple[str, int]:
    user = actor()
    binding = staff_bindings.binding_of(user)
    emails = alert_contacts.own_contacts(user) if user.role == "expert" else None
    return render_template("profile/index.html", user=user, form=EmptyForm(), emails=emails,
                           bound=binding is not None and binding.citizen_id is not None,
                           bound_at=binding.bound_at if binding is not None else None,
                           qr=qr, qr_svg=_svg(qr.url) if qr and qr.url else None,
                           minutes=int(staff_bindings.CODE_TTL.total_seconds() // 60)), status


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    return _page()


@bp.post("/wechat/code")
@role_required("unit", "authority", "expert")
def wechat_code() -> tuple[str, int] | Response:
    if not EmptyForm().validate_on_submit():
        flash("页面已过期，请重试", "error")
        return redirect(url_for("profile.index"))
    done = commit_or_flash(lambda: staff_bindings.issue_code(actor()))
    if done is None:
        return redirect(url_for("profile.index"))
    return _page(issue_bind_qr(done.value))


@bp.post("/wechat/unbind")
@role_required("unit", "authority", "expert")
def wechat_unbind() -> Response:
    if EmptyForm().validate_on_submit():
        done = commit_or_flash(lambda: staff_bindings.unbind(actor()))
        if done is not None:
            flash("已解除微信绑定，今后不再通过微信接收提醒" if done.value else "尚未绑定微信",
                  "success")
    return redirect(url_for("profile.index"))
