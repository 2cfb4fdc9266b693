"""Who is calling the API: a bearer token, or the signed-in browser session (with CSRF)."""

from __future__ import annotations

from flask import g, request
from flask_login import current_user

from feedback_api.db import Session
from feedback_api.extensions import csrf
from feedback_api.models import User
from feedback_api.services import users as user_service
from feedback_api.services.errors import PermissionDenied, ServiceError

#: Why a user whose password the office set (a new account, a reset) is refused until they choose
#: their own: that password was shown to someone else. The session goes on after the change; a
#: token does not (a password change revokes every token of the account), so its holder is told
#: to ask for a new one (tokens are made with the CLI, ``tokens create``).
MUST_CHANGE = ("该账号须先修改密码（区联席办新建账号或重置密码后须本人设置新密码），"
               "修改后即可在本次登录中使用接口")
MUST_CHANGE_TOKEN = ("该账号须先在网页登录并修改密码（区联席办新建账号或重置密码后须本人设置新密码）。"
                     "修改密码会撤销该账号的全部访问令牌（包括本令牌），"
                     "修改后请联系区联席办或平台管理员重新创建令牌（window-watch tokens create）")


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


def authenticate_request() -> None:
    """Set ``g.api_user`` or raise 401; browser sessions must send X-CSRFToken to change data."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise Unauthorized("Authorization 头须为 Bearer 令牌")
        user = user_service.user_for_token(raw.strip())
        if user is None:
            raise Unauthorized("访问令牌无效、已过期或已撤销")
        if user.must_change_password:
            raise PermissionDenied(MUST_CHANGE_TOKEN, code="password_change_required")
        if request.method in {"GET", "HEAD", "OPTIONS"}:
            Session.commit()  # a read commits nothing else: keep the token's last use
        g.api_user = user
        return
    if current_user.is_authenticated:
        if current_user.must_change_password:
            raise PermissionDenied(MUST_CHANGE, code="password_change_required")
        if request.method not in {"GET", "HEAD", "OPTIONS"}:
            csrf.protect()
        g.api_user = current_user._get_current_object()
        return
    raise Unauthorized("缺少访问令牌（Authorization: Bearer …）")


def api_user() -> User:
    return g.api_user
