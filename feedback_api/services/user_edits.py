"""The office's edits of an account: its role, its scope (a whole industry, units or single
windows) and its shown name. Each takes effect at the account's next request (the session loads
the user and scopes afresh each time) and is audited; the last active office account keeps its
role."""

from __future__ import annotations

from collections.abc import Iterable

from feedback_api.db import Session
from feedback_api.models import User
from feedback_api.models.reference import ROLES
from feedback_api.services import audit
from feedback_api.services.errors import Conflict, ValidationError
from feedback_api.services.users import other_active_offices, resolve_scope, scope_codes

#: The roles that see only their scope, and so need one.
SCOPED_ROLES = frozenset({"authority", "unit"})


def update_user(actor: User | None, user: User, *, role: str | None = None,
                scopes: Iterable[str] | None = None, display_name: str | None = None) -> bool:
    """Change what is given (None: keep it); False (and nothing logged) if nothing changed."""
    before = {"role": user.role, "scopes": scope_codes(user), "display_name": user.display_name}
    new_role = role if role is not None else user.role
    if new_role not in ROLES:
        raise ValidationError(f"角色须为 {', '.join(ROLES)} 之一")
    if (user.role == "office" and new_role != "office" and user.active
            and not other_active_offices(user)):
        raise Conflict(f"{user.username} 是最后一个启用的联席办账号，不能改为其他角色；"
                       "请先添加另一个联席办账号")
    entries = [resolve_scope(c) for c in scopes] if scopes is not None else None
    if new_role in SCOPED_ROLES and not (entries if entries is not None else user.scopes):
        raise ValidationError("行业主管部门和窗口单位用户须指定范围（--scope）")
    if display_name is not None:
        display_name = display_name.strip()
        if not display_name or len(display_name) > 100:
            raise ValidationError("显示名称须为 1–100 个字符")
        user.display_name = display_name
    user.role = new_role
    if entries is not None:
        user.scopes = entries
    Session.flush()
    Session.refresh(user, ["scopes"])  # the scopes' windows and units, to name them
    after = {"role": user.role, "scopes": scope_codes(user), "display_name": user.display_name}
    return audit.record_change(actor, "update", "user", user.username, before, after) is not None
