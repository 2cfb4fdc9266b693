"""The evaluation standard (测评标准), one per year: indicators with points and pass lines, the
inspection pass score, the composite's weights and the points each incident (重大事件) of the
period takes from the composite (扣分). The office edits it; everyone reads it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Standard, StandardIndicator, User
from feedback_api.models.reference import TOPICS
from feedback_api.services import audit, scope
from feedback_api.services.errors import NotFound, PermissionDenied, ValidationError

#: The default indicators, one per topic category (the opinions' topics are the same list):
#: (category, name, points, pass line). Points sum to 100; each pass line is 60 % of its points.
DEFAULT_INDICATORS: tuple[tuple[str, str, float, float], ...] = (
    ("attitude", "服务态度", 15, 9),
    ("efficiency", "办事效率", 15, 9),
    ("competence", "业务能力", 15, 9),
    ("environment", "环境设施", 10, 6),
    ("integrity", "廉洁诚信", 15, 9),
    ("process", "制度流程", 10, 6),
    ("convenience", "便民措施", 10, 6),
    ("publicity", "信息公开", 10, 6),
)
DEFAULT_PASS_SCORE = 80.0
#: Public feedback, quarterly inspections, covert inspections, ticket handling.
DEFAULT_WEIGHTS = {"weight_feedback": 40.0, "weight_inspection": 30.0, "weight_covert": 20.0,
                   "weight_tickets": 10.0}
#: Points taken from the composite per incident: general (一般), major (重大). A major incident
#: (a safety accident, a bad social impact) costs four general ones, 20 points, a fifth of the
#: scale: it moves a window well down the ranking (and its title is at stake anyway, delisting
#: rule 4); 5 for a general one is felt without sinking a window on one event. The standards
#: stored before these existed have 0 (migration 0045): past figures do not move.
DEFAULT_DEDUCTIONS = {"deduction_general": 5.0, "deduction_major": 20.0}
#: The most a deduction may be: the composite's full scale.
MAX_DEDUCTION = 100.0
CATEGORIES = {k: v for k, v in TOPICS.items() if k != "other"}


def _check_office(actor: User | None) -> None:
    if actor is not None and actor.role != "office":
        raise PermissionDenied("只有区联席办可以修改测评标准")


def get_standard(year: int) -> Standard | None:
    return Session.scalars(sa.select(Standard).where(Standard.year == year)).first()


def standard_to_dict(std: Standard) -> dict[str, Any]:
    return {
        "year": std.year, "name": std.name, "pass_score": std.pass_score,
        **{k: getattr(std, k) for k in DEFAULT_WEIGHTS},
        **{k: getattr(std, k) for k in DEFAULT_DEDUCTIONS},
        # An unsaved standard's indicators (``read_standard``) have no id yet.
        "indicators": [{**({"id": i.id} if i.id is not None else {}), "category": i.category,
                        "name": i.name, "weight": i.weight, "pass_line": i.pass_line}
                       for i in std.indicators],
    }


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise ValidationError(f"年度 {year} 不在 2000–2100 之间")


def _new_standard(year: int) -> Standard:
    """A new, unsaved standard of ``year``: a copy of the latest earlier year's, or the default
    set."""
    previous = Session.scalars(sa.select(Standard).where(Standard.year < year)
                               .order_by(Standard.year.desc())).first()
    if previous is not None:
        std = Standard(year=year, name=f"{year}年度文明诚信示范窗口测评标准",
                       pass_score=previous.pass_score,
                       **{k: getattr(previous, k) for k in DEFAULT_WEIGHTS},
                       **_deductions_after(previous))
        std.indicators = [StandardIndicator(category=i.category, name=i.name, weight=i.weight,
                                            pass_line=i.pass_line, position=i.position)
                          for i in previous.indicators]
    else:
        std = Standard(year=year, name=f"{year}年度文明诚信示范窗口测评标准",
                       pass_score=DEFAULT_PASS_SCORE, **DEFAULT_WEIGHTS, **DEFAULT_DEDUCTIONS)
        std.indicators = [StandardIndicator(category=c, name=n, weight=w, pass_line=p, position=i)
                          for i, (c, n, w, p) in enumerate(DEFAULT_INDICATORS)]
    return std


def _deductions_after(previous: Standard) -> dict[str, float]:
    """A new year's deductions: the previous year's as the office set them, or the defaults when
    both are 0 (as the migration left the standards stored before deductions existed)."""
    got = {k: getattr(previous, k) for k in DEFAULT_DEDUCTIONS}
    return got if any(got.values()) else dict(DEFAULT_DEDUCTIONS)


def read_standard(year: int) -> Standard:
    """The standard of ``year`` as it is or would be made (``ensure_standard``), for reading:
    a year not yet stored gets an unsaved copy (its indicators have no ids), so reading never
    writes."""
    _check_year(year)
    return get_standard(year) or _new_standard(year)


def ensure_standard(year: int) -> Standard:
    """The standard of ``year``; stored on first need by a write (an inspection, a covert
    inspection, an expert's score, the office's edit or its page) as a copy of the latest
    earlier year's, or of the default set, so each year keeps its own version once edited."""
    _check_year(year)
    std = get_standard(year)
    if std is not None:
        return std
    std = _new_standard(year)
    Session.add(std)
    Session.flush()
    # Made by the system on whoever's first need, not by them.
    audit.record_change(None, "create", "standard", year, None, standard_to_dict(std),
                        actor_label="system")
    return std


def _number(value: Any, label: str, errors: dict[str, str], key: str, *, positive: bool = False,
            most: float = 1000) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors[key] = f"{label}应为数字"
        return None
    if number != number or number < 0 or (positive and number == 0) or number > most:
        errors[key] = f"{label}应为{'大于 0' if positive else '不小于 0'}且不超过 {most:g} 的数"
        return None
    return number


def update_standard(actor: User | None, year: int, data: dict[str, Any]) -> Standard:
    """Change the name, the pass score, the weights, the incident deductions (0–100 points each)
    and the indicators (``indicators``: list of
    {id?, category, name, weight, pass_line}; one left out is removed if never used). Nothing
    changes unless everything is valid."""
    _check_office(actor)
    std = ensure_standard(year)
    before = standard_to_dict(std)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name or len(name) > 200:
            errors["name"] = "名称不能为空，且不超过 200 字"
        else:
            values["name"] = name
    for key, text in (("pass_score", "合格分数线"), ("weight_feedback", "群众评价权重"),
                      ("weight_inspection", "综合检查权重"), ("weight_covert", "暗查权重"),
                      ("weight_tickets", "督办办理权重")):
        if key in data:
            number = _number(data[key], text, errors, key)
            if number is not None:
                values[key] = number
    for key, text in (("deduction_general", "一般事件扣分"), ("deduction_major", "重大事件扣分")):
        if key in data:
            number = _number(data[key], text, errors, key, most=MAX_DEDUCTION)
            if number is not None:
                values[key] = number
    plan = _plan_indicators(std, data["indicators"], errors) if "indicators" in data else None
    if not errors:
        if sum(values.get(k, getattr(std, k)) for k in DEFAULT_WEIGHTS) == 0:
            errors["weights"] = "四项权重不能全为 0"
        max_score = sum(v["weight"] for _i, v in plan) if plan is not None else std.max_score
        if values.get("pass_score", std.pass_score) > max_score:
            errors["pass_score"] = f"合格分数线不能高于各指标分值之和 {max_score:g}"
    if errors:
        raise ValidationError("测评标准有误：" + "；".join(errors.values()), details=errors)
    for key, value in values.items():
        setattr(std, key, value)
    if plan is not None:
        # Names are unique per standard: free the old names before the rows take new ones.
        for ind in std.indicators:
            ind.name = f"__{ind.id}"
        Session.flush()
        kept = []
        for ind, v in plan:
            ind = ind or StandardIndicator()
            for key, value in v.items():
                setattr(ind, key, value)
            kept.append(ind)
        std.indicators = kept
    Session.flush()
    audit.record_change(actor, "update", "standard", year, before, standard_to_dict(std))
    return std


def _plan_indicators(std: Standard, items: Any, errors: dict[str, str],
                     ) -> list[tuple[StandardIndicator | None, dict[str, Any]]]:
    """The indicators as they are to be: (existing row or None, values), validated."""
    from feedback_api.models import CovertResult, InspectionScore

    if not isinstance(items, list) or not items:
        errors["indicators"] = "至少要有一个测评指标"
        return []
    by_id = {i.id: i for i in std.indicators}
    plan: list[tuple[StandardIndicator | None, dict[str, Any]]] = []
    names: set[str] = set()
    for pos, item in enumerate(items):
        line = f"第 {pos + 1} 个指标"
        name = str(item.get("name") or "").strip()
        if not name or len(name) > 100:
            errors[f"indicators.{pos}.name"] = f"{line}名称不能为空，且不超过 100 字"
            continue
        if name in names:
            errors[f"indicators.{pos}.name"] = f"{line}名称“{name}”重复"
            continue
        names.add(name)
        category = item.get("category")
        if category not in CATEGORIES:
            errors[f"indicators.{pos}.category"] = f"{line}类别无效"
            continue
        weight = _number(item.get("weight"), f"{line}分值", errors, f"indicators.{pos}.weight",
                         positive=True)
        pass_line = _number(item.get("pass_line"), f"{line}合格线", errors,
                            f"indicators.{pos}.pass_line")
        if weight is None or pass_line is None:
            continue
        if pass_line > weight:
            errors[f"indicators.{pos}.pass_line"] = f"{line}合格线不能高于分值"
            continue
        plan.append((by_id.pop(item["id"], None) if item.get("id") else None,
                     {"category": category, "name": name, "weight": weight,
                      "pass_line": pass_line, "position": pos}))
    for removed in by_id.values():
        used = Session.scalar(sa.select(sa.func.count()).select_from(InspectionScore)
                              .where(InspectionScore.indicator_id == removed.id)) or 0
        used += Session.scalar(sa.select(sa.func.count()).select_from(CovertResult)
                               .where(CovertResult.indicator_id == removed.id)) or 0
        if used:
            errors[f"remove.{removed.id}"] = f"指标“{removed.name}”已有检查记录，不能删除"
    return plan


def indicator_by_name(std: Standard) -> dict[str, StandardIndicator]:
    return {i.name: i for i in std.indicators}


def require_standard(year: int) -> Standard:
    std = get_standard(year)
    if std is None:
        raise NotFound(f"{year} 年度测评标准不存在")
    return std


def list_standards(*, page: int = 1, per_page: int = 20) -> tuple[list[Standard], int]:
    """The stored standards, newest year first (everyone reads them)."""
    return scope.page_of(sa.select(Standard).order_by(Standard.year.desc()), page, per_page)
