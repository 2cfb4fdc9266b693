"""The award: after publicity, the window becomes 示范 with the cycle's year."""

from __future__ import annotations

from datetime import date

from feedback_api.db import Session
from feedback_api.models import PublicityEntry, User, Window
from feedback_api.models.reference import CANDIDATE, DEMONSTRATION, WINDOW_STATUSES, label
from feedback_api.services import audit
from feedback_api.services import windows as window_service
from feedback_api.services.cycle.phases import local_today
from feedback_api.services.cycle.scopes import _require_office
from feedback_api.services.errors import Conflict


def award(actor: User | None, entry: PublicityEntry, *, today: date | None = None) -> Window:
    """After publicity ends with every objection answered and none upheld, the window becomes
    示范 with the cycle's year (through the window registry, which audits the change)."""
    _require_office(actor)
    today = today or local_today()
    publicity = entry.publicity
    if today <= publicity.ends_on:
        raise Conflict(f"公示期至 {publicity.ends_on} 结束，期满后方可命名")
    if entry.awarded_on is not None:
        raise Conflict("该窗口已命名")
    if any(o.outcome == "pending" for o in entry.objections):
        raise Conflict("该窗口尚有未答复的异议")
    if any(o.outcome == "upheld" for o in entry.objections):
        raise Conflict("该窗口的异议成立，不予命名")
    year = publicity.cycle.year
    if entry.window.status == DEMONSTRATION and entry.window.status_year == year:
        raise Conflict(f"该窗口已命名为 {year} 年度示范窗口")
    if entry.window.status != CANDIDATE:  # e.g. delisted after its recommendation
        raise Conflict(f"该窗口现为{label(WINDOW_STATUSES, entry.window.status)}，"
                       "不是创建中的候选窗口，不能命名")
    window = window_service.update_window(actor, entry.window.code, {
        "status": DEMONSTRATION, "status_year": year, "status_date": today.isoformat(),
        "status_reason": f"{year}年度评审命名（公示期 {publicity.starts_on} 至 {publicity.ends_on}）"},
        via="award")
    entry.awarded_on = today
    Session.flush()
    audit.record_change(actor, "award", "publicity", publicity.id, None,
                        {"window": window.code, "year": year, "awarded_on": today})
    return window
