"""Users, their scopes, password checks and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from feedback_api.db import Session, utcnow
from feedback_api.models import ApiToken, Unit, User, UserScope, Window
from feedback_api.models.reference import INDUSTRIES, ROLES, lookup_code
from feedback_api.services import alert_contacts, audit, ratelimit
from feedback_api.services.errors import Conflict, NotFound, ValidationError
from feedback_api.services.signin import find_user

TOKEN_PREFIX = "ww_"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
SCOPE_REQUIRED = "行业主管部门和窗口单位用户须指定范围（窗口编号、单位编号、行业代码或行业名称）"


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["WW_PASSWORD_HASH_METHOD"])


def resolve_scope(code: str) -> UserScope:
    """A scope entry from a window code, a unit code or name, or an industry's code or name (税务);
    typed in full width (a Chinese input method's), the code it stands for."""
    code = code.strip()
    plain = unicodedata.normalize("NFKC", code)
    if plain != code:
        try:
            return resolve_scope(plain)
        except ValidationError:
            pass  # a unit's name with full-width brackets: as typed, below
    window = Session.scalars(sa.select(Window).where(Window.code == code)).first()
    if window is not None:
        return UserScope(window_id=window.id)
    unit = Session.scalars(sa.select(Unit).where(sa.or_(Unit.code == code, Unit.name == code))).first()
    if unit is not None:
        return UserScope(unit_id=unit.id)
    if (industry := lookup_code(INDUSTRIES, code)) is not None:
        return UserScope(industry=industry)
    raise ValidationError(f"范围“{code}”无法识别：应为窗口编号、单位编号、行业代码或行业名称"
                          f"（{'、'.join(INDUSTRIES.values())}）")


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


def check_username(username: str | None) -> str:
    """A new account's username as stored (ends trimmed), or ValidationError: 1 to 64 characters,
    no spaces or invisible characters, not the name of another account in any capitals. Full-width
    letters and digits (a Chinese input method's) become the ones typed at sign-in."""
    username = unicodedata.normalize("NFKC", username or "").strip()
    if not username or len(username) > 64:
        raise ValidationError("用户名须为 1–64 个字符")
    if any(unicodedata.category(ch)[0] in "CZ" for ch in username):
        # One typed at sign-in must be the one stored: no spaces, no invisible characters.
        raise ValidationError("用户名不能含空格、不可见字符或控制字符")
    # Nor as a name kept from before normalising (ａｇｅｎｃｙ) reads: typed, that one is found.
    if any(unicodedata.normalize("NFKC", name).lower() == username.lower()
           for name in Session.scalars(sa.select(User.username))):
        raise ValidationError(f"用户 {username} 已存在", code="duplicate")
    return username


def check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationError(f"角色须为 {', '.join(ROLES)} 之一")


def scope_entries(role: str, scopes: Iterable[str]) -> list[UserScope]:
    """The scope entries of codes (:func:`resolve_scope`), one of codes naming one thing (税务 and
    tax, a unit's code and name); a scoped role must have one."""
    entries = list({(e.window_id, e.unit_id, e.industry): e for e in map(resolve_scope, scopes)}.values())
    if role in {"authority", "unit"} and not entries:
        raise ValidationError(SCOPE_REQUIRED)
    return entries


def create_user(
    actor: User | None,
    username: str,
    *,
    role: str,
    password: str,
    scopes: Iterable[str] = (),
    display_name: str = "",
    must_change: bool = False,
    email: str = "",
) -> User:
    username = check_username(username)
    check_role(role)
    check_new_password(password)
    display_name = (display_name or "").strip() or username
    if len(display_name) > 100:
        raise ValidationError("显示名称须为 1–100 个字符")
    mailbox = alert_contacts.clean_email(email) if (email or "").strip() else None
    scopes = list(scopes)
    entries = scope_entries(role, scopes)  # before the (slow) hash
    user = User(
        username=username,
        role=role,
        display_name=display_name,
        password_hash=_hash_password(password),
        scopes=entries,
        must_change_password=must_change,
        email=mailbox,
    )
    Session.add(user)
    Session.flush()
    audit.record_change(actor, "create", "user", username, None,
                        {"role": role, "scopes": scopes} | ({"email": mailbox} if mailbox else {}))
    return user


def check_new_password(password: str) -> None:
    """The project's password rule: 8 to 200 characters (the sign-in form takes 200)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"密码最多 {MAX_PASSWORD_LENGTH} 位")


def set_password(actor: User | None, user: User, password: str, *,
                 must_change: bool = False) -> None:
    """Set ``user``'s password; ``must_change`` when the office chose it (the user must choose
    their own at the next sign-in)."""
    check_new_password(password)
    user.password_hash = _hash_password(password)
    user.must_change_password = must_change
    Session.flush()
    audit.record_change(actor, "set_password", "user", user.username, None, None)
    # Whoever knew the old password (a session left open, a token handed to a script) is out.
    end_sessions(actor, user, revoke_tokens=True)


def end_sessions(actor: User | None, user: User, *, revoke_tokens: bool) -> None:
    """End every browser session of ``user`` at its next request (the version in the session's
    id no longer matches: Flask-Login's "alternative tokens"), and with ``revoke_tokens`` revoke
    their unrevoked API tokens (each audited)."""
    # Counted in SQL, not from the version this request read: two requests ending the same
    # account's sessions at once (a reset while the user changes their own) each add one, so
    # the session the first re-signed in does not survive the second. Read back in this
    # transaction: the version this request's own re-sign-in is to carry.
    user.session_version = User.session_version + 1
    Session.flush()
    Session.refresh(user, ["session_version"])
    if revoke_tokens:
        for token in list(Session.scalars(sa.select(ApiToken).where(
                ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))):
            revoke_token(actor, token)


def load_session_user(session_id: str) -> User | None:
    """The user a browser session names (``User.get_id()``: "id:version"), or None when the
    user is gone or disabled, or the version is older than the user's (:func:`end_sessions` since
    that sign-in). Flask-Login's user loader calls this."""
    user_id, sep, version = (session_id or "").partition(":")
    if not sep or not user_id.isdigit() or not version.isdigit():
        return None
    user = Session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def other_active_offices(user: User) -> int:
    """How many active office accounts there are besides ``user``."""
    return Session.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.role == "office", User.active.is_(True), User.id != user.id)) or 0


def disable_user(actor: User | None, user: User) -> bool:
    """Disable a user: their sessions end at the next request and their tokens are revoked.
    False (and nothing logged) if the user was disabled already."""
    if not user.active:
        return False
    if user.role == "office" and not other_active_offices(user):
        # Nobody would be left to manage accounts, the standard or delisting.
        raise Conflict(f"{user.username} 是最后一个启用的联席办账号，不能停用；"
                       "请先添加或启用另一个联席办账号")
    user.active = False
    Session.flush()
    audit.record_change(actor, "disable", "user", user.username, {"active": True}, {"active": False})
    end_sessions(actor, user, revoke_tokens=True)
    return True


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def enable_user(actor: User | None, user: User) -> bool:
    """Enable a disabled user again (password sign-in; revoked tokens stay revoked), or unlock an
    active one that failed sign-ins locked (they sign in at once). False (nothing logged) if
    neither."""
    if user.active:
        if not is_locked(user):
            return False
        before = {"locked_until": user.locked_until}
        user.locked_until, user.failed_logins = None, 0
        ratelimit.forget("login-account", str(user.id))
        Session.flush()
        audit.record_change(actor, "unlock", "user", user.username, before, {"locked_until": None})
        return True
    user.active = True
    user.failed_logins = 0
    user.locked_until = None
    Session.flush()
    audit.record_change(actor, "enable", "user", user.username, {"active": False}, {"active": True})
    return True


def get_user(username: str) -> User:
    user = find_user(username)
    if user is None:
        raise NotFound(f"用户 {username} 不存在")
    return user


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


#: The longest expiry a token may be given, in days (ten years).
MAX_TOKEN_DAYS = 3650


def create_token(actor: User | None, user: User, name: str = "", *,
                 expires_days: int | None = None) -> str:
    """Create a bearer token for ``user`` and return it; only its hash is stored. With
    ``expires_days`` it stops working that many days from now."""
    if expires_days is not None and not 1 <= expires_days <= MAX_TOKEN_DAYS:
        raise ValidationError(f"有效期须为 1–{MAX_TOKEN_DAYS} 天")
    if not user.active:
        raise ValidationError(f"用户 {user.username} 已停用")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(days=expires_days) if expires_days is not None else None
    token = ApiToken(user_id=user.id, name=name, token_hash=_hash_token(raw), prefix=raw[:10],
                     expires_at=expires_at)
    Session.add(token)
    Session.flush()
    audit.record_change(actor, "create", "api_token", token.id, None,
                        {"user": user.username, "name": name, "prefix": token.prefix,
                         "expires_at": expires_at})
    return raw


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    """有效 / 已过期 / 已撤销, as lists show it."""
    if token.revoked_at is not None:
        return "已撤销"
    if token.expires_at is not None and token.expires_at <= (now or utcnow()):
        return "已过期"
    return "有效"


def list_tokens(username: str | None = None) -> list[ApiToken]:
    stmt = sa.select(ApiToken).join(ApiToken.user).order_by(ApiToken.id)
    if username:
        stmt = stmt.where(User.username == get_user(username).username)
    return list(Session.scalars(stmt))


def get_token(token_id: int) -> ApiToken:
    token = Session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"令牌 {token_id} 不存在")
    return token


def revoke_token(actor: User | None, token: ApiToken) -> bool:
    """Revoke a token; False (and nothing logged) if it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    Session.flush()
    audit.record_change(actor, "revoke", "api_token", token.id, None,
                        {"user": token.user.username, "name": token.name, "prefix": token.prefix})
    return True


def user_for_token(raw: str) -> User | None:
    """The active user owning an unrevoked, unexpired token, or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    now = utcnow()
    token = Session.scalars(
        sa.select(ApiToken).where(ApiToken.token_hash == _hash_token(raw),
                                  ApiToken.revoked_at.is_(None),
                                  sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))
    ).first()
    if token is None or not token.user.active:
        return None
    # Touch at most once a minute so reads do not turn every request into a write; and only if
    # the database lets us now: a busy database must not refuse a read over this bookkeeping.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        try:
            with Session.begin_nested():
                token.last_used_at = now
        except sa.exc.OperationalError:
            pass
    return token.user
