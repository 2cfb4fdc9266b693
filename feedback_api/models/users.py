"""Users with roles and scopes, their API tokens, and the audit log of their changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_api.db import Base, UTCDateTime, utcnow
from feedback_api.models.windows import Unit, Window


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role in ('office', 'agency', 'authority', 'unit', 'expert')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100), default="")
    #: office 区联席办 / agency 第三方机构 / authority 行业主管部门 / unit 窗口单位 /
    #: expert 评审专家 (sees only the candidates assigned to it).
    role: Mapped[str] = mapped_column(sa.String(16))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Wrong passwords since the last sign-in (added in SQL); locks follow the sign-in throttles
    #: of services/users.py.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Part of every session's user id: a password change or reset, disabling, a role or scope
    #: change bumps it (users.end_sessions), so every session signed in before stops working at
    #: its next request.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    #: The office set this password (a new account, a reset): the user must choose their own
    #: before anything else (admin_web/account_password.py; the API refuses their tokens).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The account holder's mailbox (optional; the account import sheet's 邮箱).
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: An expert's work unit (工作单位) when it is a registered unit of the programme: the expert
    #: does not review that unit's candidates (回避, services/cycle/recusal.py).
    work_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    #: An expert's work unit outside the programme (e.g. a university), as typed; for the record.
    work_unit_other: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    work_unit: Mapped[Unit | None] = relationship(foreign_keys=[work_unit_id])
    scopes: Mapped[list[UserScope]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # "id:version", what Flask-Login keeps in the session (see users.load_session_user).
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class UserScope(Base):
    """One thing a scoped user may see: a whole industry, a unit, or a single window."""

    __tablename__ = "user_scopes"
    __table_args__ = (
        sa.CheckConstraint(
            "(CASE WHEN industry IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN window_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    industry: Mapped[str | None] = mapped_column(sa.String(32))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"))
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("windows.id", ondelete="CASCADE"))

    user: Mapped[User] = relationship(back_populates="scopes")
    unit: Mapped[Unit | None] = relationship(lazy="joined")
    window: Mapped[Window | None] = relationship(lazy="joined")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The first characters of the token, to tell tokens apart in lists.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: After this the token no longer works; null = no expiry.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class AuditLog(Base):
    """Who changed what, when, with the values before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: Who acted, kept even if the user is deleted (username, or "cli" / "system").
    actor: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(32))
    entity_type: Mapped[str] = mapped_column(sa.String(32))
    entity_id: Mapped[str] = mapped_column(sa.String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
