"""Published periods (已发布考核): every window's full assessment row stored as a versioned
snapshot (``AssessmentSnapshot``), which pages, reports and the public page read instead of a live
computation.

* ``publish`` stores version 1 (the office, or the scheduler once a quarter has ended);
* ``recompute`` (the office, with a reason, audited) stores the next version after late data; the
  earlier versions stay beside it, and ``analytics.snapshot_diff`` shows what changed per window;
* ``stored`` reads a version back as an ``Assessment``, cut to what a user may see.

Computing reads first, outside any write lock (it takes seconds at a city's scale and must not hold
up citizens' messages); then the write is serialised per database (SQLite ``BEGIN IMMEDIATE``,
PostgreSQL an advisory transaction lock), the current version read again, and the new one added.
Two runs at once therefore store one version, and the second finds it. These functions are called
at the start of a unit of work: they end its read transaction; the caller commits."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from analytics.assessment import Assessment, Component, Period, WindowAssessment, assess
from analytics.assessment_access import require_live
from analytics.snapshot_compute import Computed, compute
from feedback_api.db import Session, begin_write
from feedback_api.models import (
    AssessmentSnapshot,
    AssessmentSnapshotRow,
    PublishedSnapshot,
    User,
    Window,
)
from feedback_api.models.reference import DEMONSTRATION
from feedback_api.services import audit, scope
from feedback_api.services import cycle as cycle_service
from feedback_api.services.errors import Conflict, PermissionDenied, ValidationError
from feedback_api.services.feedback import LOCAL_TZ

TRIGGERS = {"publish": "发布", "schedule": "季度结束后自动发布", "recompute": "重新计算"}
#: How long storing a version waits for another writer (the web's writes are short).
WRITE_WAIT_MS = 60_000
MAX_REASON = 500


@dataclass
class Stored:
    snapshot: AssessmentSnapshot
    result: Assessment
    trend: dict[int, list[list[Any]]]
    tickets: dict[int, dict[str, Any]]


# --- Stored versions -------------------------------------------------------------------------

def latest(period: Period) -> AssessmentSnapshot | None:
    return Session.scalars(sa.select(AssessmentSnapshot)
                           .where(AssessmentSnapshot.period == period.code)
                           .order_by(AssessmentSnapshot.version.desc()).limit(1)).first()


def stored_window_ids(period: Period) -> set[int] | None:
    """The windows the newest stored version of ``period`` holds (None: not published)."""
    snap = latest(period)
    return None if snap is None else set(Session.scalars(
        sa.select(AssessmentSnapshotRow.window_id).where(AssessmentSnapshotRow.snapshot_id == snap.id)))


def versions(period: Period) -> list[AssessmentSnapshot]:
    return list(Session.scalars(sa.select(AssessmentSnapshot)
                                .where(AssessmentSnapshot.period == period.code)
                                .order_by(AssessmentSnapshot.version)))


def get_version(period: Period, version: int) -> AssessmentSnapshot | None:
    return Session.scalars(sa.select(AssessmentSnapshot).where(
        AssessmentSnapshot.period == period.code, AssessmentSnapshot.version == version)).first()


_ROW_NAMES = tuple(f.name for f in dataclasses.fields(WindowAssessment))
_COMPONENT_NAMES = tuple(f.name for f in dataclasses.fields(Component))
_ROW_FIELDS = set(_ROW_NAMES)
#: The five-level distributions, stored with string keys (JSON): all, WeChat's, H5's.
_DISTRIBUTIONS = ("distribution", "distribution_wechat", "distribution_h5")
_COMPONENT_FIELDS = set(_COMPONENT_NAMES)


def row_data(r: WindowAssessment) -> dict[str, Any]:
    """The row as stored (JSON): what ``dataclasses.asdict`` gives, built directly (its deep
    copies were a third of the quarter-end night's Python time at 2,000 windows)."""
    d = {name: getattr(r, name) for name in _ROW_NAMES}
    for name in _DISTRIBUTIONS:
        dist = getattr(r, name)
        d[name] = None if dist is None else {str(k): v for k, v in dist.items()}
    d["topics"] = [tuple(t) for t in r.topics]
    d["components"] = [{name: getattr(c, name) for name in _COMPONENT_NAMES} for c in r.components]
    return d


def row_from(data: dict[str, Any]) -> WindowAssessment:
    """A stored row back as the assessment's row (a field added since keeps its default)."""
    d = {k: v for k, v in data.items() if k in _ROW_FIELDS}
    d["distribution"] = {int(k): int(v) for k, v in (d.get("distribution") or {}).items()}
    for name in _DISTRIBUTIONS[1:]:  # None: stored before the split was kept
        if d.get(name) is not None:
            d[name] = {int(k): int(v) for k, v in d[name].items()}
    d["topics"] = [(t[0], int(t[1])) for t in d.get("topics") or []]
    d["components"] = [Component(**{k: v for k, v in c.items() if k in _COMPONENT_FIELDS})
                       for c in d.get("components") or []]
    return WindowAssessment(**d)


_ROW = AssessmentSnapshotRow
#: The period's other versions, to find the newest (not correlated with the row's own).
_OTHER = orm.aliased(AssessmentSnapshot)


def _with_rows(*cut: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """A version (``version``, else the period's newest) with its rows among ``window_ids``
    (and ``cut``): one statement; a version without such rows comes with None."""
    newest = (sa.select(sa.func.max(_OTHER.version))
              .where(_OTHER.period == sa.bindparam("period")).scalar_subquery())
    return (sa.select(AssessmentSnapshot, _ROW.window_id, _ROW.data)
            .outerjoin(_ROW, sa.and_(_ROW.snapshot_id == AssessmentSnapshot.id,
                                     _ROW.window_id.in_(sa.bindparam("window_ids", expanding=True)),
                                     *cut))
            .where(AssessmentSnapshot.period == sa.bindparam("period"),
                   AssessmentSnapshot.version == sa.func.coalesce(
                       sa.bindparam("version", type_=sa.Integer), newest)))


#: Built once for readers of every window (the office, the agency): building it took longer
#: than running it.
_WITH_ROWS = _with_rows()


def stored(period: Period, user: User | None = None, version: int | None = None,
           window_ids: list[int] | None = None) -> Stored | None:
    """A stored version (the newest by default) as an ``Assessment`` cut to what ``user`` may
    see (and to ``window_ids`` when given: a report reads its own rows only), or None when the
    period is not published (or has no such version)."""
    cut = []
    if user is not None and user.role not in scope.GLOBAL_ROLES:
        cut.append(_ROW.window_id.in_(scope.visible_window_ids(user)))
    if window_ids is not None:
        # A report's few rows come with their version in one statement.
        got = Session.execute(_with_rows(*cut) if cut else _WITH_ROWS, {
            "period": period.code, "version": version, "window_ids": window_ids}).all()
        if not got:
            return None
        snap = got[0][0]
        pairs = [(wid, data) for _, wid, data in got if wid is not None]
    else:
        found = latest(period) if version is None else get_version(period, version)
        if found is None:
            return None
        snap = found
        pairs = [(wid, data) for wid, data in Session.execute(
            sa.select(_ROW.window_id, _ROW.data).where(_ROW.snapshot_id == snap.id, *cut))]
    rows, trend, tickets = [], {}, {}
    for wid, data in pairs:
        rows.append(row_from(data["assessment"]))
        trend[wid], tickets[wid] = data.get("trend") or [], data.get("tickets") or {}
    rows.sort(key=lambda r: (r.rank_district is None, r.rank_district or 0, r.code))
    result = Assessment(period, dict(snap.weights), rows, snap.district_ranked, list(snap.notes),
                        snap.formula)
    return Stored(snap, result, trend, tickets)


def assessment_for(period: Period, user: User | None) -> tuple[Assessment, AssessmentSnapshot | None]:
    """What pages show: the published version when there is one, else a live computation for
    those who read one (``assessment_access``: others get NotPublished)."""
    got = stored(period, user)
    if got is None:
        require_live(period, user)
    return (got.result, got.snapshot) if got else (assess(period, user), None)


# --- Writing ---------------------------------------------------------------------------------

def _lock_for_write(period: Period) -> None:
    """End the read, then serialise the writers of this database's snapshots. The unit of work
    must not have written before (its changes would be rolled back: refuse them)."""
    if Session.new or Session.dirty or Session.deleted:
        raise RuntimeError("storing an assessment version starts its own unit of work")
    Session.rollback()
    begin_write(WRITE_WAIT_MS)
    if Session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(
            f"window-watch:assessment-snapshot:{period.code}".encode()).digest()[:8], "big",
            signed=True)
        Session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


def _store(computed: Computed, actor_id: int | None, trigger: str, reason: str,
           version: int) -> AssessmentSnapshot:
    result = computed.result
    snap = AssessmentSnapshot(period=computed.period.code, version=version, trigger=trigger,
                              reason=reason, created_by=actor_id, weights=result.weights,
                              formula=result.formula, notes=result.notes,
                              district_ranked=result.district_ranked)
    Session.add(snap)
    Session.flush()
    if result.rows:
        Session.execute(sa.insert(AssessmentSnapshotRow), [
            {"snapshot_id": snap.id, "window_id": r.window_id, "composite": r.composite,
             "rank_district": r.rank_district, "rank_industry": r.rank_industry,
             "data": {"assessment": row_data(r), "trend": computed.trend.get(r.window_id, []),
                      "tickets": computed.tickets.get(r.window_id, {})}}
            for r in result.rows])
    return snap


def _check_period(period: Period) -> None:
    if period.start > datetime.now(LOCAL_TZ).date():
        raise ValidationError(f"{period.label}尚未开始，不能发布")


def _require_office(actor: User | None) -> None:
    if actor is not None and actor.role != "office":
        raise PermissionDenied("仅区联席办可发布或重新计算考核结果")


def publish(actor: User | None, period: Period, *, trigger: str = "publish") -> AssessmentSnapshot | None:
    """Store the period's version 1. A period already published is a Conflict for the office,
    and nothing to do (None) for the scheduler's ``trigger="schedule"``."""
    _require_office(actor)
    _check_period(period)
    actor_id = actor.id if actor is not None else None
    computed = compute(period)
    _lock_for_write(period)
    current = latest(period)
    if current is not None:
        if trigger == "schedule":
            return None
        raise Conflict(f"{period.label}已发布（第 {current.version} 版）；"
                       "数据有变化时请“重新计算”，旧版本会保留")
    snap = _store(computed, actor_id, trigger, "", 1)
    audit.record_change(Session.get(User, actor_id) if actor_id else None, "publish",
                        "assessment_snapshot", f"{period.code}:v1", None,
                        {"period": period.code, "version": 1, "trigger": trigger,
                         "windows": len(computed.result.rows)})
    return snap


def recompute(actor: User | None, period: Period, reason: str) -> AssessmentSnapshot:
    """Store the next version of a published period (late data); the earlier ones stay.
    Audited with the reason and how many windows changed; the public page, if it shows this
    period, shows the new version."""
    from analytics.snapshot_diff import compare

    _require_office(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写重新计算的原因（如：补录了第三季度的综合检查）")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"原因最多 {MAX_REASON} 字")
    actor_id = actor.id if actor is not None else None
    computed = compute(period)
    _lock_for_write(period)
    current = latest(period)
    if current is None:
        raise Conflict(f"{period.label}尚未发布，请先发布")
    snap = _store(computed, actor_id, "recompute", reason, current.version + 1)
    changed = compare(current, snap)
    who = Session.get(User, actor_id) if actor_id else None
    audit.record_change(who, "recompute", "assessment_snapshot", f"{period.code}:v{snap.version}",
                        {"version": current.version},
                        {"version": snap.version, "reason": reason,
                         "windows_changed": len(changed),
                         "windows": [c.code for c in changed][:50]})
    if Session.scalar(sa.select(sa.func.count()).select_from(PublishedSnapshot).where(
            PublishedSnapshot.kind == "assessment", PublishedSnapshot.period == period.code)):
        write_public(who, period)
    return snap


def write_public(actor: User | None, period: Period) -> tuple[int, list[str]]:
    """The public page's rows of a published quarter, from its newest version: each
    demonstration window's score and industry rank (nothing personal). Returns how many were
    written and the demonstration windows without a composite."""
    got = stored(period)
    if got is None:
        raise Conflict(f"{period.label}尚未发布")
    without: list[str] = []
    written: set[str] = set()
    windows = {w.id: w for w in Session.scalars(sa.select(Window).where(
        Window.id.in_([r.window_id for r in got.result.rows])))}
    for row in got.result.rows:
        if row.status != DEMONSTRATION:
            continue
        if row.composite is None:
            without.append(row.code)
            continue
        summary = f"{period.label}综合得分 {row.composite:.1f}"
        if row.rank_industry is not None:
            summary += f"，本行业 {row.industry_ranked} 个参评窗口中第 {row.rank_industry} 名"
        source = f"assessment:{period.code}:{row.code}"
        cycle_service.publish_snapshot(
            actor, kind="assessment", source=source, period=period.code,
            window=windows.get(row.window_id),
            payload={"score": round(row.composite, 1), "summary": summary})
        written.add(source)
    # A score this version no longer has (no composite now, or not a demonstration window then)
    # leaves the public page: it showed the earlier version's.
    for stale in Session.scalars(sa.select(PublishedSnapshot).where(
            PublishedSnapshot.kind == "assessment", PublishedSnapshot.period == period.code,
            PublishedSnapshot.source.not_in(written or {""}))):
        audit.record_change(actor, "delete", "published_snapshot", f"{stale.kind}:{stale.source}",
                            {"period": stale.period, "payload": stale.payload}, None)
        Session.delete(stale)
    Session.flush()
    return len(written), without

