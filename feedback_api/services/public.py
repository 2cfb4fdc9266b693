"""What the public page (/public) shows: published data only, nothing personal.

The demonstration windows by industry (the registry's 示范 status, which an award after
publicity sets: the window's name, unit and award year only), each window's latest published
quarterly assessment (``PublishedSnapshot`` of kind "assessment"), the published good
practices, and the publicity list while a period is open (the entries are snapshots made when
the office opened it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import PublishedSnapshot, Unit, Window
from feedback_api.models.reference import DELISTED, DEMONSTRATION, INDUSTRIES
from feedback_api.services import cycle as cycle_service

#: What an assessment snapshot's payload may show (anything else in it is not shown).
ASSESSMENT_KEYS = ("score", "grade", "summary")
PRACTICE_KEYS = ("title", "practice_kind", "text", "unit_name", "window_name")
MAX_PRACTICES = 60


@dataclass
class PublicPage:
    groups: list[tuple[str, dict[str, Any]]]  # (industry, {"windows": [...], "practices": [...]})
    publicity: list[dict[str, Any]]
    total: int


def period_label(code: str) -> str:
    """A period's code as people read it: 2026Q3 → 2026年第三季度 (as ``analytics.periods``
    labels it; the public page reads only the stored code). Anything else is shown as stored."""
    if m := re.fullmatch(r"(\d{4})Q([1-4])", code or ""):
        return f"{m[1]}年第{'一二三四'[int(m[2]) - 1]}季度"
    if m := re.fullmatch(r"(\d{4})-(\d{2})", code or ""):
        return f"{m[1]}年{int(m[2])}月"
    if re.fullmatch(r"\d{4}", code or ""):
        return f"{code}年度"
    return code


def _latest_assessments(window_ids: list[int]) -> dict[int, PublishedSnapshot]:
    latest: dict[int, PublishedSnapshot] = {}
    if window_ids:
        for snap in Session.scalars(sa.select(PublishedSnapshot).where(
                PublishedSnapshot.kind == "assessment", PublishedSnapshot.window_id.in_(window_ids))
                .order_by(PublishedSnapshot.period.desc(), PublishedSnapshot.id.desc())):
            latest.setdefault(snap.window_id, snap)  # type: ignore[arg-type]
    return latest


def public_page() -> PublicPage:
    rows = Session.execute(
        sa.select(Window.id, Window.name, Window.status_year, Unit.name, Unit.industry)
        .join(Window.unit).where(Window.status == DEMONSTRATION)
        .order_by(Unit.industry, Unit.name, Window.name)).all()
    latest = _latest_assessments([r[0] for r in rows])
    # A delisted window's cases leave the page with it; an industry's own cases stay.
    practices = Session.scalars(
        sa.select(PublishedSnapshot).outerjoin(Window, Window.id == PublishedSnapshot.window_id)
        .where(PublishedSnapshot.kind == "good_practice",
               sa.or_(Window.id.is_(None), Window.status != DELISTED))
        .order_by(PublishedSnapshot.published_at.desc()).limit(MAX_PRACTICES)).all()
    by_industry: dict[str, dict[str, Any]] = {}
    for wid, name, year, unit_name, industry in rows:
        group = by_industry.setdefault(industry, {"windows": [], "practices": []})
        snap = latest.get(wid)
        group["windows"].append({
            "name": name, "unit": unit_name, "year": year,
            "assessment": None if snap is None else {
                "period": period_label(snap.period),
                **{k: snap.payload.get(k) for k in ASSESSMENT_KEYS if k in snap.payload}}})
    for p in practices:
        by_industry.setdefault(p.industry, {"windows": [], "practices": []})["practices"].append(
            {k: p.payload.get(k, "") for k in PRACTICE_KEYS})
    order = [k for k in INDUSTRIES if k in by_industry]
    order += sorted(k for k in by_industry if k not in INDUSTRIES)
    publicity = [{"starts_on": p.starts_on, "ends_on": p.ends_on, "year": p.cycle.year,
                  "notice": p.notice,
                  "entries": [{"id": e.id, "window": e.window_name, "unit": e.unit_name,
                               "industry": e.industry, "score": e.score} for e in p.entries]}
                 for p in cycle_service.open_publicities()]
    return PublicPage([(k, by_industry[k]) for k in order], publicity, len(rows))
