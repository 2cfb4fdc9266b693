"""Parsing of query strings and JSON bodies, with a 400 and a clear message for bad input."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, request

from feedback_api.services.errors import ValidationError


def check_query(allowed: set[str]) -> None:
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise ValidationError(
            f"未知查询参数：{', '.join(unknown)}", details={"allowed": sorted(allowed)},
            code="unknown_parameter",
        )


#: Far beyond any real listing, and inside every database's integer range.
MAX_PAGE = 100_000


def page_args() -> tuple[int, int]:
    page = int_arg("page", 1, minimum=1, maximum=MAX_PAGE)
    per_page = int_arg("per_page", 50, minimum=1, maximum=current_app.config["WW_PAGE_SIZE_MAX"])
    return page, per_page


def int_arg(name: str, default: int | None, *, minimum: int | None = None,
            maximum: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"参数 {name} 应为整数", code="invalid_parameter") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        lo = "" if minimum is None else str(minimum)
        hi = "" if maximum is None else str(maximum)
        raise ValidationError(f"参数 {name} 应在 {lo}–{hi} 之间", code="invalid_parameter")
    return value


def date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"参数 {name} 应为日期 YYYY-MM-DD", code="invalid_parameter") from None


def choice_arg(name: str, choices: dict[str, str]) -> str | None:
    raw = request.args.get(name)
    if not raw:
        return None
    if raw not in choices:
        raise ValidationError(f"参数 {name} 应为 {', '.join(choices)} 之一", code="invalid_parameter")
    return raw


def json_body() -> dict[str, Any]:
    if not request.is_json:
        raise ValidationError("请求体须为 JSON（Content-Type: application/json）", code="not_json")
    data = request.get_json(silent=True)
    if data is None:
        raise ValidationError("请求体不是合法的 JSON", code="bad_json")
    if not isinstance(data, dict):
        raise ValidationError("请求体须为 JSON 对象", code="bad_json")
    if _has_nul(data):
        raise ValidationError("请求体含有非法字符（NUL）", code="invalid_character")
    return data


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
