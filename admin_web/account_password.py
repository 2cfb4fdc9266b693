"""修改密码: a user's own password change (the current one, the new one twice), and the new
password forced while the office's one-time password is in use: every page but this one and
signing out sends such a user here (the JSON API answers them with its own error)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user

from admin_web.account_forms import ChangePasswordForm
from admin_web.common import actor, commit_or_flash
from feedback_api.db import Session
from feedback_api.services import user_edits
from feedback_api.services.users import MIN_PASSWORD_LENGTH

bp = Blueprint("password", __name__)

#: One message whether the password was wrong or the tries are spent (as at sign-in).
WRONG_CURRENT = (f"当前密码不正确（连续 {user_edits.CURRENT_TRIES} 次错误后，须等待 15 分钟再试）")

#: What a user who must change their password may still reach (the API refuses them in JSON).
_ALLOWED = {"password.change", "auth.logout", "static"}


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = actor()
        ok = user_edits.current_password_ok(user, form.current.data or "")
        Session.commit()  # keeps the count of wrong current passwords
        if not ok:
            flash(WRONG_CURRENT, "error")
            return _page(form)
        done = commit_or_flash(lambda: user_edits.change_own_password(
            user, form.current.data or "", form.new.data or "", form.repeated.data or ""),
            form=form)
        if done is not None:
            # The change ended every session of the user's, this one too: sign this one in anew
            # (a new session, so its CSRF tokens are new as well).
            session.clear()
            login_user(user)
            flash("密码已修改：您在其他设备上的登录已失效，访问令牌已撤销", "success")
            return redirect(url_for("home.index"))
    return _page(form)


def _page(form: ChangePasswordForm) -> tuple[str, int]:
    return render_template("auth/change_password.html", form=form, min_length=MIN_PASSWORD_LENGTH,
                           forced=current_user.must_change_password), (
        400 if request.method == "POST" else 200)


def _force_new_password() -> Any:
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in _ALLOWED and not request.path.startswith("/api/")):
        return redirect(url_for("password.change"))
    return None


def init_forced_change(app: Flask) -> None:
    app.before_request(_force_new_password)
