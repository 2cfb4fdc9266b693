"""Users, their scopes, password checks and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from feedback_api.db import Session, utcnow
from feedback_api.models import ApiToken, Unit, User, UserScope, Window
from feedback_api.models.reference import INDUSTRIES, ROLES
from feedback_api.services import audit
from feedback_api.services.errors import NotFound, PermissionDenied, ValidationError

TOKEN_PREFIX = "ww_"
MIN_PASSWORD_LENGTH = 8
# A real hash to compare against when the user does not exist, so timing does not tell.
_DUMMY_HASH = generate_password_hash("window-watch-dummy-password")


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["WW_PASSWORD_HASH_METHOD"])


def resolve_scope(code: str) -> UserScope:
    """A scope entry from a window code, a unit code or name, or an industry code."""
    code = code.strip()
    window = Session.scalars(sa.select(Window).where(Window.code == code)).first()
    if window is not None:
        return UserScope(window_id=window.id)
    unit = Session.scalars(sa.select(Unit).where(sa.or_(Unit.code == code, Unit.name == code))).first()
    if unit is not None:
        return UserScope(unit_id=unit.id)
    if code in INDUSTRIES:
        return UserScope(industry=code)
    for key, text in INDUSTRIES.items():
        if text == code:
            return UserScope(industry=key)
    raise ValidationError(f"范围“{code}”既不是窗口编号、单位编号，也不是行业代码")


def scope_codes(user: User) -> list[str]:
    out = []
    for s in user.scopes:
        if s.window is not None:
            out.append(s.window.code)
        elif s.unit is not None:
            out.append(s.unit.code)
        elif s.industry:
            out.append(s.industry)
    return out


def create_user(
    actor: User | None,
    username: str,
    *,
    role: str,
    password: str,
    scopes: Iterable[str] = (),
    display_name: str = "",
) -> User:
    username = (username or "").strip()
    if not username or len(username) > 64:
        raise ValidationError("用户名须为 1–64 个字符")
    if role not in ROLES:
        raise ValidationError(f"角色须为 {', '.join(ROLES)} 之一")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if Session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationError(f"用户 {username} 已存在", code="duplicate")
    scope_entries = [resolve_scope(c) for c in scopes]
    if role in {"authority", "unit"} and not scope_entries:
        raise ValidationError("行业主管部门和窗口单位用户须指定范围（--scope）")
    user = User(
        username=username,
        role=role,
        display_name=display_name or username,
        password_hash=_hash_password(password),
        scopes=scope_entries,
    )
    Session.add(user)
    Session.flush()
    audit.record_change(actor, "create", "user", username, None,
                        {"role": role, "scopes": list(scopes)})
    return user


def set_password(actor: User | None, user: User, password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    user.password_hash = _hash_password(password)
    Session.flush()
    audit.record_change(actor, "set_password", "user", user.username, None, None)


def get_user(username: str) -> User:
    user = Session.scalars(sa.select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"用户 {username} 不存在")
    return user


def session_user(user_id: str) -> User | None:
    """The active user a signed-in session names, or None (the session then counts as signed out)."""
    try:
        user = Session.get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.active else None


#: Wrong passwords in a row that lock an account, and for how long.
LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None; raises PermissionDenied while the
    account is locked after LOCK_AFTER wrong passwords in a row (the caller commits either way,
    so the count survives)."""
    user = Session.scalars(sa.select(User).where(User.username == (username or "").strip())).first()
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        check_password_hash(_DUMMY_HASH, password or "")
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise PermissionDenied(f"该账号因多次密码错误已暂时锁定，请 {minutes} 分钟后再试")
    if not user.active or not check_password_hash(user.password_hash, password or ""):
        if user.active:
            user.failed_logins += 1
            if user.failed_logins >= LOCK_AFTER:
                user.failed_logins = 0
                user.locked_until = now + LOCK_FOR
                audit.record_change(None, "lock", "user", user.username, None,
                                    {"locked_until": user.locked_until}, actor_label="system")
        Session.flush()
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    Session.flush()
    return user


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(actor: User | None, user: User, name: str = "") -> str:
    """Create a bearer token for ``user`` and return it; only its hash is stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_hash_token(raw), prefix=raw[:10])
    Session.add(token)
    Session.flush()
    audit.record_change(actor, "create", "api_token", token.id, None,
                        {"user": user.username, "name": name, "prefix": token.prefix})
    return raw


def user_for_token(raw: str) -> User | None:
    """The active user owning an unrevoked token, or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = Session.scalars(
        sa.select(ApiToken).where(ApiToken.token_hash == _hash_token(raw),
                                  ApiToken.revoked_at.is_(None))
    ).first()
    if token is None or not token.user.active:
        return None
    now = utcnow()
    # Touch at most once a minute so reads do not turn every request into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        Session.flush()
    return token.user
