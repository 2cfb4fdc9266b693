"""The demo's WeChat citizens as contacts of the official account (their fake openids and
last message), so that the demo's answers and re-rating requests are queued to them like to
any WeChat citizen. Nothing is sent: the demo's WeChat account is not a real one."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from feedback_api import demo
from feedback_api.db import Session
from wechat_bot.models import CitizenContact


def _keep(_sender: object, *, openids: dict[int, tuple[str, datetime]]) -> None:
    if not openids:
        return
    known = set(Session.scalars(sa.select(CitizenContact.citizen_id)
                                .where(CitizenContact.citizen_id.in_(list(openids)))))
    new = [{"citizen_id": cid, "openid": openid, "last_message_at": at}
           for cid, (openid, at) in openids.items() if cid not in known]
    if new:
        Session.execute(sa.insert(CitizenContact), new)
        Session.flush()


def connect() -> None:
    """Subscribe to the core's demo seeding (idempotent)."""
    demo.wechat_citizens.connect(_keep)
