"""The public page (/public): no sign-in, published data only, nothing personal.

It shows the demonstration windows by industry (the registry's 示范 status, which an award
after publicity sets, with the window's name, unit and award year only), each window's latest
published quarterly assessment (``PublishedSnapshot`` of kind "assessment": the assessment
fills these), the published good practices, and the publicity list while a period is open
(the publicity entries are snapshots made when the office opened it)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, make_response, render_template

from feedback_api.db import Session
from feedback_api.models import PublishedSnapshot, Unit, Window
from feedback_api.models.reference import INDUSTRIES
from feedback_api.services import cycle as cycle_service

bp = Blueprint("public", __name__, url_prefix="/public")

#: What an assessment snapshot's payload may show here (anything else in it is not shown).
ASSESSMENT_KEYS = ("score", "grade", "summary")


@bp.get("")
def index() -> Any:
    rows = Session.execute(
        sa.select(Window.id, Window.name, Window.status_year, Unit.name, Unit.industry)
        .join(Window.unit).where(Window.status == "demonstration")
        .order_by(Unit.industry, Unit.name, Window.name)).all()
    window_ids = [r[0] for r in rows]
    latest: dict[int, PublishedSnapshot] = {}
    if window_ids:
        for snap in Session.scalars(sa.select(PublishedSnapshot).where(
                PublishedSnapshot.kind == "assessment", PublishedSnapshot.window_id.in_(window_ids))
                .order_by(PublishedSnapshot.period.desc(), PublishedSnapshot.id.desc())):
            latest.setdefault(snap.window_id, snap)
    # A delisted window's cases leave the page with it; an industry's own cases stay.
    practices = Session.scalars(
        sa.select(PublishedSnapshot).outerjoin(Window, Window.id == PublishedSnapshot.window_id)
        .where(PublishedSnapshot.kind == "good_practice",
               sa.or_(Window.id.is_(None), Window.status != "delisted"))
        .order_by(PublishedSnapshot.published_at.desc()).limit(60)).all()
    by_industry: dict[str, dict[str, Any]] = {}
    for wid, name, year, unit_name, industry in rows:
        group = by_industry.setdefault(industry, {"windows": [], "practices": []})
        snap = latest.get(wid)
        group["windows"].append({
            "name": name, "unit": unit_name, "year": year,
            "assessment": None if snap is None else {
                "period": snap.period,
                **{k: snap.payload.get(k) for k in ASSESSMENT_KEYS if k in snap.payload}}})
    for p in practices:
        by_industry.setdefault(p.industry, {"windows": [], "practices": []})["practices"].append({
            k: p.payload.get(k, "") for k in ("title", "practice_kind", "text", "unit_name",
                                              "window_name")})
    order = [k for k in INDUSTRIES if k in by_industry]
    order += sorted(k for k in by_industry if k not in INDUSTRIES)
    publicity = [{"starts_on": p.starts_on, "ends_on": p.ends_on, "year": p.cycle.year,
                  "notice": p.notice,
                  "entries": [{"window": e.window_name, "unit": e.unit_name,
                               "industry": e.industry, "score": e.score} for e in p.entries]}
                 for p in cycle_service.open_publicities()]
    resp = make_response(render_template(
        "public/index.html", groups=[(k, by_industry[k]) for k in order], publicity=publicity,
        total=len(rows), INDUSTRIES=INDUSTRIES))
    resp.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'self'"
    resp.headers["Cache-Control"] = "public, max-age=60"
    return resp
