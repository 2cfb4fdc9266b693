"""Repeat problems across windows (多窗口反复出现的问题): the same topic rising across several
windows of one industry within a period.

Plainly: for a period (a month, quarter or year) and one industry, a topic is a repeat problem
when its complaints rose against the previous period in at least ``min_windows``
(``WW_REPEAT_MIN_WINDOWS``, default 3) of the industry's windows. A complaint (投诉意见) is a
counted opinion (``counted_opinions``: analysed, not invalid, not a merged duplicate) whose main
topic is the topic and which ``services.complaints`` calls a complaint, the rule the reports and
the tickets opened automatically follow: a counted 差评, a reviewer's negative verdict, or, with
neither a rating nor a verdict, a model score below 0.4. A 3-5-star opinion the model misreads
("不拥挤" scored negative) is no complaint, so it cannot raise a problem nor e-mail an authority.
"Rose" means more in this period than in the previous one (0 → 1 counts). While a period is
running, its elapsed part is compared with the same span at the start of the previous period, so
a half-finished quarter is not measured against a whole one.

Everything is counted in SQL (one statement: per window and topic, then per industry and topic).
The office reads every industry, an industry authority its own; each problem is e-mailed to the
industry authority once per period and topic (the alert's key), through the staff alerts queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from analytics.counting import counted_opinions
from analytics.periods import Period, current_quarter, previous
from feedback_api.db import Session, utcnow
from feedback_api.models import Feedback, Unit, User, Window
from feedback_api.models.reference import INDUSTRIES, TOPICS, label
from feedback_api.services import alerts, scope
from feedback_api.services.complaints import complaint
from feedback_api.services.feedback import LOCAL_TZ
from feedback_api.services.feedback_list import NEGATIVE_BELOW


@dataclass(frozen=True)
class WindowRise:
    code: str
    name: str
    unit_name: str
    current: int
    previous: int


@dataclass
class RepeatProblem:
    industry: str
    topic: str
    windows: list[WindowRise] = field(default_factory=list)

    @property
    def industry_label(self) -> str:
        return label(INDUSTRIES, self.industry)

    @property
    def topic_label(self) -> str:
        return label(TOPICS, self.topic)

    @property
    def current(self) -> int:
        return sum(w.current for w in self.windows)

    @property
    def previous(self) -> int:
        return sum(w.previous for w in self.windows)


@dataclass
class RepeatReport:
    period: Period
    previous: Period
    #: The spans compared (aware datetimes): [start, end) of this period and of the previous.
    current_span: tuple[datetime, datetime]
    previous_span: tuple[datetime, datetime]
    min_windows: int
    problems: list[RepeatProblem]

    @property
    def model_below(self) -> float:
        """The model score below which an unrated, unreviewed opinion is a complaint."""
        return NEGATIVE_BELOW

    @property
    def partial(self) -> bool:
        return self.current_span[1] < self.period.utc_bounds()[1]


def spans(period: Period, now: datetime | None = None
          ) -> tuple[Period, tuple[datetime, datetime], tuple[datetime, datetime]]:
    """The previous period and the two spans compared: the whole periods once ``period`` has
    ended, else its elapsed part and as long a part from the start of the previous one."""
    now = now or utcnow()
    start, end = period.utc_bounds()
    prev = previous(period)
    prev_start, prev_end = prev.utc_bounds()
    if now >= end:
        return prev, (start, end), (prev_start, prev_end)
    cut = max(now, start)
    return prev, (start, cut), (prev_start, min(prev_end, prev_start + (cut - start)))


def min_windows_setting() -> int:
    return int(current_app.config.get("WW_REPEAT_MIN_WINDOWS") or 3)


def find(period: Period, *, min_windows: int | None = None, industries: list[str] | None = None,
         now: datetime | None = None) -> RepeatReport:
    """The repeat problems of ``period`` (of ``industries`` only, when given)."""
    min_windows = min_windows or min_windows_setting()
    prev, (cur_start, cur_end), (prev_start, prev_end) = spans(period, now)
    at = Feedback.received_at
    in_cur = sa.and_(at >= cur_start, at < cur_end)
    in_prev = sa.and_(at >= prev_start, at < prev_end)
    cur_n = sa.func.sum(sa.case((in_cur, 1), else_=0))
    prev_n = sa.func.sum(sa.case((in_prev, 1), else_=0))
    where = [counted_opinions(), complaint(), Feedback.main_topic.is_not(None),
             Feedback.main_topic != "other", sa.or_(in_cur, in_prev)]
    if industries is not None:
        where.append(Unit.industry.in_(industries))
    rising = (sa.select(Unit.industry.label("industry"), Feedback.window_id.label("window_id"),
                        Feedback.main_topic.label("topic"), cur_n.label("cur"),
                        prev_n.label("prev"))
              .join(Window, Window.id == Feedback.window_id).join(Unit, Unit.id == Window.unit_id)
              .where(*where)
              .group_by(Unit.industry, Feedback.window_id, Feedback.main_topic)
              .having(cur_n > prev_n)).subquery()
    repeated = (sa.select(rising.c.industry, rising.c.topic)
                .group_by(rising.c.industry, rising.c.topic)
                .having(sa.func.count() >= min_windows)).subquery()
    rows = Session.execute(
        sa.select(rising.c.industry, rising.c.topic, Window.code, Window.name, Unit.name,
                  rising.c.cur, rising.c.prev)
        .join(repeated, sa.and_(repeated.c.industry == rising.c.industry,
                                repeated.c.topic == rising.c.topic))
        .join(Window, Window.id == rising.c.window_id).join(Unit, Unit.id == Window.unit_id)
        .order_by(rising.c.industry, rising.c.topic, (rising.c.cur - rising.c.prev).desc(),
                  Window.code))
    problems: dict[tuple[str, str], RepeatProblem] = {}
    for industry, topic, code, name, unit_name, cur, prv in rows:
        problem = problems.setdefault((industry, topic), RepeatProblem(industry, topic))
        problem.windows.append(WindowRise(code, name, unit_name, int(cur), int(prv)))
    ordered = sorted(problems.values(), key=lambda p: (p.industry, -len(p.windows), p.topic))
    return RepeatReport(period, prev, (cur_start, cur_end), (prev_start, prev_end), min_windows,
                        ordered)


def visible_industries(user: User) -> list[str] | None:
    """The industries whose repeat problems ``user`` reads: all (None) for the office and the
    agency, its own for an authority; nobody else reads them (an empty list)."""
    if user.role in scope.GLOBAL_ROLES:
        return None
    if user.role == "authority":
        return sorted({s.industry for s in user.scopes if s.industry})
    return []


def for_user(user: User, period: Period, now: datetime | None = None) -> RepeatReport:
    # An empty list selects nothing (an empty IN is false in SQL).
    return find(period, industries=visible_industries(user), now=now)


def alert_key(period: Period, problem: RepeatProblem) -> str:
    return f"repeat:{period.code}:{problem.industry}:{problem.topic}"


def queue_alerts(report: RepeatReport, now: datetime | None = None) -> int:
    """Queue an e-mail to each problem's industry authority, once per period and topic; returns
    how many were queued (a second run queues none)."""
    queued = 0
    for p in report.problems:
        lines = "\n".join(f"- {w.code} {w.name}（{w.unit_name}）：本期 {w.current} 条，上期 {w.previous} 条"
                          for w in p.windows)
        span = "（本期截至目前，与上期同期相比）" if report.partial else ""
        body = (f"{report.period.label}，{p.industry_label}行业有 {len(p.windows)} 个窗口关于"
                f"“{p.topic_label}”的投诉意见较{report.previous.label}上升{span}，"
                f"达到多窗口反复出现问题的标准（至少 {report.min_windows} 个窗口）：\n{lines}\n"
                "请督促相关窗口单位查找共性原因并整改。")
        if alerts.queue_alert(kind="repeat_problem", key=alert_key(report.period, p),
                              subject=f"【多窗口问题】{p.industry_label}：{p.topic_label}"
                                      f"（{report.period.label}）",
                              body=body, industry=p.industry, path="/repeats/", now=now):
            queued += 1
    return queued


def check(period: Period | None = None, *, now: datetime | None = None,
          min_windows: int | None = None) -> int:
    """Find the repeat problems of ``period`` and alert the authorities (idempotent).

    Without a period (the nightly job): the current quarter so far, and the previous quarter
    (whose late data may still add a problem)."""
    now = now or utcnow()
    if period is None:
        this = current_quarter(now.astimezone(LOCAL_TZ).date())
        periods = [previous(this), this]
    else:
        periods = [period]
    queued = sum(queue_alerts(find(p, min_windows=min_windows, now=now), now) for p in periods)
    Session.flush()
    return queued


def nightly() -> int:
    """The scheduler's job (also ``window-watch repeats check``)."""
    return check()
