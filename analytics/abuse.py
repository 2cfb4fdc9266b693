"""Ballot stuffing (刷票) detection: patterns found by aggregation in SQL, shown to the agency
with the feedback involved so it can mark them invalid. Nothing is discounted here: a finding
is evidence for a reviewer, not a verdict.

Patterns: one citizen rating one window on many days (beyond the one-counted-rating-a-day
rule); a burst of new citizens rating one window within a short time; a window's own bound
staff rating it; many H5 citizens (browser cookies) rating one window from one network address
(grouped by the keyed hash H5 feedback keeps, ``Feedback.client_network_hash``, never the
address; a shared Wi-Fi can look the same, hence a lead for the reviewer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from feedback_api.db import Session, utcnow
from feedback_api.models import Citizen, Feedback, StaffBinding, Unit, User, Window
from feedback_api.services import audit, review, staff_bindings
from feedback_api.services.errors import ValidationError

KINDS = {"repeat": "同一群众反复评价", "burst": "新用户集中评价", "staff": "本窗口工作人员自评",
         "address": "同一网络地址多人评价"}
MAX_IDS = 500


class epoch(FunctionElement[int]):
    """Seconds since 1970 of a UTC timestamp column, on both engines (for time windows)."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "epoch"


@compiles(epoch, "postgresql")
def _epoch_pg(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS BIGINT)"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@dataclass(frozen=True)
class Thresholds:
    #: Look back this many days.
    days: int = 30
    #: A citizen's counted ratings of one window (one a day at most) in the period.
    repeat_days: int = 4
    #: At least this many distinct new citizens rating one window within ``burst_minutes``.
    burst_citizens: int = 8
    burst_minutes: int = 60
    #: A citizen is new for this many hours after first contact.
    new_hours: int = 24
    #: At least this many distinct H5 citizens rating one window from one network address.
    address_citizens: int = 5


@dataclass
class Finding:
    kind: str
    window_id: int
    window_code: str
    window_name: str
    unit_name: str
    summary: str
    feedback_ids: list[int] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


def _windows(ids: set[int]) -> dict[int, tuple[str, str, str]]:
    if not ids:
        return {}
    rows = Session.execute(sa.select(Window.id, Window.code, Window.name, Unit.name)
                           .join(Unit, Unit.id == Window.unit_id).where(Window.id.in_(ids)))
    return {wid: (code, name, unit) for wid, code, name, unit in rows}


def _rated(since: datetime) -> list[sa.ColumnElement[bool]]:
    return [Feedback.rating.is_not(None), Feedback.citizen_id.is_not(None),
            Feedback.received_at >= since]


def repeat_raters(since: datetime, t: Thresholds) -> list[tuple[int, int, list[int], int]]:
    """(window, citizen, feedback ids, counted days): one citizen's ratings of one window
    counted on ``repeat_days`` days or more (a counted rating is one a day)."""
    counted = sa.func.sum(sa.case((Feedback.rating_counts.is_(True), 1), else_=0))
    groups = Session.execute(
        sa.select(Feedback.window_id, Feedback.citizen_id, counted)
        .where(*_rated(since)).group_by(Feedback.window_id, Feedback.citizen_id)
        .having(counted >= t.repeat_days).order_by(counted.desc())).all()
    return [(wid, cid, list(Session.scalars(
        sa.select(Feedback.id).where(*_rated(since), Feedback.window_id == wid,
                                     Feedback.citizen_id == cid).order_by(Feedback.received_at))),
             int(days)) for wid, cid, days in groups]


def bursts(since: datetime, t: Thresholds) -> list[tuple[int, list[int], int]]:
    """(window, feedback ids, new citizens): ratings of one window by ``burst_citizens`` or more
    distinct new citizens within ``burst_minutes`` (overlapping spans merged)."""
    span = t.burst_minutes * 60
    new = (sa.select(Feedback.id, Feedback.window_id, Feedback.citizen_id,
                     epoch(Feedback.received_at).label("t"))
           .join(Citizen, Citizen.id == Feedback.citizen_id)
           .where(*_rated(since),
                  epoch(Citizen.created_at) >= epoch(Feedback.received_at) - t.new_hours * 3600)
           .cte("new_ratings"))
    a, b = new.alias("a"), new.alias("b")
    anchors = Session.execute(
        sa.select(a.c.window_id, a.c.t)
        .join(b, sa.and_(b.c.window_id == a.c.window_id, b.c.t >= a.c.t, b.c.t <= a.c.t + span))
        .group_by(a.c.window_id, a.c.id, a.c.t)
        .having(sa.func.count(sa.distinct(b.c.citizen_id)) >= t.burst_citizens)
        .order_by(a.c.window_id, a.c.t)).all()
    spans: list[tuple[int, int, int]] = []
    for wid, start in anchors:
        if spans and spans[-1][0] == wid and start <= spans[-1][2]:
            spans[-1] = (wid, spans[-1][1], start + span)
        else:
            spans.append((wid, start, start + span))
    found = []
    for wid, start, end in spans:
        rows = Session.execute(sa.select(new.c.id, new.c.citizen_id)
                               .where(new.c.window_id == wid, new.c.t.between(start, end))
                               .order_by(new.c.t, new.c.id)).all()
        found.append((wid, [r.id for r in rows], len({r.citizen_id for r in rows})))
    return found


def staff_self_ratings(since: datetime) -> list[tuple[int, str, list[int]]]:
    """(window, staff name, feedback ids): ratings by an identity bound to an active staff user
    whose scope covers the rated window."""
    rows = Session.execute(
        sa.select(Feedback.id, Feedback.window_id, User.display_name, User.username)
        .join(Window, Window.id == Feedback.window_id)
        .join(StaffBinding, StaffBinding.citizen_id == Feedback.citizen_id)
        .join(User, User.id == StaffBinding.user_id)
        .where(*_rated(since), User.role == "unit", User.active.is_(True),
               staff_bindings.covers_window(Window.id, Window.unit_id))
        .order_by(Feedback.window_id, User.id, Feedback.received_at)).all()
    grouped: dict[tuple[int, str], list[int]] = {}
    for fid, wid, display, username in rows:
        grouped.setdefault((wid, display or username), []).append(fid)
    return [(wid, name, ids) for (wid, name), ids in grouped.items()]


def shared_addresses(since: datetime, t: Thresholds) -> list[tuple[int, str, list[int], int]]:
    """(window, network hash, feedback ids, H5 citizens): H5 ratings of one window from one
    network address by ``address_citizens`` or more distinct citizens (browser cookies)."""
    net = Feedback.client_network_hash
    where = [*_rated(since), Feedback.channel == "h5", net.is_not(None)]
    people = sa.func.count(sa.distinct(Feedback.citizen_id))
    groups = Session.execute(
        sa.select(Feedback.window_id, net, people).where(*where)
        .group_by(Feedback.window_id, net).having(people >= t.address_citizens)
        .order_by(people.desc(), Feedback.window_id)).all()
    return [(wid, digest, list(Session.scalars(
        sa.select(Feedback.id).where(*where, Feedback.window_id == wid, net == digest)
        .order_by(Feedback.received_at, Feedback.id))), int(n)) for wid, digest, n in groups]


def find(*, now: datetime | None = None, thresholds: Thresholds | None = None) -> list[Finding]:
    """Every finding of the period, for the agency (all windows)."""
    t = thresholds or Thresholds()
    since = (now or utcnow()) - timedelta(days=t.days)
    raw: list[tuple[str, int, str, list[int]]] = []
    for wid, _cid, ids, days in repeat_raters(since, t):
        raw.append(("repeat", wid, f"同一群众在 {t.days} 天内有 {days} 天为该窗口评分（共 {len(ids)} 次），"
                    "远超正常办事频率", ids))
    for wid, ids, citizens in bursts(since, t):
        raw.append(("burst", wid, f"{citizens} 位新用户（首次使用不足 {t.new_hours} 小时）"
                    f"在 {t.burst_minutes} 分钟左右集中为该窗口评分（共 {len(ids)} 次）", ids))
    for wid, name, ids in staff_self_ratings(since):
        raw.append(("staff", wid, f"本窗口单位工作人员“{name}”（已绑定微信）为本窗口评分 {len(ids)} 次",
                    ids))
    for wid, digest, ids, people in shared_addresses(since, t):
        raw.append(("address", wid, f"同一网络地址（代号 {digest[:8]}，不保存地址本身）有 {people} 位"
                    f" H5 用户为该窗口评分（共 {len(ids)} 次）；公共 Wi-Fi 也可能如此，请核实", ids))
    windows = _windows({wid for _k, wid, _s, _i in raw})
    return [Finding(kind, wid, *windows[wid], summary, ids) for kind, wid, summary, ids in raw]


@dataclass(frozen=True)
class Line:
    id: int
    receipt_no: str
    received_at: datetime
    rating: int | None
    review_state: str
    rating_counts: bool
    citizen: str | None


def lines(feedback_ids: list[int]) -> dict[int, Line]:
    """The feedback of findings as the agency sees them (with the citizen's pseudonym prefix)."""
    if not feedback_ids:
        return {}
    rows = Session.execute(
        sa.select(Feedback.id, Feedback.receipt_no, Feedback.received_at, Feedback.rating,
                  Feedback.review_state, Feedback.rating_counts, sa.func.substr(Citizen.pseudonym, 1, 12))
        .outerjoin(Citizen, Citizen.id == Feedback.citizen_id)
        .where(Feedback.id.in_(set(feedback_ids))))
    return {row[0]: Line(*row) for row in rows}


def parse_ids(raw: str) -> list[int]:
    ids = [int(p) for p in raw.split(",") if p.strip().isdigit()]
    if not ids or len(ids) > MAX_IDS:
        raise ValidationError("请选择要标记的评价", details={"ids": "无效"})
    return list(dict.fromkeys(ids))


def mark_invalid(actor: User, feedback_ids: list[int], kind: str, reason: object) -> int:
    """Mark the feedback of a finding invalid through the review (reviewers only), with the
    reason on record; returns how many changed."""
    clean = reason.strip() if isinstance(reason, str) else ""
    if not clean or len(clean) > 500:
        raise ValidationError("请填写标记无效的理由（500 字以内）", details={"reason": "必填"})
    if kind not in KINDS:
        raise ValidationError("未知的异常类型", details={"kind": "未知"})
    changed = 0
    for fid in feedback_ids:
        item = review.review_feedback(actor, fid, {"valid": False})  # checks role and scope
        audit.record_change(actor, "review", "feedback", item.id, None,
                            {"abuse": KINDS[kind], "reason": clean})
        changed += 1
    return changed
