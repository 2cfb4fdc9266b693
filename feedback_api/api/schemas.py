"""The building blocks of the API's marshmallow schemas: fields with Chinese messages, the base
schema that refuses unknown fields, errors and pages. One schema per resource, in
feedback_schemas.py (windows, feedback, answers, /me), tickets_schemas.py, cycle_schemas.py and
assessment_schemas.py: it validates the input, dumps the output and is the OpenAPI document
(flask-smorest turns it into components)."""

from __future__ import annotations

import functools
from typing import Any

from flask import current_app
from marshmallow import RAISE, Schema, ValidationError, fields
from marshmallow.validate import OneOf, Range

from feedback_api.api.params import MAX_PAGE
from feedback_api.models.reference import label
from feedback_api.services.characters import control_character, line_breaks


class _Zh:
    default_error_messages = {"required": "必填", "null": "不能为 null",
                              "validator_failed": "取值无效"}


class Str(_Zh, fields.String):
    """A single-line text: no control characters, no line ends (services/characters.py)."""

    default_error_messages = {"invalid": "应为文本"}
    multiline = False

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if self.multiline:
            text = line_breaks(text)
        if (reason := control_character(text, multiline=self.multiline)) is not None:
            raise ValidationError(reason)
        return text


class Text(Str):
    """A multi-line text (remarks, notes, opinions, answers): keeps line ends and tabs; Word's
    manual line break is a line end."""

    multiline = True


class Int(_Zh, fields.Integer):
    """In JSON, 2.5 and "3" are not integers; in a query string (``strict=False``) all is text."""

    default_error_messages = {"invalid": "应为整数", "too_large": "数值过大"}

    def __init__(self, *, strict: bool = True, **kwargs: Any) -> None:
        super().__init__(strict=strict, **kwargs)


class Bool(_Zh, fields.Boolean):
    default_error_messages = {"invalid": "应为 true 或 false"}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):  # not "yes", 1 or 0 (0 == False in Python)
            raise self.make_error("invalid")
        return value


class Day(_Zh, fields.Date):
    default_error_messages = {"invalid": "应为日期，格式 YYYY-MM-DD",
                              "format": "应为日期，格式 YYYY-MM-DD"}


class List(_Zh, fields.List):
    default_error_messages = {"invalid": "应为列表"}


class Dict(_Zh, fields.Dict):
    default_error_messages = {"invalid": "应为对象（名称 → 值）"}


class Label(fields.String):
    """The Chinese label of a code held in another attribute (documented as a string)."""

    def __init__(self, vocabulary: dict[Any, str], **kwargs: Any) -> None:
        super().__init__(dump_only=True, allow_none=True, **kwargs)
        self.vocabulary = vocabulary

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return label(self.vocabulary, value) if value is not None else None


def one_of(vocabulary: dict[Any, str] | list[Any]) -> OneOf:
    choices = list(vocabulary)
    return OneOf(choices, error=f"应为 {', '.join(map(str, choices))} 之一")


def between(lo: int, hi: int | None = None) -> Range:
    return Range(min=lo, max=hi, error=f"应不小于 {lo}" if hi is None else f"应在 {lo}–{hi} 之间")


class ApiSchema(Schema):
    """Refuses unknown fields and query parameters (a typo must not pass silently)."""

    class Meta:
        unknown = RAISE
        ordered = True

    error_messages = {"unknown": "未知字段", "type": "应为 JSON 对象"}


class ErrorDetailSchema(ApiSchema):
    code = Str(required=True, metadata={"description": "机器可读的错误代码"})
    message = Str(required=True, metadata={"description": "给人看的中文说明"})
    details = fields.Raw(metadata={"description": "逐字段的说明"})


class ErrorSchema(ApiSchema):
    """Every failure, the library's validation errors included (see params.Parser)."""

    error = fields.Nested(ErrorDetailSchema, required=True)


# --- pages -------------------------------------------------------------------------------

def _page_size_max(value: int) -> None:
    top = current_app.config["WW_PAGE_SIZE_MAX"]
    if value > top:
        raise ValidationError(f"应在 1–{top} 之间")


class PageQuery(ApiSchema):
    page = Int(strict=False, load_default=1, validate=between(1, MAX_PAGE), metadata={"description": "页码"})
    per_page = Int(strict=False, load_default=50, validate=[between(1), _page_size_max],
                   metadata={"description": "每页条数（最多 WW_PAGE_SIZE_MAX，默认 200）"})


@functools.cache  # one class per resource: the document names it once
def page_schema(item: type[Schema]) -> type[Schema]:
    """The one shape of every list: ``items`` of one page, the ``total`` and the page asked."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item), required=True),
        "total": fields.Integer(required=True, metadata={"description": "符合条件的总条数"}),
        "page": fields.Integer(required=True), "per_page": fields.Integer(required=True),
    }, name=item.__name__.removesuffix("Schema") + "Page")


def page(items: list[Any], total: int, query: dict[str, Any]) -> dict[str, Any]:
    return {"items": items, "total": total, "page": query["page"], "per_page": query["per_page"]}


class NoQuery(ApiSchema):
    """For operations that take no query parameters: any parameter is refused."""
