"""One marshmallow schema per resource: it validates the input, dumps the output and is the
OpenAPI document (flask-smorest turns it into components). Messages are Chinese."""

from __future__ import annotations

import functools
from typing import Any

from flask import current_app
from marshmallow import RAISE, Schema, ValidationError, fields, pre_dump
from marshmallow.validate import Length, OneOf, Range, Regexp

from feedback_api.api.auth import api_user
from feedback_api.api.params import MAX_PAGE
from feedback_api.models.reference import (
    CHANNELS,
    INDUSTRIES,
    OUTBOX_KINDS,
    OUTBOX_STATES,
    RATINGS,
    REVIEW_STATES,
    ROLES,
    TOPICS,
    WINDOW_STATUSES,
    label,
)
from feedback_api.services import feedback as feedback_service
from feedback_api.services import feedback_list
from feedback_api.services.answers import MAX_ANSWER
from feedback_api.services.users import scope_codes
from feedback_api.services.windows import WINDOW_FIELDS


class _Zh:
    default_error_messages = {"required": "必填", "null": "不能为 null",
                              "validator_failed": "取值无效"}


class Str(_Zh, fields.String):
    default_error_messages = {"invalid": "应为文本"}


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
    return Range(min=lo, max=hi, error=f"应在 {lo}–{'' if hi is None else hi} 之间")


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


# --- windows -----------------------------------------------------------------------------

def _window_field(spec: Any) -> fields.Field:
    meta = {"description": spec.label}
    required = {"required": True} if spec.required else {"allow_none": True}
    if spec.kind == "int":
        return Int(validate=between(0, 100_000), metadata=meta, **required)
    if spec.kind == "year":
        return Int(validate=between(2000, 2100), metadata=meta, **required)
    if spec.kind == "date":
        return Day(metadata=meta, **required)
    if spec.kind == "status":
        return Str(validate=one_of(WINDOW_STATUSES), metadata=meta, **required)
    checks: list[Any] = [Length(min=1 if spec.required else 0, max=spec.max_len,
                                error=f"须为 {1 if spec.required else 0}–{spec.max_len} 个字符")]
    if spec.kind == "code":
        checks.append(Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
                             error="须为 1–64 位字母、数字、短横线或下划线，且以字母或数字开头"))
    if spec.kind == "unit":
        meta["description"] += "（单位编号或名称；返回单位编号）"
        return UnitRef(validate=checks, metadata=meta, **required)
    return Str(validate=checks, metadata=meta, **required)


class UnitRef(Str):
    """A unit named by code or name on input; its code on output."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return value.code if value is not None else None


class _WindowOutput(ApiSchema):
    unit_name = Str(attribute="unit.name", dump_only=True)
    industry = Str(attribute="unit.industry", dump_only=True, validate=one_of(INDUSTRIES))
    industry_name = Label(INDUSTRIES, attribute="unit.industry")
    authority = Str(attribute="unit.authority", dump_only=True, allow_none=True)
    status_name = Label(WINDOW_STATUSES, attribute="status")
    created_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    updated_at = fields.AwareDateTime(dump_only=True, allow_none=True)


#: The window: every editable field of the registry (WINDOW_FIELDS), plus read-only labels.
WindowSchema = _WindowOutput.from_dict(
    {spec.name: _window_field(spec) for spec in WINDOW_FIELDS}, name="WindowSchema")


class WindowQuery(PageQuery):
    q = Str(metadata={"description": "关键字（编号、名称、单位、地址）"})
    unit = Str(metadata={"description": "单位编号或名称"})
    industry = Str(validate=one_of(INDUSTRIES), metadata={"description": "行业"})
    status = Str(validate=one_of(WINDOW_STATUSES), metadata={"description": "状态"})


# --- feedback ----------------------------------------------------------------------------

class FeedbackSchema(ApiSchema):
    id = fields.Integer(required=True)
    receipt_no = Str(required=True, metadata={"description": "受理编号"})
    window = Str(attribute="window.code", required=True)
    window_name = Str(attribute="window.name", required=True)
    unit = Str(attribute="window.unit.code", required=True)
    channel = Str(validate=one_of(CHANNELS), required=True)
    channel_name = Label(CHANNELS, attribute="channel")
    rating = Int(allow_none=True, validate=between(1, 5))
    rating_name = Label(RATINGS, attribute="rating")
    rating_counts = fields.Boolean(
        metadata={"description": "是否计入统计（同一群众当日对同一窗口只计最新一次）"})
    text = fields.Method("_text", metadata={
        "type": ["string", "null"], "description": "意见；窗口单位与主管部门看到脱敏后的文本"})
    received_at = fields.AwareDateTime(required=True)
    review_state = Str(validate=one_of(REVIEW_STATES), required=True)
    review_state_name = Label(REVIEW_STATES, attribute="review_state")
    citizen = fields.Method("_citizen", metadata={
        "type": ["string", "null"],
        "description": "群众化名（哈希前缀），第三方机构、区联席办与主管部门可见；窗口单位看不到"})
    sentiment = fields.Float(allow_none=True)
    topics = fields.List(fields.Dict(), allow_none=True)
    keywords = fields.List(fields.String(), allow_none=True)
    flags = fields.List(fields.String(), allow_none=True)
    model_version = Str(allow_none=True)
    uncertainty = fields.Float(allow_none=True,
                               metadata={"description": "模型的不确定度（0 有把握 … 1 没把握）"})
    reviewed_topics = fields.List(fields.String(validate=one_of(TOPICS)), allow_none=True)
    reviewed_sentiment = fields.Integer(allow_none=True, validate=one_of([0, 1]))
    reviewed_at = fields.AwareDateTime(allow_none=True)
    duplicate_of = fields.Integer(attribute="duplicate_of_id", allow_none=True, dump_only=True,
                                  metadata={"description": "合并为重复评价时，原评价的 id"})

    def _text(self, item: Any) -> str | None:
        return feedback_service.visible_text(item, api_user())

    def _citizen(self, item: Any) -> str | None:
        return feedback_service.citizen_alias(item, api_user())


class FeedbackQuery(PageQuery):
    window = Str(metadata={"description": "窗口编号"})
    unit = Str(metadata={"description": "单位编号或名称"})
    industry = Str(validate=one_of(INDUSTRIES), metadata={"description": "行业"})
    topic = Str(validate=one_of(TOPICS),
                metadata={"description": "问题类别（审核更正的优先，否则模型的第一类）"})
    sentiment = Str(validate=one_of(feedback_list.SENTIMENT_BANDS), metadata={
        "description": "情感：negative（模型得分 < 0.4）、neutral（0.4–0.6）、positive（≥ 0.6）；"
                       "已审核更正情感的按审核结论"})
    rating = Int(strict=False, validate=between(1, 5), metadata={"description": "评分"})
    channel = Str(validate=one_of(CHANNELS), metadata={"description": "渠道"})
    review_state = Str(validate=one_of(REVIEW_STATES), metadata={"description": "审核状态"})
    date_from = Day(metadata={"description": "起始日期"})
    date_to = Day(metadata={"description": "截止日期（含）"})
    q = Str(validate=Length(max=feedback_list.MAX_KEYWORD, error="不能超过 100 个字符"),
            metadata={"description": "意见关键词：第三方机构与区联席办检索原文，"
                                     "其他角色检索脱敏后的文本"})
    duplicates = fields.Boolean(truthy={"true"}, falsy={"false"},
                                error_messages={"invalid": "应为 true 或 false"},
                                metadata={"description": "true 只列重复评价，false 不含重复评价；"
                                                         "不填列出全部"})
    sort = Str(validate=one_of(feedback_list.SORTS), metadata={
        "description": "newest 最新在前（默认）；uncertain 模型最没把握的在前（审核更正教得最多）"})


class ReviewSchema(ApiSchema):
    """第三方机构审核：有效性、问题类别、情感（至少一项）。"""

    valid = Bool()
    topics = List(Str(validate=one_of(TOPICS)), allow_none=True,
                  validate=Length(min=1, error="至少一个问题类别"))
    sentiment = Int(allow_none=True, validate=one_of([0, 1]),
                    metadata={"description": "1 正面，0 负面"})


# --- answers and messages to the citizen -------------------------------------------------

class MessageSchema(ApiSchema):
    """A message to the citizen in WeChat, with its delivery state (never the openid)."""

    id = fields.Integer(required=True)
    feedback_id = fields.Integer(allow_none=True)
    kind = Str(validate=one_of(OUTBOX_KINDS), required=True)
    text = Str(required=True)
    status = Str(validate=one_of(OUTBOX_STATES), required=True)
    sent_via = Str(allow_none=True, validate=one_of(["custom", "template"]))
    attempts = fields.Integer()
    created_at = fields.AwareDateTime(allow_none=True)
    sent_at = fields.AwareDateTime(allow_none=True)


class AnswerSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    feedback_id = fields.Integer(dump_only=True)
    text = Str(required=True, validate=Length(min=1, max=MAX_ANSWER,
                                              error=f"答复内容须为 1–{MAX_ANSWER} 字"))
    author = Str(attribute="author.username", dump_only=True, allow_none=True)
    author_role = Str(attribute="author.role", dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)


class AnsweredSchema(AnswerSchema):
    message = fields.Nested(MessageSchema, allow_none=True, dump_only=True,
                            metadata={"description": "发给群众的消息；群众无法接收时为 null"})

    @pre_dump
    def _answer_with_message(self, done: Any, **kwargs: Any) -> Any:
        return _WithMessage(done)


class _WithMessage:
    """An answer's attributes, and the message queued with it."""

    def __init__(self, done: Any) -> None:
        self._answer = done.answer
        self.message = done.message

    def __getattr__(self, name: str) -> Any:
        return getattr(self._answer, name)


class AnswersSchema(ApiSchema):
    answers = fields.List(fields.Nested(AnswerSchema), required=True)
    messages = fields.List(fields.Nested(MessageSchema), required=True)


class MeSchema(ApiSchema):
    username = Str(required=True)
    role = Str(validate=one_of(ROLES), required=True)
    scopes = fields.Function(scope_codes, metadata={
        "type": "array", "items": {"type": "string"}, "description": "行业、单位或窗口编号"})
