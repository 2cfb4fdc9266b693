"""Units (窗口单位) and windows (窗口): the registry the whole programme hangs on."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_api.db import Base, UTCDateTime, utcnow
from feedback_api.models.reference import CANDIDATE

#: A window code is also the scene string of its QR code, which allows 1–64 characters.
WINDOW_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")
UNIT_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,31}$")


def _district_today() -> date:
    return utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable short code, e.g. ``TZ-SW``; window codes usually start with it.
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    #: Code from ``reference.INDUSTRIES``.
    industry: Mapped[str] = mapped_column(sa.String(32), index=True)
    #: 主管部门: the industry authority that supervises the unit.
    authority: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_person: Mapped[str] = mapped_column(sa.String(100), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(50), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    windows: Mapped[list[Window]] = relationship(back_populates="unit", order_by="Window.code")

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name}>"


class Window(Base):
    __tablename__ = "windows"
    __table_args__ = (
        sa.CheckConstraint("status in ('candidate', 'demonstration', 'delisted')", name="status"),
        sa.CheckConstraint("staff_count >= 0", name="staff_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable code such as ``TZ-SW-001``; also the QR scene string.
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    #: 主要服务事项, one per line.
    service_items: Mapped[str] = mapped_column(sa.Text, default="")
    staff_count: Mapped[int] = mapped_column(default=0)
    #: 窗口负责人 and 联系电话 of the ledger.
    contact_person: Mapped[str] = mapped_column(sa.String(100), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(50), default="")
    #: 服务时间, e.g. "工作日 9:00-17:00".
    service_hours: Mapped[str] = mapped_column(sa.String(200), default="")
    #: 创建中 candidate / 示范 demonstration / 摘牌 delisted.
    status: Mapped[str] = mapped_column(sa.String(16), default=CANDIDATE, index=True)
    #: The day the current status took effect.
    status_date: Mapped[date | None] = mapped_column(sa.Date)
    #: The programme year of the status (award year for 示范, delisting year for 摘牌).
    status_year: Mapped[int | None]
    status_reason: Mapped[str] = mapped_column(sa.Text, default="")
    #: 挂牌日期 (授牌日期) of the ledger: the day the window joined the programme, from which on the
    #: periods assess it (``analytics.assessment.assessed_in``); the day it was entered if not given.
    listed_on: Mapped[date] = mapped_column(sa.Date, default=_district_today)
    #: 备注 of the ledger.
    remarks: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="windows")

    @property
    def unit_name(self) -> str:
        return self.unit.name

    def __repr__(self) -> str:
        return f"<Window {self.code} {self.name}>"


class WindowStatusChange(Base):
    """One change of a window's title status (创建中/示范/摘牌, its year or date): written by the
    window registry, the one place the title changes; the first row of an older window is its
    status when the history began (migration 0040)."""

    __tablename__ = "window_status_changes"
    __table_args__ = (
        sa.CheckConstraint("via in ('edit', 'api', 'import', 'award', 'delisting', 'backfill')", name="via"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("windows.id", ondelete="CASCADE"),
                                           index=True)
    #: None: the window's first entry (registered, or its status when the history began).
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16))
    #: The programme year and the day of effect of the status it changed to.
    status_year: Mapped[int | None]
    effective_on: Mapped[date | None] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Who, as the audit log names them (a username, or "cli"/"system").
    actor: Mapped[str] = mapped_column(sa.String(64))
    via: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
