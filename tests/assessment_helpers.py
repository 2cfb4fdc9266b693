"""Helpers shared by the assessment tests: users by name, feedback rows, inspections."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from feedback_api.db import Session
from feedback_api.models import Feedback, Window
from feedback_api.services import users

_seq = itertools.count(1)


def user(name: str) -> Any:
    return users.get_user(name)


def window_id(code: str) -> int:
    return Session.query(Window.id).filter(Window.code == code).scalar()


def add_feedback(code: str, ratings: list[int], *, at: datetime | None = None,
                 channel: str = "h5", **extra: Any) -> None:
    wid = window_id(code)
    for r in ratings:
        n = next(_seq)
        Session.add(Feedback(receipt_no=f"T{n:010d}", window_id=wid, rating=r, channel=channel,
                             received_at=at or datetime(2026, 8, 10, 4, tzinfo=UTC), **extra))
    Session.flush()


def full_scores(points: float | None = None, **override: float) -> dict[str, float]:
    """Scores for the default standard: every indicator at ``points`` share of its full marks."""
    from feedback_api.services.standards import DEFAULT_INDICATORS

    scores = {name: (weight if points is None else weight * points) for _c, name, weight, _p in
              DEFAULT_INDICATORS}
    scores.update(override)
    return scores


def inspection(code: str, year: int, quarter: int, *, passed: bool = True, on: date | None = None,
               actor: Any = None) -> Any:
    from feedback_api.services import inspections

    first = date(year, 3 * quarter - 2, 15)
    insp, _ = inspections.save_inspection(actor, {
        "window": code, "year": year, "quarter": quarter, "inspected_on": on or first,
        "inspectors": "张三、李四", "scores": full_scores(0.95 if passed else 0.6)})
    assert insp.passed is passed
    return insp


def standard_form(auth: Any, db: Any, year: int = 2026) -> tuple[dict[str, str], list[tuple]]:
    """The office's standard form for ``year`` as the page posts it (every indicator row as stored),
    and the rows ``(id, category, name, weight, pass_line)``; the office is logged in."""
    import sqlalchemy as sa

    from feedback_api.models import Standard

    path = f"/assessment/standard?year={year}"
    with db() as s:
        std = s.scalars(sa.select(Standard).where(Standard.year == year)).one()
        rows = [(i.id, i.category, i.name, i.weight, i.pass_line) for i in std.indicators]
    data = {"csrf_token": auth.csrf_token(path), "name": f"{year}年度标准",
            "pass_score": "85", "weight_feedback": "50", "weight_inspection": "30",
            "weight_covert": "20", "weight_tickets": "0", "deduction_general": "5",
            "deduction_major": "20"}
    for n, (i, c, name, w, p) in enumerate(rows):
        data.update({f"indicators-{n}-id": str(i), f"indicators-{n}-category": c,
                     f"indicators-{n}-name": name, f"indicators-{n}-weight": str(w),
                     f"indicators-{n}-pass_line": str(p)})
    return data, rows


def award(*codes: str, year: int = 2025) -> None:
    """Give windows the title (示范): only titled windows can be delisted."""
    for w in Session.query(Window).filter(Window.code.in_(codes)):
        w.status, w.status_year, w.status_date = "demonstration", year, date(year, 12, 30)
    Session.flush()


def registered_long_ago() -> None:
    """Every window listed (挂牌) at the start of 2025 (a quarter assesses only the windows
    listed before its end; tests create theirs today)."""
    for w in Session.query(Window):
        w.listed_on = date(2025, 1, 1)
    Session.flush()


def publish_quarter(code: str = "2026Q3") -> None:
    """The office publishes the period (in an app context): units and authorities read only
    published figures."""
    from analytics import snapshots
    from analytics.periods import parse_period

    Session.commit()  # publishing starts its own unit of work: keep what came before
    snapshots.publish(user("office"), parse_period(code))
