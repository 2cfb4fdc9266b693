"""The office's edits of an account: its role, its scope (a whole industry, units or single
windows) and its shown name; a new account or a reset with a one-time password; a user's own
password change. Each takes effect at the account's next request (the session loads the user and
scopes afresh each time) and is audited; the last active office account keeps its role. A role or
scope change ends the account's open sessions, a role change revokes its API tokens as well
(users.end_sessions); a password change or reset does both (users.set_password)."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from feedback_api.db import Session
from feedback_api.models import User
from feedback_api.models.reference import ROLES
from feedback_api.services import alert_contacts, audit, ratelimit
from feedback_api.services.errors import Conflict, NotFound, ValidationError
from feedback_api.services.users import (
    SCOPE_REQUIRED,
    check_new_password,
    create_user,
    end_sessions,
    is_locked,
    other_active_offices,
    scope_codes,
    scope_entries,
    set_password,
)

#: One-time passwords: no 0/O, 1/l/I, so they can be read out over the telephone.
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ONE_TIME_LENGTH = 12

#: The roles that see only their scope, and so need one.
SCOPED_ROLES = frozenset({"authority", "unit"})


def scope_list(text: str | None) -> list[str]:
    """Scope codes as typed: separated by spaces, commas (either width), 、 or new lines."""
    return [c for c in re.split(r"[\s,，、;；]+", text or "") if c]


def update_user(actor: User | None, user: User, *, role: str | None = None,
                scopes: Iterable[str] | None = None, display_name: str | None = None,
                email: str | None = None) -> bool:
    """Change what is given (None: keep it; an empty ``email`` clears it); False (and nothing
    logged) if nothing changed."""
    before = {"role": user.role, "scopes": scope_codes(user), "display_name": user.display_name,
              "email": user.email}
    new_role = role if role is not None else user.role
    if new_role not in ROLES:
        raise ValidationError(f"角色须为 {', '.join(ROLES)} 之一")
    if (user.role == "office" and new_role != "office" and user.active
            and not other_active_offices(user)):
        raise Conflict(f"{user.username} 是最后一个启用的联席办账号，不能改为其他角色；"
                       "请先添加另一个联席办账号")
    entries = scope_entries(new_role, scopes) if scopes is not None else None
    if new_role in SCOPED_ROLES and not (entries if entries is not None else user.scopes):
        raise ValidationError(SCOPE_REQUIRED)
    if display_name is not None:
        display_name = display_name.strip()
        if not display_name or len(display_name) > 100:
            raise ValidationError("显示名称须为 1–100 个字符")
        user.display_name = display_name
    if email is not None:
        user.email = alert_contacts.clean_email(email) if email.strip() else None
    user.role = new_role
    if entries is not None:
        user.scopes = entries
    Session.flush()
    Session.refresh(user, ["scopes"])  # the scopes' windows and units, to name them
    after = {"role": user.role, "scopes": scope_codes(user), "display_name": user.display_name,
             "email": user.email}
    changed = audit.record_change(actor, "update", "user", user.username, before, after) is not None
    if before["role"] != after["role"]:
        # What the account may do changed: pages and scripts start again from a sign-in.
        end_sessions(actor, user, revoke_tokens=True)
    elif sorted(before["scopes"]) != sorted(after["scopes"]):
        # A token carries no scope of its own (the API reads the user's at each request), so it
        # goes on with the new one; open pages may hold what the old scope showed.
        end_sessions(actor, user, revoke_tokens=False)
    return changed


def one_time_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(ONE_TIME_LENGTH))


def create_account(actor: User | None, username: str, *, role: str, scopes: Iterable[str] = (),
                   display_name: str = "", email: str = "") -> tuple[User, str]:
    """A new account with a one-time password (returned once, stored only hashed) that the user
    must replace at the first sign-in."""
    password = one_time_password()
    user = create_user(actor, username, role=role, password=password, scopes=scopes,
                       display_name=display_name, must_change=True, email=email)
    return user, password


def set_password_unlocked(actor: User | None, user: User, password: str, *,
                          must_change: bool = True) -> bool:
    """A password the office (the web's reset) or the operator (CLI ``users passwd``) sets for
    ``user``, as :func:`set_password` (their sessions end, their tokens are revoked), and a lock
    from failed sign-ins lifted: whoever was given the new password signs in at once. True if
    the account was locked."""
    was_locked = is_locked(user)
    set_password(actor, user, password, must_change=must_change)
    if user.locked_until is not None or user.failed_logins:
        user.locked_until, user.failed_logins = None, 0
        ratelimit.forget("login-account", str(user.id))
    Session.flush()
    return was_locked


def reset_password(actor: User | None, user: User) -> str:
    """A one-time password for a user who forgot theirs (returned once): their sessions end, a
    lock from failed sign-ins is lifted, and they must choose their own at the next sign-in."""
    password = one_time_password()
    set_password_unlocked(actor, user, password, must_change=True)
    audit.record_change(actor, "reset_password", "user", user.username, None,
                        {"must_change_password": True})
    return password


#: Wrong current passwords on the change page: a session left open (a shared office computer)
#: must not be a way to guess the password, so after this many in 15 minutes the page waits.
CURRENT_TRIES = 5
_TRIES_WINDOW = 15 * 60


def current_password_ok(user: User, current: str) -> bool:
    """Whether ``current`` is the user's password, counting a wrong one (the caller commits
    either way, so the count survives); False without checking once the tries are spent."""
    key = str(user.id)
    if ratelimit.recent("password-current", key, window=_TRIES_WINDOW) >= CURRENT_TRIES:
        return False
    if check_password_hash(user.password_hash, current or ""):
        return True
    ratelimit.count("password-current", key, window=_TRIES_WINDOW)
    return False


def change_own_password(user: User, current: str, new: str, repeated: str) -> None:
    """The user's own change: the current password (checked with :func:`current_password_ok`
    first), then the new one twice (the project's rule; not the same as the current one). Every
    other session of theirs ends (the caller signs this one in again)."""
    if not check_password_hash(user.password_hash, current or ""):
        raise ValidationError("当前密码不正确", details={"current": "当前密码不正确"})
    if new != repeated:
        raise ValidationError("两次输入的新密码不一致", details={"repeated": "两次输入的新密码不一致"})
    if new == current:
        raise ValidationError("新密码不能与当前密码相同", details={"new": "新密码不能与当前密码相同"})
    check_new_password(new)
    set_password(user, user, new)


def list_accounts(*, role: str = "", state: str = "", q: str = "") -> list[User]:
    """Every account for the office's page, by role then username; ``state`` is active,
    disabled, locked or must_change; ``q`` part of the username or shown name."""
    stmt = sa.select(User).order_by(User.role, User.username)
    if role:
        stmt = stmt.where(User.role == role)
    if state == "active":
        stmt = stmt.where(User.active.is_(True))
    elif state == "disabled":
        stmt = stmt.where(User.active.is_(False))
    elif state == "must_change":
        stmt = stmt.where(User.must_change_password.is_(True))
    if q.strip():
        typed = q.strip().lower()  # % and _ as typed, not wildcards
        # Either as typed or as a name is stored (full-width letters of a Chinese input method).
        stmt = stmt.where(sa.or_(*(column.contains(text, autoescape=True)
                                   for text in {typed, unicodedata.normalize("NFKC", typed)}
                                   for column in (sa.func.lower(User.username),
                                                  sa.func.lower(User.display_name)))))
    users = list(Session.scalars(stmt))
    if state == "locked":
        users = [u for u in users if is_locked(u)]
    return users


def get_account(user_id: int) -> User:
    user = Session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在")
    return user
