"""Published snapshots: what the public page may show, frozen when published."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import PublishedSnapshot, Submission, User, Window
from feedback_api.services import audit
from feedback_api.services.cycle.fields import PRACTICE_KINDS
from feedback_api.services.cycle.scopes import _require_office
from feedback_api.services.errors import Conflict, NotFound


def publish_snapshot(actor: User | None, *, kind: str, source: str, period: str,
                     payload: dict[str, Any], window: Window | None = None,
                     industry: str = "") -> PublishedSnapshot:
    """Publish (or republish) what the public page may show. The quarterly assessment calls
    this with ``kind="assessment"``, ``period="2026Q3"`` and a payload of non-personal figures;
    the public page shows each window's latest."""
    _require_office(actor)
    snap = Session.scalars(sa.select(PublishedSnapshot).where(
        PublishedSnapshot.kind == kind, PublishedSnapshot.source == source)).first()
    before = None if snap is None else {"period": snap.period, "payload": snap.payload}
    # Read before the new row joins the session: loading window.unit would flush it half-made.
    industry = industry or (window.unit.industry if window is not None else "")
    if snap is None:
        snap = PublishedSnapshot(kind=kind, source=source)
    snap.window, snap.industry = window, industry
    snap.period, snap.payload = period, payload
    snap.published_at, snap.published_by = utcnow(), actor.id if actor else None
    Session.add(snap)
    Session.flush()
    audit.record_change(actor, "publish", "published_snapshot", f"{kind}:{source}", before,
                        {"period": period, "payload": payload})
    return snap


def publish_good_practice(actor: User | None, submission: Submission) -> PublishedSnapshot:
    if submission.kind != "good_practice" or submission.state != "accepted":
        raise Conflict("只能发布已受理的诚信服务工作法/优秀案例")
    d = submission.data
    return publish_snapshot(actor, kind="good_practice", source=f"submission:{submission.id}",
                            period=str(submission.cycle.year), window=submission.window,
                            industry=submission.industry, payload={
                                "title": d.get("title", ""),
                                "practice_kind": dict(PRACTICE_KINDS).get(d.get("practice_kind", ""), ""),
                                "text": d.get("text", ""),
                                "unit_name": submission.unit.name if submission.unit else "",
                                "window_name": submission.window.name if submission.window else "",
                            })


def unpublish_good_practice(actor: User | None, submission: Submission) -> None:
    """Take a good practice off the public page (the submission stays)."""
    _require_office(actor)
    snap = Session.scalars(sa.select(PublishedSnapshot).where(
        PublishedSnapshot.kind == "good_practice",
        PublishedSnapshot.source == f"submission:{submission.id}")).first()
    if snap is None:
        raise NotFound("该材料未发布")
    audit.record_change(actor, "delete", "published_snapshot", f"{snap.kind}:{snap.source}",
                        {"period": snap.period, "payload": snap.payload}, None)
    Session.delete(snap)
    Session.flush()


def published_good_practice_sources() -> set[str]:
    return set(Session.scalars(sa.select(PublishedSnapshot.source).where(
        PublishedSnapshot.kind == "good_practice")).all())
