"""The figures of the agency's quarterly evaluation report (第三方机构季度测评报告), generated once
from the assessment and stored with the report (``AgencyReport.figures``), so what the office
reads, and every export of it, keeps the numbers of the day it was generated.

Every figure comes from the quarter's assessment as the assessment table and the rating reports
read it (its published version once there is one, else ``analytics.assessment.assess``), the
delisting proposals and early warnings, the repeat problems and one query for the typical cases
(masked opinions only). Rates are stored as percentages rounded to
one decimal, scores to one decimal: as every rendering shows them."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from analytics import delisting, repeat_problems, snapshots
from analytics.assessment import Period, WindowAssessment, assess
from analytics.counting import SPLIT_CHANNELS, counted_opinions, split_levels
from analytics.ranking import competition_ranks
from analytics.reports import _from_stored, _ticket_summary
from feedback_api.db import Session, utcnow
from feedback_api.models import DelistingProposal, Feedback, Unit, Window
from feedback_api.models.reference import (
    DELISTING_RULES,
    DEMONSTRATION,
    INDUSTRIES,
    PROPOSAL_STATES,
    TOPICS,
    label,
)
from feedback_api.services.complaints import complaint, praise
from feedback_api.services.feedback import LOCAL_TZ

#: How many windows the best and the weakest tables list; how many typical cases of each kind.
TOP = 5
CASES = 3


def pct(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def one(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _window(r: WindowAssessment) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "unit": r.unit_name,
            "industry": label(INDUSTRIES, r.industry), "composite": one(r.composite),
            "rank_district": r.rank_district, "ratings": r.ratings,
            "ratings_wechat": r.ratings_wechat, "ratings_h5": r.ratings_h5,
            "good_rate": one(None if r.good_rate is None else 100 * r.good_rate)}


def _by_channel(rows: list[WindowAssessment]) -> dict[str, int]:
    """The counted ratings from WeChat and from H5 (shown apart: issue 12)."""
    return {"ratings_wechat": sum(r.ratings_wechat or 0 for r in rows),
            "ratings_h5": sum(r.ratings_h5 or 0 for r in rows)}


def _levels(values: list[dict[int, int] | None]) -> dict[str, int] | None:
    """The five-level distribution of one channel over some windows, as stored (JSON keys)."""
    dist = split_levels(values)
    return None if dist is None else {str(k): n for k, n in dist.items()}


def _industries(rows: list[WindowAssessment]) -> list[dict[str, Any]]:
    groups: dict[str, list[WindowAssessment]] = defaultdict(list)
    for r in rows:
        groups[r.industry].append(r)
    out = []
    for industry, members in groups.items():
        scored = [r.composite for r in members if r.composite is not None]
        ratings = sum(r.ratings for r in members)
        good = sum(r.distribution[4] + r.distribution[5] for r in members)
        bad = sum(r.distribution[1] + r.distribution[2] for r in members)
        out.append({"industry": label(INDUSTRIES, industry), "windows": len(members),
                    "ratings": ratings, **_by_channel(members),
                    "good_rate": pct(good, ratings), "bad_rate": pct(bad, ratings),
                    "mean_composite": one(sum(scored) / len(scored)) if scored else None,
                    "bad_reviews": sum(r.bad_reviews for r in members),
                    "open_tickets": sum(r.open_tickets for r in members)})
    # Ranked by mean composite as shown, highest first; equal means share a rank (1, 2, 2, 4).
    out.sort(key=lambda i: (i["mean_composite"] is None, -(i["mean_composite"] or 0), i["industry"]))
    for item in out:
        item["rank"] = None
    for item, rank in competition_ranks(out, lambda i: i["mean_composite"]):
        item["rank"] = rank
    return out


def _judged(r: WindowAssessment) -> int:
    """The 差评 the window's rates are over: those judged (ticket closed or its first deadline
    passed); a version stored before they were counted apart has rates over every 差评."""
    return r.bad_assessed if r.bad_assessed or r.bad_rectified_rate is None else r.bad_reviews


def _tickets(rows: list[WindowAssessment], period: Period,
             got: snapshots.Stored | None) -> dict[str, Any]:
    rounds = sum(r.ticket_rounds for r in rows)
    on_time = sum(round((r.ticket_on_time_rate or 0) * r.ticket_rounds) for r in rows)
    bad = sum(r.bad_reviews for r in rows)
    assessed = sum(_judged(r) for r in rows)
    rectified = sum(round((r.bad_rectified_rate or 0) * _judged(r)) for r in rows)
    called = sum(round((r.bad_callback_rate or 0) * _judged(r)) for r in rows)
    ids = [r.window_id for r in rows]
    summary = _from_stored(got, ids)[0] if got else _ticket_summary(ids, period)
    return {"opened": summary.opened, "closed": summary.closed, "overdue": summary.overdue,
            "open_now": summary.open_now, "rounds_due": rounds, "rounds_on_time": on_time,
            "on_time_rate": pct(on_time, rounds), "bad_reviews": bad, "bad_assessed": assessed,
            "rectified": rectified, "rectified_rate": pct(rectified, assessed),
            "called_back": called, "callback_rate": pct(called, assessed),
            "topics": [[label(TOPICS, t), n] for t, n in summary.topics]}


def _inspections(rows: list[WindowAssessment]) -> dict[str, Any]:
    n = sum(r.inspections for r in rows)
    score_sum = sum((r.inspection_score or 0) * r.inspections for r in rows)
    checks = sum(r.covert_checks for r in rows)
    passed = sum(round((r.covert_pass_rate or 0) * r.covert_checks) for r in rows)
    return {"inspections": n, "inspected_windows": sum(1 for r in rows if r.inspections),
            "failed": sum(r.inspections_failed for r in rows),
            "mean_score": one(score_sum / n) if n else None,
            "covert_visits": sum(r.covert_inspections for r in rows), "covert_checks": checks,
            "covert_passed": passed, "covert_pass_rate": pct(passed, checks)}


def _delisting(period: Period) -> dict[str, Any]:
    proposals = Session.execute(
        sa.select(DelistingProposal, Window.code, Window.name).join(DelistingProposal.window)
        .where(DelistingProposal.year == period.year)
        .order_by(DelistingProposal.rule, Window.code)).all()
    warnings = delisting.early_warnings(period.year)
    names = {wid: f"{code} {name}" for wid, code, name in Session.execute(
        sa.select(Window.id, Window.code, Window.name)
        .where(Window.id.in_([w.window_id for w in warnings])))} if warnings else {}
    return {"proposals": [{"window": f"{code} {name}", "rule": p.rule,
                           "rule_name": DELISTING_RULES[p.rule],
                           "state": PROPOSAL_STATES.get(p.state, p.state),
                           "summary": str(p.evidence.get("summary", ""))[:300]}
                          for p, code, name in proposals],
            "warnings": [{"window": names.get(w.window_id, ""), "rule": w.rule,
                          "rule_name": DELISTING_RULES[w.rule], "summary": w.summary[:300]}
                         for w in warnings]}


def _repeats(period: Period) -> dict[str, Any]:
    found = repeat_problems.find(period)
    return {"min_windows": found.min_windows, "previous": found.previous.label,
            "partial": found.partial,
            "problems": [{"industry": p.industry_label, "topic": p.topic_label,
                          "windows": [f"{w.code} {w.name}" for w in p.windows],
                          "current": p.current, "previous": p.previous}
                         for p in found.problems]}


def _cases(period: Period) -> dict[str, list[dict[str, Any]]]:
    """Typical opinions of the quarter, as masked text only (never the raw text): the most
    negative complaints and the most positive praise (``services.complaints``: a rating of 3-5
    is a complaint only by a reviewer's verdict), one per window at most."""
    start, end = period.utc_bounds()
    base = (sa.select(Feedback.received_at, Feedback.masked_text, Feedback.main_topic,
                      Feedback.window_id, Window.code, Window.name, Unit.name)
            .join(Window, Window.id == Feedback.window_id).join(Unit, Unit.id == Window.unit_id)
            .where(counted_opinions(), Feedback.masked_text.is_not(None),
                   sa.func.length(Feedback.masked_text) >= 6,
                   Feedback.received_at >= start, Feedback.received_at < end))
    sentiment = sa.func.coalesce(Feedback.reviewed_sentiment, Feedback.sentiment)
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, clause, order in (("negative", complaint(), sentiment.asc()),
                                ("positive", praise(), sentiment.desc())):
        seen: set[int] = set()
        items = []
        for at, text, topic, window_id, code, name, unit in Session.execute(
                base.where(clause).order_by(order, Feedback.id).limit(CASES * 10)):
            if window_id in seen:
                continue
            seen.add(window_id)
            items.append({"date": at.astimezone(LOCAL_TZ).date().isoformat(),
                          "window": f"{code} {name}", "unit": unit,
                          "topic": label(TOPICS, topic) if topic else "", "text": text[:300]})
            if len(items) == CASES:
                break
        out[kind] = items
    return out


def generate(period: Period) -> dict[str, Any]:
    """The report's figures for ``period`` (a quarter), every window of the district: those of
    its published version once it is published, so the report never contradicts the office's
    published scores and ranks."""
    got = snapshots.stored(period)
    result = got.result if got else assess(period)
    rows = result.rows
    ratings = sum(r.ratings for r in rows)
    dist = {k: sum(r.distribution[k] for r in rows) for k in range(1, 6)}
    scored = [r for r in rows if r.composite is not None]
    ranked = sorted(scored, key=lambda r: (r.rank_district or 0, r.code))
    best = ranked[:TOP]
    weakest = [r for r in reversed(ranked) if r not in best][:TOP]
    overview = {
        "windows": len(rows), "ranked": result.district_ranked,
        "demonstration": sum(1 for r in rows if r.status == DEMONSTRATION),
        "industries": len({r.industry for r in rows}), "ratings": ratings,
        **_by_channel(rows),
        "distribution": {str(k): dist[k] for k in range(1, 6)},
        **{f"distribution_{c}": _levels([getattr(r, f"distribution_{c}") for r in rows])
           for c in SPLIT_CHANNELS},
        "good_rate": pct(dist[4] + dist[5], ratings), "bad_rate": pct(dist[1] + dist[2], ratings),
        "opinions": sum(r.opinions for r in rows),
        "mean_composite": one(sum(r.composite for r in scored) / len(scored)) if scored else None,  # type: ignore[misc]
    }
    return {"period": period.code, "period_label": period.label,
            "generated_at": utcnow().astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            "overview": overview, "industries": _industries(rows),
            "best": [_window(r) for r in best], "weakest": [_window(r) for r in weakest],
            "version": got.snapshot.version if got else None,
            "tickets": _tickets(rows, period, got), "inspections": _inspections(rows),
            "delisting": _delisting(period), "repeats": _repeats(period), "cases": _cases(period),
            "formula": result.formula, "notes": list(result.notes)}


def default_sections(figures: dict[str, Any]) -> dict[str, str]:
    """A first draft of the narrative from the figures, for the agency to rewrite."""
    o, t = figures["overview"], figures["tickets"]

    def show(x: Any) -> str:
        return "—" if x is None else f"{x:g}" if isinstance(x, float) else str(x)

    def rate(x: float | None) -> str:
        return "—（无数据）" if x is None else f"{x:g}%"

    repeats = figures["repeats"]["problems"]
    return {
        # Every window not delisted before the quarter is assessed, candidates too.
        "summary": (f"{figures['period_label']}，全区 {o['windows']} 个窗口参加量化考核"
                    f"（其中示范窗口 {o['demonstration']} 个），"
                    f"收到计分评价 {o['ratings']} 条（微信公众号 {show(o.get('ratings_wechat'))} 条、"
                    f"网页评价 {show(o.get('ratings_h5'))} 条），好评率 {rate(o['good_rate'])}，"
                    f"差评率 {rate(o['bad_rate'])}，综合得分平均 {show(o['mean_composite'])} 分。"),
        "analysis": (f"本季度到期督办 {t['rounds_due']} 轮次，按时办理率 {rate(t['on_time_rate'])}；"
                     f"计分差评 {t['bad_reviews']} 条，其中督办已办结或整改期限已过的 "
                     f"{t['bad_assessed']} 条计入考核，整改率 {rate(t['rectified_rate'])}，"
                     f"回访率 {rate(t['callback_rate'])}。"
                     + (f"多窗口反复出现的问题 {len(repeats)} 项：" + "；".join(
                         f"{p['industry']}“{p['topic']}”" for p in repeats) + "。" if repeats
                        else "本季度未发现多窗口反复出现的问题。")),
        "cases": "（请对典型案例作简要点评。）",
        "suggestions": "（请提出下一季度的工作建议。）",
    }
