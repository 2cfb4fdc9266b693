"""The window registry: validation, listing within a user's scope, create and update."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from feedback_api.db import Session, utcnow
from feedback_api.models import Unit, User, Window
from feedback_api.models.reference import (
    CANDIDATE,
    DELISTED,
    INDUSTRIES,
    PROGRAMME_FIRST_YEAR,
    WINDOW_STATUSES,
    label,
    lookup_code,
)
from feedback_api.models.windows import WINDOW_CODE_RE
from feedback_api.services import audit, scope, typed_filters, window_status, window_title
from feedback_api.services.characters import control_character, line_breaks
from feedback_api.services.dates import parse_date
from feedback_api.services.errors import NotFound, PermissionDenied, ValidationError
from feedback_api.services.feedback import LOCAL_TZ


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # "str", "text", "int", "date", "listed", "status", "unit", "code", "year"
    label: str
    max_len: int = 200
    required: bool = False


#: Every editable window field, in ledger order; the API, the forms and the import share it.
WINDOW_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("code", "code", "窗口编号", 64, required=True),
    FieldSpec("name", "str", "窗口名称", 200, required=True),
    FieldSpec("unit", "unit", "所属单位", 200, required=True),
    FieldSpec("address", "str", "窗口地址", 300),
    FieldSpec("service_items", "text", "主要服务事项", 5000),
    FieldSpec("staff_count", "int", "窗口人数"),
    FieldSpec("contact_person", "str", "负责人", 100),
    FieldSpec("contact_phone", "str", "联系电话", 50),
    FieldSpec("service_hours", "str", "服务时间", 200),
    FieldSpec("listed_on", "listed", "挂牌日期"),
    FieldSpec("status", "status", "状态"),
    FieldSpec("status_date", "date", "状态日期"),
    FieldSpec("status_year", "year", "命名/摘牌年度"),
    FieldSpec("status_reason", "text", "状态原因", 2000),
    FieldSpec("remarks", "text", "备注", 2000),
)
FIELD_BY_NAME = {f.name: f for f in WINDOW_FIELDS}


def _clean_value(spec: FieldSpec, value: Any) -> Any:
    """Validate one field; raise ValueError with a Chinese reason."""
    if spec.kind in {"str", "text", "code", "unit"}:
        if value is None:
            value = ""
        if isinstance(value, int | float) and not isinstance(value, bool) and spec.kind != "code":
            value = str(value)
        if not isinstance(value, str):
            raise ValueError("应为文本")
        value = value.strip()
        if spec.kind == "text":
            value = line_breaks(value)
        if spec.required and not value:
            raise ValueError("不能为空")
        if len(value) > spec.max_len:
            raise ValueError(f"不能超过 {spec.max_len} 个字符")
        if (reason := control_character(value, multiline=spec.kind == "text")) is not None:
            raise ValueError(reason)
        if spec.kind == "code" and not WINDOW_CODE_RE.match(value):
            raise ValueError("须为 1–64 位字母、数字、短横线或下划线，且以字母或数字开头")
        return value
    if spec.kind in {"int", "year"}:
        if value is None or value == "":
            return 0 if spec.kind == "int" else None
        if isinstance(value, bool):
            raise ValueError("应为整数")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise ValueError("应为整数") from None
        if not isinstance(value, int):
            raise ValueError("应为整数")
        if spec.kind == "int" and not 0 <= value <= 100000:
            raise ValueError("应在 0–100000 之间")
        if spec.kind == "year" and not 2000 <= value <= 2100:
            raise ValueError("应为 2000–2100 之间的年份")
        return value
    if spec.kind == "date":
        if value is None or value == "":
            return None
        if isinstance(value, date):
            return value
        if not isinstance(value, str):
            raise ValueError("应为日期，格式 YYYY-MM-DD")
        try:
            return parse_date(value)
        except ValueError:
            raise ValueError("应为日期，格式 YYYY-MM-DD") from None
    if spec.kind == "listed":
        return _listing_date(value)
    if spec.kind == "status":
        if value is None or value == "":
            return CANDIDATE
        code = lookup_code(WINDOW_STATUSES, value) if isinstance(value, str) else None
        if code is None:
            raise ValueError("应为 创建中/示范/摘牌（candidate/demonstration/delisted）之一")
        return code
    raise AssertionError(spec.kind)


def _listing_date(value: Any) -> date | None:
    """A listing date as a sheet, a form or the API gives it (None: not given); it decides which
    periods assess the window, so one in the future or before the programme is refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | date):
        raise ValueError("应为日期，如 2026-03-01 或 2026年3月1日")
    try:
        day = parse_date(value)
    except ValueError:
        raise ValueError(f"“{value}”无法识别，应写作 2026-03-01、2026/3/1 或 2026年3月1日") from None
    if day > utcnow().astimezone(LOCAL_TZ).date():
        raise ValueError(f" {day.isoformat()} 晚于今天：请填写窗口已挂牌的日期")
    if day.year < PROGRAMME_FIRST_YEAR:
        raise ValueError(f" {day.isoformat()} 不能早于{PROGRAMME_FIRST_YEAR}年（示范窗口创建活动开始之年）")
    return day


def clean_window_data(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validate a mapping of window fields; unknown fields and bad values raise ValidationError."""
    errors: dict[str, str] = {}
    unknown = sorted(set(data) - set(FIELD_BY_NAME))
    for name in unknown:
        errors[name] = "未知字段"
    clean: dict[str, Any] = {}
    for spec in WINDOW_FIELDS:
        if spec.name not in data:
            if spec.required and not partial:
                errors[spec.name] = f"{spec.label}不能为空"
            continue
        try:
            clean[spec.name] = _clean_value(spec, data[spec.name])
        except ValueError as exc:
            errors[spec.name] = f"{spec.label}{exc}"
    if clean.get("status") == DELISTED and "status_reason" in clean and not clean["status_reason"]:
        errors["status_reason"] = "摘牌须填写原因"
    if errors:
        raise ValidationError("窗口信息有误：" + "；".join(errors.values()), details=errors)
    return clean


def window_to_dict(window: Window) -> dict[str, Any]:
    return {
        "code": window.code,
        "name": window.name,
        "unit": window.unit.code,
        "unit_name": window.unit.name,
        "industry": window.unit.industry,
        "industry_name": label(INDUSTRIES, window.unit.industry),
        "authority": window.unit.authority,
        "address": window.address,
        "service_items": window.service_items,
        "staff_count": window.staff_count,
        "contact_person": window.contact_person,
        "contact_phone": window.contact_phone,
        "service_hours": window.service_hours,
        "listed_on": window.listed_on.isoformat() if window.listed_on else None,
        "status": window.status,
        "status_name": label(WINDOW_STATUSES, window.status),
        "status_date": window.status_date.isoformat() if window.status_date else None,
        "status_year": window.status_year,
        "status_reason": window.status_reason,
        "remarks": window.remarks,
        "created_at": window.created_at.isoformat() if window.created_at else None,
        "updated_at": window.updated_at.isoformat() if window.updated_at else None,
    }


def _audit_view(window: Window) -> dict[str, Any]:
    view = window_to_dict(window)
    for key in ("unit_name", "industry", "industry_name", "authority", "status_name", "created_at",
                "updated_at"):
        view.pop(key)
    return view


def find_unit(code_or_name: str) -> Unit | None:
    return Session.scalars(
        sa.select(Unit).where(sa.or_(Unit.code == code_or_name, Unit.name == code_or_name))
    ).first()


def window_query(
    user: User,
    *,
    q: str | None = None,
    unit: str | None = None,
    industry: str | None = None,
    status: str | None = None,
) -> sa.Select[tuple[Window]]:
    stmt = sa.select(Window).join(Window.unit).where(scope.window_clause(user))
    if q and q.strip():
        stmt = stmt.where(typed_filters.contains(q, Window.code, Window.name, Unit.code, Unit.name,
                                                 Window.address))
    if unit:
        stmt = stmt.where(typed_filters.unit_clause(unit))
    if industry:
        stmt = stmt.where(Unit.industry == industry)
    if status:
        stmt = stmt.where(Window.status == status)
    return stmt


def list_windows(
    user: User, *, page: int = 1, per_page: int = 50, **filters: str | None
) -> tuple[list[Window], int]:
    """One page of the windows ``user`` may see, with the total count."""
    stmt = window_query(user, **filters)
    total = Session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    items = Session.scalars(
        stmt.options(contains_eager(Window.unit))
        .order_by(Window.code).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(items), total


def choices(user: User) -> list[tuple[str, str, str]]:
    """(code, name, unit name) of every window ``user`` may see, by code: what a form that
    names a window offers to choose from."""
    rows = Session.execute(sa.select(Window.code, Window.name, Unit.name).join(Window.unit)
                           .where(scope.window_clause(user)).order_by(Window.code))
    return [(code, name, unit) for code, name, unit in rows]


def get_window(user: User | None, code: str) -> Window:
    """The window with ``code``; one outside the user's scope is reported as not found."""
    window = Session.scalars(sa.select(Window).where(Window.code == code)).first()
    if window is None or (user is not None and not scope.can_see_window(user, window)):
        raise NotFound(f"窗口 {code} 不存在或无权查看")
    return window


def _resolve_unit(actor: User | None, unit_ref: str) -> Unit:
    unit = find_unit(unit_ref)
    if unit is None:
        raise ValidationError(f"所属单位 {unit_ref} 不存在", details={"unit": "单位不存在"})
    if actor is not None and not scope.can_manage_unit(actor, unit):
        raise PermissionDenied(f"无权在单位 {unit.name} 下管理窗口")
    return unit


def _apply(window: Window, clean: dict[str, Any], actor: User | None) -> None:
    status_before = window.status
    for name, value in clean.items():
        if name == "unit":
            unit = _resolve_unit(actor, value)
            window.unit = unit
        elif name == "listed_on" and value is None:
            continue  # not given: a new window is listed on the day it is entered, a stored one keeps its day
        elif name != "code":
            setattr(window, name, value)
    if window.status != status_before and clean.get("status_date") is None:
        # Left empty (a form's blank date too): the change takes effect today, the district's
        # day; a delisted window with no date would stay in every period's ranking.
        window.status_date = utcnow().astimezone(LOCAL_TZ).date()
    if window.status == DELISTED and not window.status_reason:
        raise ValidationError("摘牌须填写原因", details={"status_reason": "摘牌须填写原因"})


def create_window(actor: User | None, data: dict[str, Any], *, via: str = "edit") -> Window:
    """Register a window; ``via`` says how (``reference.STATUS_CHANGE_VIAS``) in its history."""
    if actor is not None and not scope.can_edit_windows(actor):
        raise PermissionDenied("无权新建窗口")
    clean = clean_window_data(data, partial=False)
    window_title.check(actor, None, clean)
    if Session.scalar(sa.select(Window.id).where(Window.code == clean["code"])) is not None:
        raise ValidationError(f"窗口编号 {clean['code']} 已存在", details={"code": "编号已存在"},
                              code="duplicate")
    window = Window(code=clean["code"], status=CANDIDATE)
    _apply(window, clean, actor)
    Session.add(window)
    Session.flush()
    audit.record_change(actor, "create", "window", window.code, None, _audit_view(window))
    window_status.record(window, None, actor, via)
    return window


def update_window(actor: User | None, code: str, data: dict[str, Any], *,
                  via: str = "edit") -> Window:
    """Change a window; a change of its title is written to its history, ``via`` saying how."""
    window = get_window(actor, code)
    if actor is not None and not scope.can_manage_unit(actor, window.unit):
        raise PermissionDenied("无权修改窗口")
    clean = clean_window_data(data, partial=True)
    if "code" in clean and clean["code"] != window.code:
        raise ValidationError("窗口编号不可修改（它也是二维码场景值）", details={"code": "不可修改"})
    window_title.check(actor, window, clean)
    before, title = _audit_view(window), window_status.title_of(window)
    _apply(window, clean, actor)
    Session.flush()
    audit.record_change(actor, "update", "window", window.code, before, _audit_view(window))
    window_status.record(window, title, actor, via)
    return window
