"""How the API reads a request: webargs (under flask-smorest) with our JSON errors.

A bad body or parameter is a 400 ``{"error": {"code", "message", "details"}}``: ``not_json``,
``bad_json`` and ``invalid_character`` for a body that is not a JSON object, ``invalid`` for a
bad field, ``unknown_parameter`` and ``invalid_parameter`` for the query string."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Request
from marshmallow import Schema
from marshmallow import ValidationError as SchemaError
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from feedback_api.services.errors import ValidationError

#: Far beyond any real listing, and inside every database's integer range.
MAX_PAGE = 100_000


class Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400
    #: Every location refuses unknown names (webargs ignores unknown query parameters by default).
    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {}

    def load_json(self, req: Request, schema: Schema) -> Any:
        return json_body(req)

    def load_querystring(self, req: Request, schema: Schema) -> Any:
        # An empty filter (``?rating=&q=``, as forms send them) means no filter.
        args = MultiDict([(k, v) for k, v in req.args.items(multi=True) if v != ""])
        return self._makeproxy(args, schema)

    def handle_error(self, error: SchemaError, req: Request, schema: Schema, *,
                     error_status_code: int | None, error_headers: Any) -> NoReturn:
        [(location, messages)] = error.messages.items()  # type: ignore[union-attr]
        details = dict(_flatten(messages))
        if location == "query":
            unknown = sorted(k for k, v in details.items() if v == "未知字段")
            details.update({k: "未知查询参数" for k in unknown})
            if len(unknown) == len(details):
                raise ValidationError(f"未知查询参数：{', '.join(unknown)}", details=details,
                                      code="unknown_parameter")
            raise ValidationError("查询参数有误：" + _sentence(details), details=details,
                                  code="invalid_parameter")
        raise ValidationError("请求内容有误：" + _sentence(details), details=details)


def _flatten(messages: Any) -> Any:
    """One line per bad field: ``{"topics": {0: ["…"]}}`` -> ``("topics", "第 1 项：…")``."""
    for name, value in messages.items():
        yield str(name), "；".join(_leaves(value))


def _leaves(value: Any) -> Any:
    if isinstance(value, dict):
        for key, inner in value.items():
            where = f"第 {key + 1} 项：" if isinstance(key, int) else f"{key} "
            yield from (where + leaf for leaf in _leaves(inner))
    elif isinstance(value, list):
        for inner in value:
            yield from _leaves(inner)
    else:
        yield str(value)


def _sentence(details: dict[str, str]) -> str:
    return "；".join(f"{name} {message}" for name, message in details.items())


def json_body(req: Request) -> dict[str, Any]:
    if not req.is_json:
        raise ValidationError("请求体须为 JSON（Content-Type: application/json）", code="not_json")
    try:
        data = req.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: no real request is
        raise ValidationError("请求体不是合法的 JSON（嵌套过深）", code="bad_json") from None
    if data is None:
        raise ValidationError("请求体不是合法的 JSON", code="bad_json")
    if not isinstance(data, dict):
        raise ValidationError("请求体须为 JSON 对象", code="bad_json")
    if (bad := _bad_character(data)) is not None:
        raise ValidationError(f"请求体含有非法字符（{bad}）", code="invalid_character")
    return data


def _bad_character(data: Any) -> str | None:
    """A NUL (no database stores it in text) or a lone UTF-16 surrogate (JSON's "\\ud800"
    decodes to one, and UTF-8 cannot encode it), anywhere in the body; walked without
    recursion, as the body may be nested deeply."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            if "\x00" in value:
                return "NUL"
            if any("\ud800" <= c <= "\udfff" for c in value):
                return "孤立的 UTF-16 代理项"
    return None
