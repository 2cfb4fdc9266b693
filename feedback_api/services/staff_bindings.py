"""Staff users bind the citizen identity they use on a channel (their own WeChat account) by
scanning a short-lived binding code; alerts then reach them there, and their own ratings of
the windows they work at are recognised (``analytics.abuse``).

The code is random, shown once, stored only as its hash, and used once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import StaffBinding, User, UserScope, Window
from feedback_api.services import audit
from feedback_api.services.errors import PermissionDenied

#: How long a binding code may be scanned (WeChat's temporary QR code expires with it).
CODE_TTL = timedelta(minutes=10)
#: Scene prefix of a binding QR code (``bind-<code>``): never a window code (those have no
#: lower case).
SCENE_PREFIX = "bind-"
#: Who may bind: unit staff (差评, tickets, programme reminders), industry authorities
#: (programme reminders) and experts (review reminders).
BINDING_ROLES = frozenset({"unit", "authority", "expert"})


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def binding_of(user: User) -> StaffBinding | None:
    return Session.scalars(sa.select(StaffBinding).where(StaffBinding.user_id == user.id)).first()


def is_bound(user: User) -> bool:
    binding = binding_of(user)
    return binding is not None and binding.citizen_id is not None


def issue_code(user: User, *, now: datetime | None = None) -> str:
    """A new binding code for ``user`` (replacing an unused one); its scene is
    ``SCENE_PREFIX + code``. Binding again later replaces the bound identity."""
    if user.role not in BINDING_ROLES:
        raise PermissionDenied("只有窗口单位、行业主管部门的工作人员和评审专家需要绑定微信接收提醒")
    now = now or utcnow()
    code = secrets.token_urlsafe(18)  # 24 characters; the scene stays within WeChat's 64
    binding = binding_of(user)
    if binding is None:
        binding = StaffBinding(user_id=user.id, created_at=now)
        Session.add(binding)
    binding.token_hash, binding.token_expires_at = _hash(code), now + CODE_TTL
    Session.flush()
    return code


@dataclass(frozen=True)
class Bound:
    user_id: int
    display_name: str
    role: str = "unit"


def bind(code: str, citizen_id: int, *, now: datetime | None = None) -> Bound | None:
    """Link the citizen identity that scanned ``code`` to its user; None for an unknown,
    used or expired code, or an inactive user."""
    now = now or utcnow()
    binding = Session.scalars(sa.select(StaffBinding)
                              .where(StaffBinding.token_hash == _hash(code))
                              .with_for_update()).first()
    if binding is None or binding.token_expires_at is None or binding.token_expires_at < now:
        return None
    user = Session.get(User, binding.user_id)
    if user is None or not user.active:
        return None
    before = {"bound": binding.citizen_id is not None}
    binding.citizen_id, binding.bound_at = citizen_id, now
    binding.token_hash = binding.token_expires_at = None
    Session.flush()
    audit.record_change(user, "update", "user", user.username, before, {"wechat_bound": True})
    return Bound(user.id, user.display_name or user.username, user.role)


def unbind(user: User) -> bool:
    """Forget ``user``'s binding (and any pending code); False when there was none."""
    binding = binding_of(user)
    if binding is None:
        return False
    was_bound = binding.citizen_id is not None
    Session.delete(binding)
    Session.flush()
    if was_bound:
        audit.record_change(user, "update", "user", user.username, {"wechat_bound": True},
                            {"wechat_bound": False})
    return was_bound


def covers_window(window_id: sa.ColumnElement[int],
                   unit_id: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """A unit-staff user's scope covers the window: their unit, or that window itself."""
    return sa.exists().where(UserScope.user_id == User.id,
                             sa.or_(UserScope.unit_id == unit_id, UserScope.window_id == window_id))


def staff_citizens_of_unit(unit_id: int, window_id: int | None = None) -> list[int]:
    """The bound identities of the unit's active staff (unit scope, or one of its windows);
    of an alert about ``window_id``, only those whose scope covers that window."""
    own_window = sa.exists().where(UserScope.user_id == User.id, UserScope.window_id == Window.id,
                                   Window.unit_id == unit_id,
                                   *([Window.id == window_id] if window_id is not None else []))
    own_unit = sa.exists().where(UserScope.user_id == User.id, UserScope.unit_id == unit_id)
    return list(Session.scalars(
        sa.select(StaffBinding.citizen_id).join(User, User.id == StaffBinding.user_id)
        .where(StaffBinding.citizen_id.is_not(None), User.active.is_(True), User.role == "unit",
               sa.or_(own_unit, own_window))
        .order_by(StaffBinding.id)))


def staff_citizens_of_industry(industry: str) -> list[int]:
    """The bound identities of the industry authority's active users (industry scope)."""
    return list(Session.scalars(
        sa.select(StaffBinding.citizen_id).join(User, User.id == StaffBinding.user_id)
        .where(StaffBinding.citizen_id.is_not(None), User.active.is_(True),
               User.role == "authority",
               sa.exists().where(UserScope.user_id == User.id, UserScope.industry == industry))
        .order_by(StaffBinding.id)))


def bound_citizen_of_expert(user_id: int) -> list[int]:
    """The bound identity of an active expert (none or one)."""
    return list(Session.scalars(
        sa.select(StaffBinding.citizen_id).join(User, User.id == StaffBinding.user_id)
        .where(StaffBinding.citizen_id.is_not(None), User.active.is_(True),
               User.role == "expert", User.id == user_id)))


def staff_of_window_clause(citizen_id: sa.ColumnElement[int | None],
                           window: type[Window] = Window) -> sa.ColumnElement[bool]:
    """SQL: the citizen identity is bound to an active unit-staff user of the window."""
    return sa.exists().where(StaffBinding.citizen_id == citizen_id,
                             User.id == StaffBinding.user_id, User.role == "unit",
                             User.active.is_(True), covers_window(window.id, window.unit_id))

