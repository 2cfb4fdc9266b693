"""Permanent WeChat QR codes per window (scene = window code) and the windows to print."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Unit, Window
from feedback_api.models.reference import DELISTED
from feedback_api.services.errors import NotFound
from wechat_bot.models import WindowQrCode


def windows_missing_qr() -> list[Window]:
    """Windows still listed (not 摘牌) that have no QR code yet."""
    return list(
        Session.scalars(
            sa.select(Window)
            .outerjoin(WindowQrCode, WindowQrCode.window_id == Window.id)
            .where(WindowQrCode.window_id.is_(None), Window.status != DELISTED)
            .order_by(Window.code)
        )
    )


def save_qr(window: Window, *, ticket: str, url: str) -> WindowQrCode:
    qr = WindowQrCode(window_id=window.id, scene=window.code, ticket=ticket, url=url)
    Session.add(qr)
    Session.flush()
    return qr


def qr_for(window: Window) -> WindowQrCode | None:
    return Session.get(WindowQrCode, window.id)


def windows_for_posters(unit_code: str | None = None) -> list[Window]:
    """Listed windows, all or of one unit (by code), in code order."""
    stmt = sa.select(Window).join(Window.unit).where(Window.status != DELISTED)
    if unit_code:
        unit = Session.scalars(sa.select(Unit).where(Unit.code == unit_code)).first()
        if unit is None:
            raise NotFound(f"单位 {unit_code} 不存在")
        stmt = stmt.where(Window.unit_id == unit.id)
    return list(Session.scalars(stmt.order_by(Window.code)))
