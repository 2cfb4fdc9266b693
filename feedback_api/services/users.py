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
from feedback_api.services import audit, ratelimit
from feedback_api.services.errors import NotFound, ValidationError

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


#: Sign-in throttles. Failed sign-ins are counted over a sliding window of LOCK_FOR: an address
#: waits after LOCK_AFTER failures for one account, or ADDRESS_LIMIT for any accounts; an account
#: is locked for everyone after ACCOUNT_LOCK_AFTER failures from all addresses. One address thus
#: never locks an account (LOCK_AFTER < ACCOUNT_LOCK_AFTER), while guesses spread over many
#: addresses still lock it.
LOCK_AFTER = 5
ADDRESS_LIMIT = 20
ACCOUNT_LOCK_AFTER = 20
LOCK_FOR = timedelta(minutes=15)
_WINDOW = int(LOCK_FOR.total_seconds())


def _refused(password: str) -> None:
    """Spend the time of a real password check, so timing tells nothing either."""
    check_password_hash(_DUMMY_HASH, password or "")


def authenticate(username: str, password: str, address: str = "-") -> User | None:
    """The active user with these credentials, or None for every failure alike (unknown user,
    wrong password, a disabled user, an address or account made to wait: none is told apart).

    Attempts are counted in SQL before the password is checked (an addition that returns the
    new count), so parallel guesses cannot pass a limit. The caller commits either way, so the
    counts survive."""
    address = address or "-"
    if ratelimit.recent("login-address", address, window=_WINDOW) >= ADDRESS_LIMIT:
        return _refused(password)
    user = Session.scalars(sa.select(User).where(User.username == (username or "").strip())).first()
    now = utcnow()
    if user is None or not user.active or (user.locked_until is not None and user.locked_until > now):
        ratelimit.count("login-address", address, window=_WINDOW)
        return _refused(password)
    pair = f"{user.id}|{address}"
    if ratelimit.count("login-pair", pair, window=_WINDOW) > LOCK_AFTER:
        return _refused(password)
    account_failures = ratelimit.count("login-account", str(user.id), window=_WINDOW)
    if account_failures <= ACCOUNT_LOCK_AFTER and check_password_hash(user.password_hash,
                                                                       password or ""):
        ratelimit.forget("login-pair", pair)
        ratelimit.forget("login-account", str(user.id))
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        Session.flush()
        return user
    ratelimit.count("login-address", address, window=_WINDOW)
    Session.execute(sa.update(User).where(User.id == user.id)
                    .values(failed_logins=User.failed_logins + 1))
    if account_failures == ACCOUNT_LOCK_AFTER:  # exactly one attempt reaches it
        locked_until = now + LOCK_FOR
        Session.execute(sa.update(User).where(User.id == user.id).values(locked_until=locked_until))
        ratelimit.forget("login-account", str(user.id))
        audit.record_change(None, "lock", "user", user.username, None,
                            {"locked_until": locked_until}, actor_label="system")
    return None


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
