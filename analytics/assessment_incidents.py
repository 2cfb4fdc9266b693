"""Incidents (重大事件) in the assessment: each window's incidents of the period (and of them the
major ones), and the deduction (扣分) they take from its composite: per incident, the points its
severity is worth in the year's standard (一般 / 重大), the composite floored at 0.

A window without a composite (no component, or full ticket marks alone) gets no deduction: there
is nothing to take it from, and incidents alone are no assessment. The deduction and its
parameters go into the weights (``incident_general``, ``incident_major``), the formula and the
notes, so a stored version explains itself; a version stored before has none of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from analytics.periods import Period
from feedback_api.db import Session
from feedback_api.models import Incident, Standard
from feedback_api.services import standards

if TYPE_CHECKING:
    from analytics.assessment import WindowAssessment

#: (key in the assessment's weights, the standard's field, label).
SEVERITIES: tuple[tuple[str, str, str], ...] = (
    ("incident_general", "deduction_general", "一般"),
    ("incident_major", "deduction_major", "重大"),
)


def deductions(std: Standard | None) -> dict[str, float]:
    """The points per incident of the year's standard (the defaults while it has none)."""
    return {key: float(getattr(std, attr) if std is not None else standards.DEFAULT_DEDUCTIONS[attr])
            for key, attr, _label in SEVERITIES}


def count_incidents(rows: dict[int, WindowAssessment], period: Period) -> None:
    """Every window's incidents of the period, and of them the major ones."""
    for row in rows.values():
        row.incidents = row.incidents_major = 0
    for window_id, n, major in Session.execute(
            sa.select(Incident.window_id, sa.func.count(),
                      sa.func.sum(sa.case((Incident.severity == "major", 1), else_=0)))
            .where(Incident.occurred_on >= period.start, Incident.occurred_on < period.end)
            .group_by(Incident.window_id)):
        if window_id in rows:
            rows[window_id].incidents, rows[window_id].incidents_major = int(n), int(major or 0)


def _per(weights: dict[str, float]) -> dict[str, float]:
    return {key: weights.get(key, 0.0) for key, _attr, _label in SEVERITIES}


def deduct(r: WindowAssessment, weights: dict[str, float]) -> None:
    """Take the incidents' points from the row's composite (computed as before) and say so in its
    formula; a deduction of 0 leaves the formula as it was."""
    if r.composite is None:
        return
    major = r.incidents_major or 0
    counts = {"incident_general": (r.incidents or 0) - major, "incident_major": major}
    per = _per(weights)
    r.composite_before = r.composite
    r.deduction = sum(counts[key] * per[key] for key in counts)
    if not r.deduction:
        return
    r.composite = max(r.composite_before - r.deduction, 0.0)
    terms = "、".join(f"{label} {counts[key]} 起×{per[key]:g}" for key, _attr, label in SEVERITIES
                     if counts[key] and per[key])
    floor = "，最低为 0" if r.composite_before < r.deduction else ""
    r.formula += (f"；重大事件扣分 {r.deduction:g}（{terms}）：{r.composite_before:.1f} − "
                  f"{r.deduction:g}{floor} = {r.composite:.1f}")


def formula_tail(weights: dict[str, float]) -> str:
    """The general formula's last step (nothing when the standard deducts nothing)."""
    per = _per(weights)
    if not any(per.values()):
        return ""
    return (f"；再减重大事件扣分（每起一般事件扣 {per['incident_general']:g} 分、"
            f"每起重大事件扣 {per['incident_major']:g} 分），最低为 0 分")


def incident_note(weights: dict[str, float]) -> str:
    per = _per(weights)
    rule = "发生重大安全事故或造成恶劣社会影响的示范窗口按摘牌规则处理（见摘牌建议）。"
    if not any(per.values()):
        return ("重大事件（安全事故、不良社会影响）单列；本年度测评标准未设重大事件扣分，"
                "不计入综合得分；" + rule)
    return (f"重大事件（安全事故、不良社会影响）按本年度测评标准扣分：每起一般事件扣 "
            f"{per['incident_general']:g} 分、每起重大事件扣 {per['incident_major']:g} 分，"
            "从按权重算出的综合得分中扣除，最低为 0 分，排名按扣分后的综合得分；没有任何可用分项"
            "的窗口仍不计综合得分；" + rule)
