"""What a stored version of a period's assessment holds besides the assessment itself: each
window's months (label, counted ratings, their sum, 差评, those from WeChat and from H5) and the
tickets opened in the period, which its rating report shows. Computed in SQL before the version
is written: the months from the monthly sums once built (``analytics.period_sums``), else in one
pass over the feedback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from analytics import period_sums
from analytics.assessment import Assessment, Period, assess, counted_feedback
from analytics.counting import SPLIT_CHANNELS
from feedback_api.db import Session
from feedback_api.models import Feedback, Ticket


@dataclass
class Computed:
    """A period's assessment as computed now, with what its reports show beside it: each
    window's months (label, counted ratings, their sum, 差评) and the tickets opened in it."""

    period: Period
    result: Assessment
    trend: dict[int, list[list[Any]]]
    tickets: dict[int, dict[str, Any]]



def months(period: Period) -> list[Period]:
    if period.kind == "month":
        return [period]
    first = period.start.month
    return [Period("month", period.year, m)
            for m in range(first, first + (3 if period.kind == "quarter" else 12))]


#: A month as stored: counted ratings, their sum, 差评, and the ratings from WeChat and H5 (a
#: version stored before the split holds the first three only).
WIDTH = 5


def _trend(period: Period, ids: list[int]) -> dict[int, list[list[Any]]]:
    """Counted ratings per window and month: a count, a sum, the 差评 and the count per channel
    of each month."""
    parts = months(period)
    sums = period_sums.window_month_sums(period)
    if sums is not None:
        index = {month.start: k for k, month in enumerate(parts)}
        got: dict[int, list[Any]] = {}
        for wid, month, n, total, r1, r2, wechat, h5 in sums:
            values = got.setdefault(wid, [0] * (WIDTH * len(parts)))
            k = WIDTH * index[month]
            values[k:k + WIDTH] = [int(n or 0), float(total or 0), int((r1 or 0) + (r2 or 0)),
                                   int(wechat or 0), int(h5 or 0)]
        return _months_of(parts, got, ids)
    return _months_of(parts, _trend_from_rows(period, parts), ids)


def _months_of(parts: list[Period], got: dict[int, list[Any]], ids: list[int]
               ) -> dict[int, list[list[Any]]]:
    out: dict[int, list[list[Any]]] = {}
    for wid in ids:
        values = got.get(wid) or [0] * (WIDTH * len(parts))
        out[wid] = [[f"{month.number}月", int(values[WIDTH * k] or 0),
                     float(values[WIDTH * k + 1] or 0),
                     *[int(v or 0) for v in values[WIDTH * k + 2:WIDTH * k + WIDTH]]]
                    for k, month in enumerate(parts)]
    return out


def _trend_from_rows(period: Period, parts: list[Period]) -> dict[int, list[Any]]:
    """The same in one pass over the period's feedback (conditional aggregates per month)."""
    start, end = period.utc_bounds()
    columns = []
    for month in parts:
        m_start, m_end = month.utc_bounds()
        inside = sa.and_(Feedback.received_at >= m_start, Feedback.received_at < m_end)
        columns += [sa.func.sum(sa.case((inside, 1), else_=0)),
                    sa.func.sum(sa.case((inside, Feedback.rating), else_=0)),
                    sa.func.sum(sa.case((sa.and_(inside, Feedback.rating <= 2), 1), else_=0)),
                    *[sa.func.sum(sa.case((sa.and_(inside, Feedback.channel == c), 1), else_=0))
                      for c in SPLIT_CHANNELS]]
    return {wid: values for wid, *values in Session.execute(
        sa.select(Feedback.window_id, *columns)
        .where(Feedback.received_at >= start, Feedback.received_at < end, counted_feedback())
        .group_by(Feedback.window_id))}


def _tickets(period: Period, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Tickets opened in the period per window and topic: opened, closed, overdue; a cancelled
    ticket is not reported (as in a live report)."""
    start, end = period.utc_bounds()
    out: dict[int, dict[str, Any]] = {
        i: {"opened": 0, "closed": 0, "overdue": 0, "topics": []} for i in ids}
    for wid, topic, n, closed, overdue in Session.execute(
            sa.select(Ticket.window_id, Ticket.topic, sa.func.count(),
                      sa.func.sum(sa.case((Ticket.state == "closed", 1), else_=0)),
                      sa.func.sum(sa.case((Ticket.overdue.is_(True), 1), else_=0)))
            .where(Ticket.opened_at >= start, Ticket.opened_at < end, Ticket.state != "cancelled")
            .group_by(Ticket.window_id, Ticket.topic)):
        if wid in out:
            t = out[wid]
            t["opened"] += int(n)
            t["closed"] += int(closed or 0)
            t["overdue"] += int(overdue or 0)
            t["topics"].append([topic, int(n)])
    return out


def compute(period: Period) -> Computed:
    result = assess(period)
    ids = [r.window_id for r in result.rows]
    return Computed(period, result, _trend(period, ids), _tickets(period, ids))
