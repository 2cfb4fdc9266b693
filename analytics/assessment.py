"""The quantified assessment (量化考核) of every window for a period (month, quarter or year).

Every figure is aggregated inside the database (GROUP BY window); Python only combines the
per-window aggregates into components, the composite and the rankings.

Components, each on a 0–100 scale:

* public feedback (群众评价): the smoothed satisfaction mapped from 1–5 onto 0–100;
* quarterly inspections (综合检查): the mean of the period's inspection totals, as a percentage
  of the standard's full marks;
* covert inspections (暗查): the share of indicator checks that passed;
* ticket handling (督办办理): the mean of the ticket rates that have data in the period: the
  on-time rate of the rounds due in the period (responded by their deadline, of those responded
  or past it), and of the period's counted 差评 that are due for judging (their ticket closed, or
  its first round's deadline passed, as of the assessment's clock) the share rectified (its
  ticket verified and closed) and the share called back (回访 made). A 差评 whose ticket is still
  within its deadline, never ticketed, or cancelled is not counted, and the note says how many
  were left out and why. A window with nothing to handle in the period (no rounds due, no 差评
  to judge) gets full marks (本期无督办事项，按满分计); those full marks alone make no composite.

The composite is the weighted mean of the components that are available, with the year's
standard's weights; a missing component's weight is left out and the others renormalised, and the
output says so. Then the incidents (重大事件) of the period are deducted (扣分): each takes the
points its severity (一般 / 重大) is worth in the year's standard, and the composite floors at 0;
the ranking is by the composite so deducted. A window with incidents and no component still has
no composite. The standards stored before deductions existed have 0 (past figures stay as
published); a major incident is also delisting rule 4's (``analytics.delisting``). The incidents'
figures and the deduction live in ``analytics.assessment_incidents``.

The periods live in ``analytics.periods``, what counts (the counted-feedback filter, the smoothing)
in ``analytics.counting``, the feedback figures (from the per-day sums once built, else from the
rows) in ``analytics.assessment_feedback`` and the ticket component in
``analytics.assessment_tickets``; their public names are re-exported here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from analytics.assessment_feedback import feedback_figures
from analytics.assessment_incidents import count_incidents, deduct, deductions, formula_tail, incident_note
from analytics.assessment_tickets import nothing_to_handle, ticket_component, ticket_rates
from analytics.counting import BAD_RATINGS as BAD_RATINGS
from analytics.counting import PRIOR_RATINGS as PRIOR_RATINGS
from analytics.counting import counted_feedback as counted_feedback
from analytics.counting import smoothed as smoothed
from analytics.periods import Period as Period
from analytics.periods import current_quarter as current_quarter
from analytics.periods import parse_period as parse_period
from analytics.ranking import rank_windows
from feedback_api.db import Session
from feedback_api.models import (
    CovertInspection,
    CovertResult,
    Inspection,
    Unit,
    User,
    Window,
)
from feedback_api.models.reference import DELISTED
from feedback_api.services import scope, standards

COMPONENTS: tuple[tuple[str, str, str], ...] = (
    # (key, label, weight field of the standard)
    ("feedback", "群众评价", "weight_feedback"),
    ("inspection", "综合检查", "weight_inspection"),
    ("covert", "暗查", "weight_covert"),
    ("tickets", "督办办理", "weight_tickets"),
)


# --- Results ---------------------------------------------------------------------------------

@dataclass
class Component:
    key: str
    label: str
    weight: float
    #: 0–100, or None when not available in the period.
    value: float | None
    note: str = ""


@dataclass
class WindowAssessment:
    window_id: int
    code: str
    name: str
    unit_id: int
    unit_name: str
    industry: str
    status: str
    ratings: int = 0
    #: Of ``ratings``, those from WeChat and from the H5 page (None: a version stored before
    #: the split was kept, shown as "—").
    ratings_wechat: int | None = None
    ratings_h5: int | None = None
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))
    #: The distribution of ``ratings_wechat`` and of ``ratings_h5`` (None likewise).
    distribution_wechat: dict[int, int] | None = None
    distribution_h5: dict[int, int] | None = None
    mean_rating: float | None = None
    industry_mean: float | None = None
    smoothed_rating: float | None = None
    good_rate: float | None = None
    bad_rate: float | None = None
    sentiment: float | None = None
    opinions: int = 0
    #: (topic code, opinions), most first.
    topics: list[tuple[str, int]] = field(default_factory=list)
    inspections: int = 0
    inspections_failed: int = 0
    inspection_score: float | None = None
    covert_inspections: int = 0
    covert_checks: int = 0
    covert_pass_rate: float | None = None
    #: Incidents of the period, and of them the major ones; None in a version stored before they
    #: were kept (shown as "—").
    incidents: int | None = None
    incidents_major: int | None = None
    #: Ticket rounds due in the period and decided (responded, or past their deadline).
    ticket_rounds: int = 0
    ticket_on_time_rate: float | None = None
    #: Counted 差评 of the period; of them, those judged (ticket closed or its first deadline
    #: passed) and of those the shares rectified and called back; and those not counted: ticket
    #: still within its deadline, never ticketed, ticket cancelled.
    bad_reviews: int = 0
    bad_assessed: int = 0
    bad_rectified_rate: float | None = None
    bad_callback_rate: float | None = None
    bad_not_due: int = 0
    bad_unticketed: int = 0
    bad_cancelled: int = 0
    #: Tickets of the window still open at the time of the assessment.
    open_tickets: int = 0
    components: list[Component] = field(default_factory=list)
    #: The composite: the weighted mean of the components (``composite_before``) less the
    #: incidents' deduction, floored at 0. Both None without a composite, and in a version stored
    #: before incidents were scored (its composite had no deduction).
    composite_before: float | None = None
    deduction: float | None = None
    composite: float | None = None
    formula: str = ""
    rank_industry: int | None = None
    industry_ranked: int = 0
    rank_district: int | None = None


@dataclass
class Assessment:
    period: Period
    weights: dict[str, float]
    rows: list[WindowAssessment]
    district_ranked: int
    notes: list[str]
    formula: str


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def _weights(year: int) -> dict[str, float]:
    """The year's standard's weights and points per incident (the defaults while it has none:
    reading stores nothing)."""
    std = standards.get_standard(year)
    return {**{key: float(getattr(std, attr) if std is not None else standards.DEFAULT_WEIGHTS[attr])
               for key, _label, attr in COMPONENTS}, **deductions(std)}


def listed_by(period: Period) -> sa.ColumnElement[bool]:
    """The windows listed on or before ``period``'s last day."""
    return Window.listed_on < period.end


def assessed_in(period: Period) -> sa.ColumnElement[bool]:
    """The windows ``period`` assesses: those listed (挂牌, ``Window.listed_on``) before it ended
    and not delisted before it began, whenever they were entered into the system. The one
    statement of the rule: the reports index and the covert plan use it too."""
    return sa.and_(listed_by(period),
                   sa.or_(Window.status != DELISTED, Window.status_date.is_(None),
                          Window.status_date >= period.start))


def assess(period: Period, user: User | None = None, *, as_of: datetime | None = None) -> Assessment:
    """Every window's assessment for ``period``; ranked over all windows, then cut to what
    ``user`` may see (a unit sees its own windows, with their ranks). ``as_of`` is the clock the
    tickets' deadlines are judged by (now by default)."""
    weights = _weights(period.year)
    windows = Session.execute(
        sa.select(Window.id, Window.code, Window.name, Unit.id, Unit.name, Unit.industry,
                  Window.status)
        .join(Window.unit)
        .where(assessed_in(period))
        .order_by(Window.code)).all()
    rows = {r[0]: WindowAssessment(*r) for r in windows}

    rating_sums = feedback_figures(rows, period)
    industry_sum: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for row in rows.values():
        total = rating_sums.get(row.window_id, 0.0)
        if row.ratings:
            row.mean_rating = total / row.ratings
            row.good_rate = (row.distribution[4] + row.distribution[5]) / row.ratings
            row.bad_rate = (row.distribution[1] + row.distribution[2]) / row.ratings
            acc = industry_sum[row.industry]
            acc[0] += total
            acc[1] += row.ratings
    all_total = sum(a[0] for a in industry_sum.values())
    all_n = sum(a[1] for a in industry_sum.values())

    # Quarterly inspections of the period's quarters.
    quarter_clause = sa.or_(*(sa.and_(Inspection.year == y, Inspection.quarter == q)
                              for y, q in period.quarters()))
    for window_id, n, failed, score in Session.execute(
            sa.select(Inspection.window_id, sa.func.count(),
                      sa.func.sum(sa.case((Inspection.passed.is_(False), 1), else_=0)),
                      sa.func.avg(100.0 * Inspection.total / Inspection.max_total))
            .where(quarter_clause).group_by(Inspection.window_id)):
        if window_id in rows:
            r = rows[window_id]
            r.inspections, r.inspections_failed, r.inspection_score = n, int(failed), float(score)

    # Covert inspections held in the period.
    for window_id, visits, checks, passed in Session.execute(
            sa.select(CovertInspection.window_id,
                      sa.func.count(sa.distinct(CovertInspection.id)), sa.func.count(),
                      sa.func.sum(sa.case((CovertResult.passed.is_(True), 1), else_=0)))
            .join(CovertResult, CovertResult.covert_inspection_id == CovertInspection.id)
            .where(CovertInspection.inspected_on >= period.start,
                   CovertInspection.inspected_on < period.end)
            .group_by(CovertInspection.window_id)):
        if window_id in rows:
            r = rows[window_id]
            r.covert_inspections, r.covert_checks = visits, checks
            r.covert_pass_rate = int(passed or 0) / checks if checks else None

    count_incidents(rows, period)
    ticket_rates(rows, period, as_of)

    for r in rows.values():
        acc = industry_sum.get(r.industry)
        if acc and acc[1]:
            r.industry_mean = acc[0] / acc[1]
        elif all_n:
            r.industry_mean = all_total / all_n
        if r.ratings and r.industry_mean is not None:
            r.smoothed_rating = smoothed(r.mean_rating * r.ratings, r.ratings, r.industry_mean)
        r.topics.sort(key=lambda t: (-t[1], t[0]))
        _compose(r, weights)

    ranked = rank_windows(list(rows.values()))
    last_day = period.end - timedelta(days=1)
    notes = [f"参加考核的窗口：挂牌日期（以台账为准，不是录入系统的日期）不晚于{last_day}、"
             f"且未在{period.start}前摘牌的窗口。",
             "某一分项本期无数据时，其权重不计入，其余各项权重按比例重新归一。"]
    if weights["tickets"]:
        notes.append("督办办理得分 = 有数据的各项比率（督办按时办理率、差评整改率、差评回访率）"
                     "的平均 × 100；差评只计督办单已办结或首轮整改期限已过的，督办未到期、未督办、"
                     "督办已撤销的差评不计；本期无督办事项的窗口按满分计。")
    notes.append(incident_note(weights))
    notes.append(f"群众评价满意度按贝叶斯平均平滑：（{PRIOR_RATINGS}×行业均分＋本窗口评分之和）÷"
                 f"（{PRIOR_RATINGS}＋本窗口评分数），再由 1–5 分换算为百分制。")
    visible = list(rows.values())
    if user is not None and user.role not in scope.GLOBAL_ROLES:
        allowed = set(Session.scalars(sa.select(Window.id).join(Window.unit)
                                      .where(scope.window_clause(user))))
        visible = [r for r in visible if r.window_id in allowed]
    visible.sort(key=lambda r: (r.rank_district is None, r.rank_district or 0, r.code))
    general = ("综合得分 = Σ（权重 × 分项得分）÷ Σ（有数据分项的权重）；权重："
               + "、".join(f"{label} {_fmt(weights[key])}" for key, label, _ in COMPONENTS)
               + formula_tail(weights))
    return Assessment(period, weights, visible, ranked, notes, general)


def _compose(r: WindowAssessment, weights: dict[str, float]) -> None:
    values: dict[str, tuple[float | None, str]] = {
        "feedback": ((r.smoothed_rating - 1) / 4 * 100, f"{r.ratings} 条计分评价")
        if r.smoothed_rating is not None else (None, "本期无计分评价"),
        "inspection": (r.inspection_score, f"{r.inspections} 次综合检查")
        if r.inspection_score is not None else (None, "本期无综合检查"),
        "covert": (100 * r.covert_pass_rate, f"{r.covert_inspections} 次暗查、{r.covert_checks} 项次")
        if r.covert_pass_rate is not None else (None, "本期无暗查"),
        "tickets": ticket_component(r),
    }
    r.components = [Component(key, label, weights[key], *values[key]) for key, label, _ in COMPONENTS]
    used = [c for c in r.components if c.value is not None and c.weight > 0]
    weight_sum = sum(c.weight for c in used)
    # Full marks for having nothing to handle are no evidence of service on their own.
    evidence = [c for c in used if not (c.key == "tickets" and nothing_to_handle(r))]
    if not evidence or weight_sum == 0:
        r.formula = "本期无可用分项，不计综合得分"
        return
    r.composite = sum(c.weight * c.value for c in used) / weight_sum  # type: ignore[operator]
    terms = " + ".join(f"{_fmt(c.weight)}×{c.value:.1f}（{c.label}）" for c in used)
    r.formula = f"（{terms}）÷ {_fmt(weight_sum)} = {r.composite:.1f}"
    left_out = [c.label for c in r.components if c.value is None and c.weight > 0]
    if left_out:
        r.formula += f"；{'、'.join(left_out)}无数据，权重按其余分项重新归一"
    deduct(r, weights)
