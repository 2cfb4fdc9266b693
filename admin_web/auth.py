"""Sign-in and sign-out, and how Flask-Login finds the signed-in user."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from admin_web.forms import EmptyForm, LoginForm
from feedback_api.db import Session
from feedback_api.models import User
from feedback_api.services import signin
from feedback_api.services import users as user_service

bp = Blueprint("auth", __name__)

#: Said of every failure alike; a clerk made to wait must not take the right password for a
#: wrong one (each try while waiting is counted, so trying again makes the wait last).
SIGN_IN_FAILED = ("用户名或密码错误（连续多次错误后须等待 15 分钟再试：等待期间密码正确也不能登录，"
                  "其间再试会重新计时）")


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the service decides whether the session still names a user."""
    return user_service.load_session_user(user_id)


def init_login(app: Flask) -> None:
    """Sessions sign in here: the loader above, and where ``login_required`` sends strangers."""
    manager = app.login_manager  # type: ignore[attr-defined]
    manager.user_loader(load_user)
    manager.login_view = "auth.login"
    manager.login_message = "请先登录"
    manager.session_protection = "strong"
    app.after_request(_no_store_when_signed_in)


def _no_store_when_signed_in(resp: Response) -> Response:
    """What a signed-in user sees stays out of caches (a shared office computer, a proxy); a
    response that sets its own caching (static files, evidence pictures) keeps it."""
    if "Cache-Control" not in resp.headers and current_user.is_authenticated:
        resp.headers["Cache-Control"] = "no-store"
    return resp


def _safe_next(target: str | None) -> str:
    """A path on this site, else the home page. Browsers read a backslash as a slash and drop
    tabs and newlines, so a path holding one could become "//evil.example": refused here rather
    than left to how the Location header happens to be encoded."""
    if (target and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and target.isprintable() and not urlsplit(target).netloc):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = signin.authenticate(form.username.data or "", form.password.data or "",
                                         request.remote_addr or "-")
        Session.commit()  # keeps the counts of failed sign-ins as well as the last sign-in
        if user is None:
            # One message for every failure: it must not tell whether the account exists or waits.
            flash(SIGN_IN_FAILED, "error")
        else:
            # A new session for the new sign-in: CSRF tokens issued before it stop working.
            session.clear()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()  # with it the CSRF tokens of the signed-in pages
        flash("已退出登录", "info")
    return redirect(url_for("auth.login"))
