"""The rating report (评价报告) a unit reads for its own windows, per window or per unit and
period (a quarter by default): the assessment's components and formula, the rankings within the
industry, the five-level distribution, the topics, the tickets, the complaint hot words and the
best and worst comments (masked: ``analytics.report_opinions``). The office and the agency read
any; an authority the windows of its industry; a unit its own only (another's is not found).

The figures are the assessment's (``analytics.assessment.assess``), so the report, the table and
the exports never disagree; the ticket summary adds one GROUP BY. A published period's report
reads its stored version (``analytics.snapshots``): the figures, the months and the tickets opened
in the period as published; only the tickets open now and the citizens' comments are read live."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from analytics import snapshots
from analytics.assessment import Assessment, Period, WindowAssessment, assess, assessed_in, counted_feedback
from analytics.assessment_access import reads_live, require_live
from analytics.counting import SPLIT_CHANNELS, split_levels, split_sum
from analytics.report_opinions import Opinions, opinions
from feedback_api.db import Session
from feedback_api.models import AssessmentSnapshot, Feedback, Ticket, Unit, User, Window
from feedback_api.models.reference import ACTIVE_TICKET_STATES, RATINGS
from feedback_api.services import scope
from feedback_api.services.errors import NotFound
from feedback_api.services.feedback import LOCAL_TZ


@dataclass
class TicketSummary:
    """The tickets of the report's windows opened in the period, and those open now."""

    opened: int = 0
    closed: int = 0
    overdue: int = 0
    open_now: int = 0
    #: (topic code, tickets opened in the period), most first.
    topics: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Month:
    label: str
    ratings: int
    mean: float | None
    bad: int
    #: The counted ratings from WeChat and from H5 (None: published before the split was kept).
    wechat: int | None = None
    h5: int | None = None


@dataclass
class Report:
    kind: str  # "window" or "unit"
    code: str
    name: str
    unit_name: str
    industry: str
    period: Period
    result: Assessment
    #: The assessed windows the report covers (one for a window's report), by district rank.
    rows: list[WindowAssessment]
    tickets: TicketSummary
    #: The period's months: counted ratings, their mean and the 差评 of each.
    trend: list[Month] = field(default_factory=list)
    #: The published version read, or None for a live computation.
    snapshot: AssessmentSnapshot | None = None
    #: Complaint hot words and the best and worst comments (masked; always read live).
    opinions: Opinions = field(default_factory=Opinions)
    #: A unit's report read by a user of some of its windows: the names of those it covers.
    only: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        """Whom the report is of: the window or unit, and which windows when not all of it."""
        return f"{self.name}（限 {'、'.join(self.only)}）" if self.only else self.name

    @property
    def title(self) -> str:
        return f"{self.subject} {self.period.label}评价报告"

    @property
    def version_label(self) -> str:
        """已发布 v2（2026-10-02 发布）, or that the figures are computed live."""
        if self.snapshot is None:
            return "未发布（按当前数据实时计算）"
        when = self.snapshot.created_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d")
        return f"已发布 v{self.snapshot.version}（{when} 发布）"

    @property
    def ratings(self) -> int:
        return sum(r.ratings for r in self.rows)

    @property
    def ratings_wechat(self) -> int | None:
        """Of ``ratings``, those from WeChat (None: published before the split was kept)."""
        return split_sum([r.ratings_wechat for r in self.rows])

    @property
    def ratings_h5(self) -> int | None:
        return split_sum([r.ratings_h5 for r in self.rows])

    @property
    def distribution(self) -> dict[int, int]:
        return {k: sum(r.distribution[k] for r in self.rows) for k in range(1, 6)}

    @property
    def distribution_wechat(self) -> dict[int, int] | None:
        """The distribution of ``ratings_wechat`` (None: published before the split was kept)."""
        return split_levels([r.distribution_wechat for r in self.rows])

    @property
    def distribution_h5(self) -> dict[int, int] | None:
        return split_levels([r.distribution_h5 for r in self.rows])

    @property
    def distribution_rows(self) -> list[tuple[str, dict[int, int | None], int | None]]:
        """The five-level table's rows (page, Excel, PDF): (channel, count per level, total) of
        WeChat and H5, of the other channels when they have counted ratings, and of all."""
        parts = [("微信公众号", self.distribution_wechat), ("网页评价", self.distribution_h5)]
        everything = self.distribution
        wechat, h5 = parts[0][1], parts[1][1]
        if wechat is not None and h5 is not None:
            other = {k: everything[k] - wechat[k] - h5[k] for k in range(1, 6)}
            if any(other.values()):
                parts.append(("其他渠道", other))
        rows: list[tuple[str, dict[int, int | None], int | None]] = [
            (name, dict.fromkeys(range(1, 6)), None) if dist is None
            else (name, dict(dist), sum(dist.values())) for name, dist in parts]
        return [*rows, ("合计", dict(everything), self.ratings)]

    @property
    def good_rate(self) -> float | None:
        d = self.distribution
        return (d[4] + d[5]) / self.ratings if self.ratings else None

    @property
    def bad_rate(self) -> float | None:
        d = self.distribution
        return (d[1] + d[2]) / self.ratings if self.ratings else None

    @property
    def topics(self) -> list[tuple[str, int]]:
        total: Counter[str] = Counter()
        for r in self.rows:
            total.update(dict(r.topics))
        return sorted(total.items(), key=lambda t: (-t[1], t[0]))


def _ticket_summary(window_ids: list[int], period: Period) -> TicketSummary:
    start, end = period.utc_bounds()
    summary = TicketSummary()
    # A cancelled ticket (its feedback all excluded, or the office's decision) is not reported.
    in_period = sa.and_(Ticket.window_id.in_(window_ids), Ticket.opened_at >= start,
                        Ticket.opened_at < end, Ticket.state != "cancelled")
    for topic, n, closed, overdue in Session.execute(
            sa.select(Ticket.topic, sa.func.count(),
                      sa.func.sum(sa.case((Ticket.state == "closed", 1), else_=0)),
                      sa.func.sum(sa.case((Ticket.overdue.is_(True), 1), else_=0)))
            .where(in_period).group_by(Ticket.topic)):
        summary.opened += int(n)
        summary.closed += int(closed or 0)
        summary.overdue += int(overdue or 0)
        summary.topics.append((topic, int(n)))
    summary.topics.sort(key=lambda t: (-t[1], t[0]))
    summary.open_now = _open_now(window_ids)
    return summary


def _months(period: Period) -> list[Period]:
    if period.kind == "month":
        return [period]
    first = period.start.month
    count = 3 if period.kind == "quarter" else 12
    return [Period("month", period.year, m) for m in range(first, first + count)]


def _trend(window_ids: list[int], period: Period) -> list[Month]:
    """Counted ratings per month of the period: one small aggregate per month, on the
    (window, received_at) index."""
    out = []
    for month in _months(period):
        start, end = month.utc_bounds()
        n, total, bad, wechat, h5 = Session.execute(
            sa.select(sa.func.count(), sa.func.sum(Feedback.rating),
                      sa.func.sum(sa.case((Feedback.rating <= 2, 1), else_=0)),
                      *[sa.func.sum(sa.case((Feedback.channel == c, 1), else_=0))
                        for c in SPLIT_CHANNELS])
            .where(Feedback.window_id.in_(window_ids), Feedback.received_at >= start,
                   Feedback.received_at < end, counted_feedback())).one()
        out.append(Month(f"{month.number}月", int(n or 0), float(total) / n if n else None,
                         int(bad or 0), int(wechat or 0), int(h5 or 0)))
    return out


#: The code of the NotFound for a unit ``user`` may see that has no window yet: the pages say so.
NO_WINDOWS = "no_windows"


def _visible_unit(user: User, code: str) -> Unit:
    unit = Session.scalars(sa.select(Unit).where(Unit.code == (code or "").strip())).first()
    if unit is None or not Session.scalar(
            sa.select(sa.func.count()).select_from(Window).join(Window.unit)
            .where(Window.unit_id == unit.id, scope.window_clause(user))):
        if unit is not None and not unit.windows and scope.can_see_unit(user, unit):
            raise NotFound(f"{unit.name}（{unit.code}）还没有登记窗口，暂无评价报告", code=NO_WINDOWS)
        raise NotFound(f"单位 {code} 不存在或无权查看")
    return unit


def _open_now(window_ids: list[int]) -> int:
    return int(Session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(
        Ticket.window_id.in_(window_ids), Ticket.state.in_(ACTIVE_TICKET_STATES))) or 0)


def _from_stored(got: snapshots.Stored, ids: list[int]) -> tuple[TicketSummary, list[Month]]:
    """The ticket summary and months of ``ids`` as the published version stored them."""
    summary, topics = TicketSummary(), Counter[str]()
    for wid in ids:
        t = got.tickets.get(wid) or {}
        summary.opened += int(t.get("opened", 0))
        summary.closed += int(t.get("closed", 0))
        summary.overdue += int(t.get("overdue", 0))
        topics.update({topic: int(n) for topic, n in t.get("topics", [])})
    summary.topics = sorted(topics.items(), key=lambda t: (-t[1], t[0]))
    summary.open_now = _open_now(ids)
    months: dict[str, list[Any]] = {}
    for wid in ids:
        # [label, n, total, bad], and since the channels are kept [..., wechat, h5].
        for label, n, total, bad, *split in got.trend.get(wid) or []:
            acc = months.setdefault(label, [0, 0.0, 0, 0, 0])
            channels = split[:2] if len(split) >= 2 else [None, None]
            acc[:] = [acc[0] + n, acc[1] + total, acc[2] + bad,
                      *[None if a is None or c is None else a + c
                        for a, c in zip(acc[3:], channels, strict=True)]]
    trend = [Month(label, int(n), total / n if n else None, int(bad), wechat, h5)
             for label, (n, total, bad, wechat, h5) in months.items()]
    return summary, trend


def _build(kind: str, code: str, name: str, unit: Unit, user: User, period: Period,
           pick: Callable[[WindowAssessment], bool], missing: str, own: list[int]) -> Report:
    """The report of the windows ``pick`` chooses; a published period reads only the stored
    rows of ``own`` (the report's windows), a live one computes every window (for the ranks)."""
    got = snapshots.stored(period, user, window_ids=own)
    if got is None:
        require_live(period, user)
    result = got.result if got else assess(period, user)
    rows = [r for r in result.rows if pick(r)]
    if not rows:
        raise NotFound(missing)
    ids = [r.window_id for r in rows]
    if got:
        tickets, trend = _from_stored(got, ids)
    else:
        tickets, trend = _ticket_summary(ids, period), _trend(ids, period)
    return Report(kind, code, name, unit.name, unit.industry, period, result, rows, tickets, trend,
                  got.snapshot if got else None, opinions(ids, period))


def window_report(user: User, code: str, period: Period) -> Report:
    """The report of one window ``user`` may see; NotFound otherwise (another unit's too)."""
    window = Session.scalars(sa.select(Window).options(orm.joinedload(Window.unit))
                             .where(Window.code == (code or "").strip())).first()
    if window is None or not scope.can_see_window(user, window):
        raise NotFound(f"窗口 {code} 不存在或无权查看")
    return _build("window", window.code, window.name, window.unit, user, period,
                  lambda r: r.window_id == window.id, f"窗口 {code} 在{period.label}已不在创建范围内",
                  [window.id])


def unit_report(user: User, code: str, period: Period) -> Report:
    """The report of a unit's windows (those ``user`` may see); NotFound for another's unit."""
    unit = _visible_unit(user, code)
    report = _build("unit", unit.code, unit.name, unit, user, period,
                    lambda r: r.unit_id == unit.id, f"单位 {code} 在{period.label}没有参加考核的窗口",
                    [w.id for w in unit.windows])
    if not scope.can_see_unit(user, unit):  # some of its windows: the title must not claim all
        report.only = tuple(r.name for r in sorted(report.rows, key=lambda r: r.code))
    return report


def chart_data(report: Report) -> dict[str, object]:
    """The page's charts: the monthly trend and the five-level distribution, the numbers of its
    tables (the mean rounded as shown)."""
    return {
        "months": [{"label": m.label, "ratings": m.ratings, "bad": m.bad,
                    "wechat": m.wechat, "h5": m.h5,
                    "mean": None if m.mean is None else round(m.mean, 2)} for m in report.trend],
        "distribution": [{"level": k, "label": RATINGS[k], "count": report.distribution[k]}
                         for k in (5, 4, 3, 2, 1)],
    }


def report_choices(user: User, period: Period) -> list[tuple[Unit, list[tuple[Window, bool]]]]:
    """The units ``user`` may read reports of, each with the windows it may see and whether the
    window has a report for ``period``: a published period's only for the windows its stored
    version holds, a live one's for every window not delisted before it (as ``assess``)."""
    rows = Session.execute(sa.select(Window, assessed_in(period)).join(Window.unit)
                           .where(scope.window_clause(user))
                           .order_by(Unit.code, Window.code)).all()
    stored = snapshots.stored_window_ids(period)
    out: dict[int, tuple[Unit, list[tuple[Window, bool]]]] = {}
    for w, assessed in rows:
        has = w.id in stored if stored is not None else bool(assessed) and reads_live(user)
        out.setdefault(w.unit_id, (w.unit, []))[1].append((w, has))
    return list(out.values())
