"""The dashboards (数据看板) of the office and the industry authorities: every window's composite,
rank, components and trend over recent periods, the score distribution, and the alerts and
early warnings; the office sees the district, an authority the windows of its industry.

Every figure is the assessment's, already cut to what the user may see, so the dashboard, the
assessment table and the reports never disagree: a published period (the assessed one and each
earlier one of the trend) is read from its stored version (``analytics.snapshots``), so late data
moves it only through an audited recompute; a period not published is computed live. Only the
tickets open now are always read live. ``to_json`` gives the charts their data; the page draws the
same numbers as tables."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

import sqlalchemy as sa

from analytics import delisting, snapshots
from analytics.assessment import COMPONENTS, Assessment, Period, WindowAssessment
from analytics.assessment_access import NotPublished
from analytics.counting import split_sum
from analytics.periods import previous
from feedback_api.db import Session
from feedback_api.models import AssessmentSnapshot, Ticket, User
from feedback_api.models.reference import ACTIVE_TICKET_STATES, DELISTING_RULES, INDUSTRIES, label
from feedback_api.services import delisting as proposals

#: How many periods the trend shows, the assessed one last.
TREND_LENGTH = {"quarter": 4, "month": 6, "year": 3}
#: Composite bands of the distribution chart: (label, lower bound inclusive, upper exclusive).
BANDS: tuple[tuple[str, float, float], ...] = (
    ("60 分以下", 0.0, 60.0), ("60–70 分", 60.0, 70.0), ("70–80 分", 70.0, 80.0),
    ("80–90 分", 80.0, 90.0), ("90 分及以上", 90.0, 100.0001))
ALL = "全部窗口"


def trend_periods(period: Period) -> list[Period]:
    """The trend's periods, oldest first, ending with ``period``."""
    out = [period]
    for _ in range(TREND_LENGTH[period.kind] - 1):
        out.append(previous(out[-1]))
    return out[::-1]


@dataclass(frozen=True)
class Alert:
    code: str
    name: str
    kind: str  # "proposal", "warning", "inspection", "tickets"
    text: str


@dataclass
class Dashboard:
    period: Period
    scope_label: str
    result: Assessment
    #: The windows shown, by district rank (those without a composite last).
    rows: list[WindowAssessment]
    periods: list[Period]
    #: window id -> composite per period of ``periods`` (None: not assessed or no composite).
    history: dict[int, list[float | None]]
    #: (series name, mean composite per period): all windows shown, then each industry.
    trend: list[tuple[str, list[float | None]]]
    #: (band label, windows), and how many windows have no composite.
    bands: list[tuple[str, int]]
    unscored: int
    #: (group name, mean of each component in COMPONENTS order, None where no window has it).
    component_means: list[tuple[str, list[float | None]]]
    alerts: list[Alert] = field(default_factory=list)
    #: The published version read for each period of ``periods``, or None: computed live.
    versions: list[AssessmentSnapshot | None] = field(default_factory=list)

    @property
    def snapshot(self) -> AssessmentSnapshot | None:
        """The assessed period's published version, or None (computed live)."""
        return self.versions[-1] if self.versions else None

    @property
    def ratings(self) -> tuple[int, int | None, int | None]:
        """The counted ratings of the windows shown: all, from WeChat, from H5 (None: published
        before the channels were kept)."""
        return (sum(r.ratings for r in self.rows), split_sum([r.ratings_wechat for r in self.rows]),
                split_sum([r.ratings_h5 for r in self.rows]))

    @property
    def industries(self) -> list[str]:
        return sorted({r.industry for r in self.rows})

    def change(self, r: WindowAssessment) -> float | None:
        """The composite's change since the previous period."""
        values = self.history.get(r.window_id, [])
        if len(values) < 2 or values[-1] is None or values[-2] is None:
            return None
        return values[-1] - values[-2]


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


def _groups(rows: list[WindowAssessment]) -> list[tuple[str, list[WindowAssessment]]]:
    """All windows shown, then each industry among them (when there are several)."""
    by_industry: dict[str, list[WindowAssessment]] = defaultdict(list)
    for r in rows:
        by_industry[r.industry].append(r)
    groups = [(ALL, rows)]
    if len(by_industry) > 1:
        groups += [(label(INDUSTRIES, k), v) for k, v in sorted(by_industry.items())]
    elif by_industry:
        groups = [(label(INDUSTRIES, k), v) for k, v in by_industry.items()]
    return groups


def _open_tickets(ids: set[int]) -> dict[int, int]:
    """Tickets open now per window: a published row holds those open when it was stored."""
    if not ids:
        return {}
    return {wid: int(n) for wid, n in Session.execute(
        sa.select(Ticket.window_id, sa.func.count())
        .where(Ticket.window_id.in_(ids), Ticket.state.in_(ACTIVE_TICKET_STATES))
        .group_by(Ticket.window_id))}


def _alerts(user: User, rows: list[WindowAssessment], period: Period,
            published: bool) -> list[Alert]:
    shown = {r.window_id: r for r in rows}
    open_now = _open_tickets(set(shown)) if published else {}
    alerts: list[Alert] = []
    for p in Session.scalars(proposals.proposal_query(user, state="open")):
        r = shown.get(p.window_id)
        if r is not None:
            alerts.append(Alert(r.code, r.name, "proposal",
                                f"摘牌建议待确认（{p.year}年 规则{p.rule}：{DELISTING_RULES[p.rule]}）"
                                f"{p.evidence.get('summary', '')}"))
    for warning, _code in delisting.visible_warnings(user, period.year):
        r = shown.get(warning.window_id)
        if r is not None:
            alerts.append(Alert(r.code, r.name, "warning",
                                f"摘牌预警（距规则{warning.rule}一步）：{warning.summary}"))
    for r in rows:
        if r.inspections_failed:
            alerts.append(Alert(r.code, r.name, "inspection",
                                f"本期综合检查不合格 {r.inspections_failed} 次"))
        open_tickets = open_now.get(r.window_id, 0) if published else r.open_tickets
        if open_tickets:
            alerts.append(Alert(r.code, r.name, "tickets", f"未办结督办单 {open_tickets} 件"))
    order = {"proposal": 0, "warning": 1, "inspection": 2, "tickets": 3}
    alerts.sort(key=lambda a: (order[a.kind], a.code))
    return alerts


def _read(period: Period, user: User, *, required: bool) -> tuple[Assessment, AssessmentSnapshot | None]:
    """A period's figures; an earlier period not published is empty in the trend of a reader of
    published figures only (the assessed one is refused: NotPublished)."""
    try:
        return snapshots.assessment_for(period, user)
    except NotPublished:
        if required:
            raise
        return Assessment(period, {}, [], 0, [], ""), None


def build(user: User, period: Period, industry: str = "") -> Dashboard:
    """The dashboard of ``period`` for ``user`` (its scope), cut to ``industry`` when given."""
    periods = trend_periods(period)
    read = [_read(p, user, required=p == period) for p in periods]
    results = [res for res, _snap in read]
    result = results[-1]

    def keep(rows: list[WindowAssessment]) -> list[WindowAssessment]:
        return [r for r in rows if not industry or r.industry == industry]

    rows = keep(result.rows)
    ids = {r.window_id for r in rows}
    history: dict[int, list[float | None]] = {i: [None] * len(periods) for i in ids}
    per_period: list[list[WindowAssessment]] = []
    for i, res in enumerate(results):
        kept = [r for r in keep(res.rows) if r.window_id in ids]
        per_period.append(kept)
        for r in kept:
            history[r.window_id][i] = r.composite
    groups = _groups(rows)
    trend = []
    for name, members in groups:
        member_ids = {r.window_id for r in members}
        trend.append((name, [_mean([r.composite for r in kept if r.window_id in member_ids])
                             for kept in per_period]))
    scored = [r.composite for r in rows if r.composite is not None]
    bands = [(name, sum(1 for v in scored if low <= v < high)) for name, low, high in BANDS]
    component_means = [
        (name, [_mean([c.value for r in members for c in r.components if c.key == key])
                for key, _label, _attr in COMPONENTS])
        for name, members in groups]
    if industry:
        scope_label = label(INDUSTRIES, industry)
    elif user.role in ("office", "agency"):
        scope_label = "全区"
    else:
        scope_label = "、".join(label(INDUSTRIES, k) for k in sorted({r.industry for r in rows})) or "—"
    return Dashboard(period, scope_label, result, rows, periods, history, trend, bands,
                     len(rows) - len(scored), component_means,
                     _alerts(user, rows, period, read[-1][1] is not None),
                     [snap for _res, snap in read])


def _round(x: float | None, digits: int = 1) -> float | None:
    return None if x is None else round(x, digits)


def to_json(d: Dashboard, report_urls: dict[str, str]) -> dict[str, Any]:
    """The charts' data: exactly the numbers of the page's tables (rounded as they are shown)."""
    return {
        "period": {"code": d.period.code, "label": d.period.label},
        "scope": d.scope_label,
        "components": [{"key": key, "label": name, "weight": d.result.weights[key]}
                       for key, name, _attr in COMPONENTS],
        "windows": [{
            "code": r.code, "name": r.name, "unit": r.unit_name,
            "industry": label(INDUSTRIES, r.industry),
            "composite": _round(r.composite), "deduction": r.deduction,
            "rank_district": r.rank_district,
            "rank_industry": r.rank_industry, "industry_ranked": r.industry_ranked,
            "components": {c.key: _round(c.value) for c in r.components},
            # What each component adds to the composite (weight × value ÷ weights used).
            "contributions": _contributions(r),
            "history": [_round(v) for v in d.history.get(r.window_id, [])],
            "change": _round(d.change(r)),
            "url": report_urls[r.code]} for r in d.rows],
        "periods": [p.label for p in d.periods],
        # The published version each period's figures come from (None: computed live).
        "versions": [None if s is None else s.version for s in d.versions],
        "trend": [{"name": name, "values": [_round(v) for v in values]} for name, values in d.trend],
        "bands": [{"label": name, "count": n} for name, n in d.bands],
        "unscored": d.unscored,
        "component_means": [{"name": name, "values": [_round(v) for v in values]}
                            for name, values in d.component_means],
        "alerts": [{"code": a.code, "name": a.name, "kind": a.kind, "text": a.text,
                    "url": report_urls.get(a.code)} for a in d.alerts],
    }


def _contributions(r: WindowAssessment) -> dict[str, float | None]:
    """Each component's share of the composite; after an incident deduction, shrunk alike so the
    bar is the composite ranked (the deduction is in the tooltip and the table)."""
    used = [c for c in r.components if c.value is not None and c.weight > 0]
    total = sum(c.weight for c in used)
    shrink = r.composite / r.composite_before if r.deduction and r.composite_before else 1.0
    return {c.key: (_round(shrink * c.weight * c.value / total, 2)  # type: ignore[operator]
                    if c in used and total else None) for c in r.components}
