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
  or past it), and of the period's counted 差评 the share rectified (its ticket verified and
  closed) and the share called back (回访 made).

The composite is the weighted mean of the components that are available, with the year's
standard's weights; a missing component's weight is left out and the others renormalised, and the
output says so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import (
    CallBack,
    CovertInspection,
    CovertResult,
    Feedback,
    Inspection,
    Ticket,
    TicketFeedback,
    TicketRound,
    Unit,
    User,
    Window,
)
from feedback_api.models.reference import TOPICS
from feedback_api.services import scope, standards
from feedback_api.services.feedback import LOCAL_TZ

#: How many ratings at the industry mean the smoothing adds to each window (see ``smoothed``).
PRIOR_RATINGS = 10

COMPONENTS: tuple[tuple[str, str, str], ...] = (
    # (key, label, weight field of the standard)
    ("feedback", "群众评价", "weight_feedback"),
    ("inspection", "综合检查", "weight_inspection"),
    ("covert", "暗查", "weight_covert"),
    ("tickets", "督办办理", "weight_tickets"),
)
#: The ratings that are 差评 (bad reviews): 非常不满意 and 不满意.
BAD_RATINGS = (1, 2)


# --- Periods ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    kind: str  # "month", "quarter" or "year"
    year: int
    number: int  # month 1–12, quarter 1–4, or 0 for a year

    @property
    def code(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year}Q{self.number}"
        return str(self.year)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.year}年{self.number}月"
        if self.kind == "quarter":
            return f"{self.year}年第{'一二三四'[self.number - 1]}季度"
        return f"{self.year}年度"

    @property
    def start(self) -> date:
        month = {"month": self.number, "quarter": 3 * self.number - 2, "year": 1}[self.kind]
        return date(self.year, month, 1)

    @property
    def end(self) -> date:
        """The first day after the period."""
        months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        m = self.start.month - 1 + months
        return date(self.year + m // 12, m % 12 + 1, 1)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """The period in the district's clock, as aware datetimes for ``received_at``."""
        return (datetime.combine(self.start, time.min, tzinfo=LOCAL_TZ),
                datetime.combine(self.end, time.min, tzinfo=LOCAL_TZ))

    def quarters(self) -> list[tuple[int, int]]:
        """The (year, quarter) pairs whose inspections belong to this period: a month takes
        its quarter's inspection."""
        if self.kind == "year":
            return [(self.year, q) for q in (1, 2, 3, 4)]
        if self.kind == "quarter":
            return [(self.year, self.number)]
        return [(self.year, (self.number - 1) // 3 + 1)]


_PERIOD_RE = re.compile(r"^(\d{4})(?:(?:[-/.M年])(\d{1,2})月?|[Qq季](\d))?$")


def parse_period(text: str) -> Period:
    """2026 (year), 2026Q3 (quarter), 2026-07 or 2026M07 (month)."""
    match = _PERIOD_RE.match((text or "").strip())
    if not match:
        raise ValueError(f"考核期“{text}”无法识别，应写作 2026、2026Q3 或 2026-07")
    year = int(match.group(1))
    if not 2000 <= year <= 2100:
        raise ValueError(f"年度 {year} 不在 2000–2100 之间")
    if match.group(2):
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"月份 {month} 无效")
        return Period("month", year, month)
    if match.group(3):
        quarter = int(match.group(3))
        if not 1 <= quarter <= 4:
            raise ValueError(f"季度 {quarter} 无效")
        return Period("quarter", year, quarter)
    return Period("year", year, 0)


def current_quarter(today: date | None = None) -> Period:
    today = today or datetime.now(LOCAL_TZ).date()
    return Period("quarter", today.year, (today.month - 1) // 3 + 1)


# --- What counts -----------------------------------------------------------------------------

def counted_feedback() -> sa.ColumnElement[bool]:
    """THE filter of the ratings that count in the assessment: a rating, the one that counts of
    a citizen's ratings of a window on a day, and not marked invalid by the agency's review.

    An upheld appeal (申诉) sets ``rating_counts`` false (services.appeals), so a rating excluded
    on appeal leaves every figure of the assessment, the ticket rates included."""
    return sa.and_(Feedback.rating.is_not(None), Feedback.rating_counts.is_(True),
                   Feedback.review_state != "invalid")


def counted_opinions() -> sa.ColumnElement[bool]:
    """Opinions whose topics and sentiment count: analysed, and not marked invalid."""
    return sa.and_(Feedback.analyzed_at.is_not(None), Feedback.review_state != "invalid")


def primary_topic() -> sa.ColumnElement[Any]:
    """An opinion's main topic: the reviewer's first topic, else the model's first (kept in
    ``Feedback.main_topic`` whenever either is set)."""
    return Feedback.main_topic


def smoothed(total: float, n: int, prior_mean: float, prior_weight: float = PRIOR_RATINGS) -> float:
    """The Bayesian average of a window's ratings: its ratings plus ``prior_weight`` imagined
    ratings at its industry's mean, averaged.

    Why this estimator: with three ratings of 5 a window's raw mean is 5.0, and with one 1 it is
    1.0; neither says much. The Bayesian average pulls a small sample toward the industry mean and
    lets a large one speak for itself (at 10 ratings it is halfway, at 200 within 5 %), stays on the
    1–5 scale the office reads, and uses all five levels. A Wilson lower bound would rate the share
    of good reviews only and pull every small sample down, below the mean, not toward it."""
    return (prior_weight * prior_mean + total) / (prior_weight + n)


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
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))
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
    #: Ticket rounds due in the period and decided (responded, or past their deadline).
    ticket_rounds: int = 0
    ticket_on_time_rate: float | None = None
    #: Counted 差评 of the period, and the shares rectified and called back.
    bad_reviews: int = 0
    bad_rectified_rate: float | None = None
    bad_callback_rate: float | None = None
    #: Tickets of the window still open at the time of the assessment.
    open_tickets: int = 0
    components: list[Component] = field(default_factory=list)
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
    """The year's standard's weights (the defaults while it has none: reading stores nothing)."""
    std = standards.get_standard(year)
    return {key: float(getattr(std, attr) if std is not None else standards.DEFAULT_WEIGHTS[attr])
            for key, _label, attr in COMPONENTS}


def assess(period: Period, user: User | None = None) -> Assessment:
    """Every window's assessment for ``period``; ranked over all windows, then cut to what
    ``user`` may see (a unit sees its own windows, with their ranks)."""
    start, end = period.utc_bounds()
    weights = _weights(period.year)
    windows = Session.execute(
        sa.select(Window.id, Window.code, Window.name, Unit.id, Unit.name, Unit.industry,
                  Window.status)
        .join(Window.unit)
        # A window delisted before the period is no longer in the programme.
        .where(sa.or_(Window.status != "delisted", Window.status_date.is_(None),
                      Window.status_date >= period.start))
        .order_by(Window.code)).all()
    rows = {r[0]: WindowAssessment(*r) for r in windows}

    # Ratings and opinions in one pass over the period's feedback: GROUP BY window and main
    # topic; the per-topic aggregates are then added up per window.
    counted, opinion = counted_feedback(), counted_opinions()
    sentiment = sa.case((opinion, sa.func.coalesce(Feedback.reviewed_sentiment, Feedback.sentiment)))
    topic = sa.case((opinion, primary_topic())).label("topic")

    def total_of(condition: sa.ColumnElement[bool], value: Any = 1) -> Any:
        return sa.func.sum(sa.case((condition, value), else_=0))

    stmt = (sa.select(Feedback.window_id, topic, total_of(counted), total_of(counted, Feedback.rating),
                      *[total_of(sa.and_(counted, Feedback.rating == k)) for k in range(1, 6)],
                      total_of(opinion), sa.func.sum(sentiment), sa.func.count(sentiment))
            .where(Feedback.received_at >= start, Feedback.received_at < end,
                   sa.or_(counted, opinion))
            .group_by(Feedback.window_id, topic))
    rating_sums: dict[int, float] = defaultdict(float)
    sentiment_sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
    for window_id, code, n, total, *levels, opinions, s_sum, s_count in Session.execute(stmt):
        row = rows.get(window_id)
        if row is None:
            continue
        row.ratings += int(n or 0)
        for k in range(1, 6):
            row.distribution[k] += int(levels[k - 1] or 0)
        rating_sums[window_id] += float(total or 0)
        row.opinions += int(opinions or 0)
        acc = sentiment_sums[window_id]
        acc[0] += float(s_sum or 0)
        acc[1] += int(s_count or 0)
        if code in TOPICS and code != "other" and opinions:
            row.topics.append((code, int(opinions)))
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
        s_sum, s_count = sentiment_sums.get(row.window_id, (0.0, 0))
        row.sentiment = s_sum / s_count if s_count else None
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

    _ticket_rates(rows, period)

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

    ranked = _rank(list(rows.values()))
    notes = ["某一分项本期无数据时，其权重不计入，其余各项权重按比例重新归一。"]
    if weights["tickets"]:
        notes.append("督办办理得分 = 有数据的各项比率（督办按时办理率、差评整改率、差评回访率）"
                     "的平均 × 100。")
    notes.append(f"群众评价满意度按贝叶斯平均平滑：（{PRIOR_RATINGS}×行业均分＋本窗口评分之和）÷"
                 f"（{PRIOR_RATINGS}＋本窗口评分数），再由 1–5 分换算为百分制。")
    visible = list(rows.values())
    if user is not None and user.role not in scope.GLOBAL_ROLES:
        allowed = set(Session.scalars(sa.select(Window.id).join(Window.unit)
                                      .where(scope.window_clause(user))))
        visible = [r for r in visible if r.window_id in allowed]
    visible.sort(key=lambda r: (r.rank_district is None, r.rank_district or 0, r.code))
    general = ("综合得分 = Σ（权重 × 分项得分）÷ Σ（有数据分项的权重）；权重："
               + "、".join(f"{label} {_fmt(weights[key])}" for key, label, _ in COMPONENTS))
    return Assessment(period, weights, visible, ranked, notes, general)


def _compose(r: WindowAssessment, weights: dict[str, float]) -> None:
    values: dict[str, tuple[float | None, str]] = {
        "feedback": ((r.smoothed_rating - 1) / 4 * 100, f"{r.ratings} 条计分评价")
        if r.smoothed_rating is not None else (None, "本期无计分评价"),
        "inspection": (r.inspection_score, f"{r.inspections} 次综合检查")
        if r.inspection_score is not None else (None, "本期无综合检查"),
        "covert": (100 * r.covert_pass_rate, f"{r.covert_inspections} 次暗查、{r.covert_checks} 项次")
        if r.covert_pass_rate is not None else (None, "本期无暗查"),
        "tickets": _ticket_component(r),
    }
    r.components = [Component(key, label, weights[key], *values[key]) for key, label, _ in COMPONENTS]
    used = [c for c in r.components if c.value is not None and c.weight > 0]
    weight_sum = sum(c.weight for c in used)
    if not used or weight_sum == 0:
        r.formula = "本期无可用分项，不计综合得分"
        return
    r.composite = sum(c.weight * c.value for c in used) / weight_sum  # type: ignore[operator]
    terms = " + ".join(f"{_fmt(c.weight)}×{c.value:.1f}（{c.label}）" for c in used)
    r.formula = f"（{terms}）÷ {_fmt(weight_sum)} = {r.composite:.1f}"
    left_out = [c.label for c in r.components if c.value is None and c.weight > 0]
    if left_out:
        r.formula += f"；{'、'.join(left_out)}无数据，权重按其余分项重新归一"


def _competition_ranks(items: list[WindowAssessment], attr: str) -> int:
    """Rank by composite, highest first; equal scores share a rank (1, 2, 2, 4)."""
    scored = sorted((r for r in items if r.composite is not None),
                    key=lambda r: -round(r.composite, 6))  # type: ignore[arg-type]
    previous: float | None = None
    rank = 0
    for position, r in enumerate(scored, start=1):
        value = round(r.composite, 6)  # type: ignore[arg-type]
        if value != previous:
            rank, previous = position, value
        setattr(r, attr, rank)
    return len(scored)


def _rank(rows: list[WindowAssessment]) -> int:
    by_industry: dict[str, list[WindowAssessment]] = defaultdict(list)
    for r in rows:
        by_industry[r.industry].append(r)
    for members in by_industry.values():
        n = _competition_ranks(members, "rank_industry")
        for r in members:
            r.industry_ranked = n
    return _competition_ranks(rows, "rank_district")


def _ticket_rates(rows: dict[int, WindowAssessment], period: Period) -> None:
    """The ticket figures of every window, in two GROUP BY queries."""
    # Rounds due in the period, once decided: responded (on time unless marked overdue), or
    # marked overdue by the clock job.
    decided = sa.or_(TicketRound.responded_at.is_not(None), TicketRound.overdue.is_(True))
    on_time = sa.and_(TicketRound.responded_at.is_not(None), TicketRound.overdue.is_(False))
    for window_id, n, ok in Session.execute(
            sa.select(Ticket.window_id, sa.func.count(),
                      sa.func.sum(sa.case((on_time, 1), else_=0)))
            .join(TicketRound, TicketRound.ticket_id == Ticket.id)
            .where(TicketRound.due >= period.start, TicketRound.due < period.end, decided)
            .group_by(Ticket.window_id)):
        if window_id in rows:
            rows[window_id].ticket_rounds = int(n)
            rows[window_id].ticket_on_time_rate = int(ok or 0) / n if n else None
    # The period's counted 差评, each with its ticket (if any): rectified when the ticket is
    # closed (verified), called back when the ticket has a call-back.
    start, end = period.utc_bounds()
    called = sa.exists().where(CallBack.ticket_id == Ticket.id)
    for window_id, n, closed, back in Session.execute(
            sa.select(Feedback.window_id, sa.func.count(),
                      sa.func.sum(sa.case((Ticket.state == "closed", 1), else_=0)),
                      sa.func.sum(sa.case((called, 1), else_=0)))
            .outerjoin(TicketFeedback, TicketFeedback.feedback_id == Feedback.id)
            .outerjoin(Ticket, Ticket.id == TicketFeedback.ticket_id)
            .where(counted_feedback(), Feedback.rating.in_(BAD_RATINGS),
                   Feedback.received_at >= start, Feedback.received_at < end)
            .group_by(Feedback.window_id)):
        if window_id in rows and n:
            r = rows[window_id]
            r.bad_reviews = int(n)
            r.bad_rectified_rate = int(closed or 0) / n
            r.bad_callback_rate = int(back or 0) / n
    for window_id, n in Session.execute(
            sa.select(Ticket.window_id, sa.func.count()).where(Ticket.state != "closed")
            .group_by(Ticket.window_id)):
        if window_id in rows:
            rows[window_id].open_tickets = int(n)


def _ticket_component(r: WindowAssessment) -> tuple[float | None, str]:
    rates = [(label, rate) for label, rate in (("按时办理率", r.ticket_on_time_rate),
                                               ("差评整改率", r.bad_rectified_rate),
                                               ("差评回访率", r.bad_callback_rate))
             if rate is not None]
    if not rates:
        return None, "本期无到期督办、无计分差评"
    value = 100 * sum(rate for _label, rate in rates) / len(rates)
    return value, "、".join(f"{label} {100 * rate:.0f}%" for label, rate in rates)
