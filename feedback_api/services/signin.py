"""Password sign-in: the throttles against guessing, and every attempt in the audit log (the
username tried, the address and the result; never a password)."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from feedback_api.db import Session, utcnow
from feedback_api.models import User
from feedback_api.services import audit, ratelimit

# A real hash to compare against when the user does not exist, so timing does not tell.
_DUMMY_HASH = generate_password_hash("window-watch-dummy-password")

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


def find_user(typed: str) -> User | None:
    """The account a username typed by a person names: as typed, else as stored since names are
    normalised (full-width letters and digits of a Chinese input method, ends trimmed). An
    account added before that keeps its full-width name, and typed so it is still found first."""
    typed = (typed or "").strip()
    plain = unicodedata.normalize("NFKC", typed).strip()
    users = {u.username: u for u in Session.scalars(
        sa.select(User).where(User.username.in_({typed, plain})))}
    return users.get(typed) or users.get(plain)


#: A sign-in's result as the audit log keeps it (the person signing in is told none of the
#: reasons for a refusal).
RESULTS = {
    "success": "成功",
    "address_waits": "该地址失败次数过多，须等待",
    "unknown": "用户名不存在",
    "disabled": "账号已停用",
    "locked": "账号已锁定",
    "pair_waits": "该地址对此账号失败次数过多，须等待",
    "wrong_password": "密码错误",
}


def _refused(password: str, reason: str) -> str:
    """Spend the time of a real password check, so timing tells nothing either."""
    check_password_hash(_DUMMY_HASH, password or "")
    return reason


def authenticate(username: str, password: str, address: str = "-") -> User | None:
    """The active user with these credentials, or None for every failure alike (unknown user,
    wrong password, a disabled user, an address or account made to wait: none is told apart).
    Each attempt is audited (``sign_in`` / ``sign_in_failed``, with the reason); the caller
    commits either way, so the counts and the entry survive."""
    username = (username or "").strip()
    address = address or "-"
    account, reason = _attempt(username, password, address)
    if reason == "address_waits" and ratelimit.count("login-waits-logged", address,
                                                     window=_WINDOW) > 1:
        return None  # already logged for this waiting period: a flood does not grow the log
    entry = {"address": address[:64], "result": RESULTS[reason]}
    if reason == "success":
        audit.record_change(account, "sign_in", "user", account.username, None, entry)
        return account
    # Under the account's name, where the office looks for it (ｏｆｆｉｃｅ is office's failure);
    # an unknown name as typed (cut to the column), so guesses at names show too.
    name = account.username if account is not None else username[:64]
    if name != username[:64]:
        entry["typed"] = username[:64]
    audit.record_change(None, "sign_in_failed", "user", name, None, entry,
                        actor_label="anonymous")
    return None


def _attempt(username: str, password: str, address: str) -> tuple[User | None, str]:
    """The account the name names (None if none) and the result. Attempts are counted in SQL
    before the password is checked (an addition that returns the new count), so parallel
    guesses cannot pass a limit."""
    if ratelimit.recent("login-address", address, window=_WINDOW) >= ADDRESS_LIMIT:
        return None, _refused(password, "address_waits")
    # Either width names the one account, so its failures are counted together (by its id).
    user = find_user(username)
    now = utcnow()
    if user is None or not user.active or (user.locked_until is not None and user.locked_until > now):
        ratelimit.count("login-address", address, window=_WINDOW)
        return user, _refused(password, "unknown" if user is None
                              else "disabled" if not user.active else "locked")
    pair = f"{user.id}|{address}"
    if ratelimit.count("login-pair", pair, window=_WINDOW) > LOCK_AFTER:
        return user, _refused(password, "pair_waits")
    account_failures = ratelimit.count("login-account", str(user.id), window=_WINDOW)
    if account_failures <= ACCOUNT_LOCK_AFTER and check_password_hash(user.password_hash,
                                                                       password or ""):
        ratelimit.forget("login-pair", pair)
        ratelimit.forget("login-account", str(user.id))
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        Session.flush()
        return user, "success"
    ratelimit.count("login-address", address, window=_WINDOW)
    Session.execute(sa.update(User).where(User.id == user.id)
                    .values(failed_logins=User.failed_logins + 1))
    if account_failures == ACCOUNT_LOCK_AFTER:  # exactly one attempt reaches it
        locked_until = now + LOCK_FOR
        Session.execute(sa.update(User).where(User.id == user.id).values(locked_until=locked_until))
        ratelimit.forget("login-account", str(user.id))
        audit.record_change(None, "lock", "user", user.username, None,
                            {"locked_until": locked_until}, actor_label="system")
    return user, "wrong_password"
