"""Helpers shared by the programme-year tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from feedback_api.services import cycle, users
from feedback_api.services.standards import DEFAULT_INDICATORS


def scored_recommendation(year: int, window: str = "CD-RMYY-001") -> tuple[Any, Any]:
    """``(programme year, submission)``: the year opened by the office, the health authority's
    recommendation of ``window`` accepted, and scored (90 % of every indicator) by a new expert."""
    office, health = users.get_user("office"), users.get_user("authority")
    expert = users.create_user(None, "expert1", role="expert", password="expert1-password")
    programme = cycle.create_cycle(office, year)
    sub = cycle.save_draft(health, programme, "recommendation", {
        "window": window, "reasons": "服务规范", "features": "一窗通办",
        "self_assessment": "逐项自评", "self_score": "92", "contact_person": "李主任",
        "contact_phone": "0571-88000000", "endorsement": "同意推荐"})
    cycle.accept(office, cycle.submit(health, sub))
    cycle.assign_expert(office, sub, expert)
    cycle.score(expert, sub, {name: points * 0.9 for _, name, points, _ in DEFAULT_INDICATORS})
    return programme, sub


def force_phase(programme: Any, kind: str, starts_on: date, ends_on: date) -> None:
    """Write one phase's dates directly, past the service's checks: a page test relative to
    today (whatever today is) may need a calendar the office could not set, e.g. recommendations
    still open while the publicity phase, and so the summaries' deadline, is already over."""
    phase = programme.phase(kind)
    phase.starts_on, phase.ends_on = starts_on, ends_on
