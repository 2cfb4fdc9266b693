"""账号管理: the office's accounts page. Every change goes through the services the
``window-watch users`` commands use (services/users.py, user_edits.py): the same checks, the same
Chinese messages, the same audit entries. A new account or a reset shows its one-time password
once, in that response only (never flashed: the session cookie is signed, not secret)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from admin_web.account_forms import AccountForm, NewAccountForm
from admin_web.common import actor, commit_or_flash, found_or_404, role_required
from admin_web.forms import EmptyForm
from feedback_api.models import User
from feedback_api.models.reference import INDUSTRIES, ROLES
from feedback_api.services import expert_units, user_edits
from feedback_api.services import users as user_service

bp = Blueprint("accounts", __name__, url_prefix="/accounts")

STATES = {"active": "启用", "disabled": "已停用", "locked": "已锁定", "must_change": "待修改密码"}


def _user(user_id: int) -> User:
    return found_or_404(lambda: user_edits.get_account(user_id))


def _units(form: AccountForm) -> AccountForm:
    form.work_unit.choices = [("", "无（或非本区登记单位）")] + [
        (str(u.id), f"{u.code} {u.name}") for u in expert_units.units()]
    return form


def _set_work_unit(user: User, form: AccountForm) -> None:
    """The expert's work unit, in the same unit of work as the account change."""
    expert_units.set_work_unit(actor(), user, unit_id=form.work_unit_id(),
                               other=form.work_unit_other.data or "")


def _flag_conflicts(user: User) -> None:
    if n := expert_units.conflicting_assignments(user):
        flash(f"该专家已分配的 {n} 个候选窗口属于其工作单位，须回避：已在评审专家分配处标记，"
              "请撤回分配后另行分配", "warning")


def scope_labels(user: User) -> list[str]:
    """The account's scopes as the office types them: window and unit codes, an industry by its
    name (税务, which the form reads back as the same scope) rather than its code."""
    return [s.window.code if s.window else s.unit.code if s.unit else INDUSTRIES.get(s.industry, s.industry)
            for s in user.scopes if s.window or s.unit or s.industry]


def _list_page(form: NewAccountForm, status: int = 200) -> tuple[str, int]:
    _units(form)
    role = request.args.get("role", "")
    state = request.args.get("state", "")
    q = request.args.get("q", "")[:64]
    accounts = user_edits.list_accounts(role=role if role in ROLES else "",
                                        state=state if state in STATES else "", q=q)
    return render_template("accounts/index.html", accounts=accounts, form=form, states=STATES,
                           role=role, state=state, q=q, scope_labels=scope_labels,
                           is_locked=user_service.is_locked, action_form=EmptyForm()), status


@bp.get("")
@role_required("office")
def index() -> tuple[str, int]:
    return _list_page(NewAccountForm())


def _once(user: User, password: str, created: bool) -> str:
    return render_template("accounts/password_once.html", account=user, password=password,
                           created=created)


@bp.post("/new")
@role_required("office")
def create() -> Any:
    form = NewAccountForm()
    if not form.validate_on_submit():
        return _list_page(form, 400)
    def change() -> tuple[User, str]:
        user, password = user_edits.create_account(
            actor(), form.username.data or "", role=form.role.data or "",
            scopes=user_edits.scope_list(form.scopes.data),
            display_name=form.display_name.data or "", email=form.email.data or "")
        _set_work_unit(user, form)
        return user, password

    done = commit_or_flash(change, form=form)
    if done is None:
        return _list_page(form, 400)
    user, password = done.value
    return _once(user, password, created=True)


def _detail(user: User, form: AccountForm, status: int = 200) -> tuple[str, int]:
    return render_template("accounts/detail.html", account=user, form=_units(form),
                           work_unit=expert_units.describe(user),
                           scopes=scope_labels(user), states=STATES,
                           locked=user_service.is_locked(user), action_form=EmptyForm(),
                           token_state=user_service.token_state,
                           tokens=user_service.list_tokens(user.username)), status


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@role_required("office")
def detail(user_id: int) -> Any:
    user = _user(user_id)
    form = AccountForm(data={"role": user.role, "display_name": user.display_name,
                             "scopes": " ".join(scope_labels(user)),
                             "email": user.email or "",
                             "work_unit": str(user.work_unit_id or ""),
                             "work_unit_other": user.work_unit_other})
    if request.method == "GET":
        return _detail(user, form)
    form = _units(AccountForm())
    if not form.validate_on_submit():
        return _detail(user, form, 400)
    version, role = user.session_version, user.role

    def change() -> bool:
        changed = user_edits.update_user(
            actor(), user, role=form.role.data, scopes=user_edits.scope_list(form.scopes.data),
            display_name=form.display_name.data or "", email=form.email.data or "")
        if role == "expert" and user.role != "expert":  # no longer an expert: no work unit
            return expert_units.set_work_unit(actor(), user, unit_id=None) or changed
        return expert_units.set_work_unit(actor(), user, unit_id=form.work_unit_id(),
                                          other=form.work_unit_other.data or "") or changed

    done = commit_or_flash(change, form=form)
    if done is None:
        return _detail(user, form, 400)
    _flag_conflicts(user)
    if user.session_version != version:
        tokens = "，访问令牌已撤销" if user.role != role else "（访问令牌按新范围继续有效）"
        flash(f"已修改用户 {user.username}：其登录已失效，须重新登录{tokens}", "success")
    else:
        flash(f"已修改用户 {user.username}，下次操作时生效" if done.value
              else f"用户 {user.username} 没有变化", "success")
    return redirect(url_for("accounts.detail", user_id=user.id))


def _action(user_id: int, change: Any, done_text: str, same_text: str) -> Response:
    user = _user(user_id)
    if EmptyForm().validate_on_submit():
        done = commit_or_flash(lambda: change(actor(), user))
        if done is not None:
            flash(done_text.format(user.username) if done.value else same_text.format(user.username),
                  "success" if done.value else "info")
    return redirect(url_for("accounts.detail", user_id=user.id))


@bp.post("/<int:user_id>/disable")
@role_required("office")
def disable(user_id: int) -> Response:
    return _action(user_id, user_service.disable_user,
                   "已停用用户 {}：其登录立即失效，访问令牌已撤销", "用户 {} 本已停用")


@bp.post("/<int:user_id>/enable")
@role_required("office")
def enable(user_id: int) -> Response:
    if not _user(user_id).active:
        return _action(user_id, user_service.enable_user, "已启用用户 {}（已撤销的令牌仍无效）",
                       "用户 {} 本已启用")
    flash("该用户本已启用", "info")
    return redirect(url_for("accounts.detail", user_id=user_id))


@bp.post("/<int:user_id>/unlock")
@role_required("office")
def unlock(user_id: int) -> Response:
    user = _user(user_id)
    if user.active and user_service.is_locked(user):
        return _action(user_id, user_service.enable_user, "已解除用户 {} 的锁定", "用户 {} 未被锁定")
    flash(f"用户 {user.username} 未被锁定", "info")
    return redirect(url_for("accounts.detail", user_id=user_id))


@bp.post("/<int:user_id>/reset")
@role_required("office")
def reset(user_id: int) -> Any:
    user = _user(user_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("accounts.detail", user_id=user.id))
    if user.id == actor().id:  # one's own: chosen by oneself, not shown on the screen
        flash("本人的密码请在“修改密码”页修改", "error")
        return redirect(url_for("password.change"))
    done = commit_or_flash(lambda: user_edits.reset_password(actor(), user))
    if done is None:
        return redirect(url_for("accounts.detail", user_id=user.id))
    return _once(user, done.value, created=False)
