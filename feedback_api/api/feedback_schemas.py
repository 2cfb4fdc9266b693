"""Schemas of the core resources in the JSON API: windows, feedback and its review, answers and
messages to the citizen, the caller (``/me``). Input checks, output and document, built on the
fields and base schemas of schemas.py."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, pre_dump
from marshmallow.validate import Length, Regexp

from feedback_api.api.auth import api_user
from feedback_api.api.schemas import (
    ApiSchema,
    Bool,
    Day,
    Int,
    Label,
    List,
    PageQuery,
    Str,
    Text,
    between,
    one_of,
)
from feedback_api.models.reference import (
    CHANNELS,
    INDUSTRIES,
    OUTBOX_KINDS,
    OUTBOX_STATES,
    RATINGS,
    REVIEW_STATES,
    ROLES,
    STATUS_CHANGE_VIAS,
    TOPICS,
    WINDOW_STATUSES,
)
from feedback_api.services import feedback as feedback_service
from feedback_api.services import feedback_list
from feedback_api.services.answers import MAX_ANSWER
from feedback_api.services.users import scope_codes
from feedback_api.services.windows import WINDOW_FIELDS

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
    if spec.kind == "listed":
        meta["description"] += "（决定窗口参加哪些考核期；仅区联席办可改；新窗口缺省为登记当天）"
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
    field = Text if spec.kind == "text" else Str
    return field(validate=checks, metadata=meta, **required)


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


class StatusChangeSchema(ApiSchema):
    """One change of the window's title (window_status_changes), as its page shows it."""

    from_status = Str(validate=one_of(WINDOW_STATUSES), required=True, allow_none=True,
                      metadata={"description": "原状态（空：该窗口的第一条记录）"})
    from_status_name = Label(WINDOW_STATUSES, attribute="from_status")
    to_status = Str(validate=one_of(WINDOW_STATUSES), required=True, metadata={"description": "新状态"})
    to_status_name = Label(WINDOW_STATUSES, attribute="to_status")
    status_year = Int(required=True, allow_none=True, metadata={"description": "命名/摘牌年度"})
    effective_on = Day(required=True, allow_none=True, metadata={"description": "生效日期"})
    reason = Str(required=True, metadata={"description": "原因"})
    actor = Str(required=True, metadata={"description": "经办（用户名；cli 命令行，system 系统）"})
    via = Str(validate=one_of(STATUS_CHANGE_VIAS), required=True, metadata={"description": "途径"})
    via_name = Label(STATUS_CHANGE_VIAS, attribute="via")
    recorded_at = fields.AwareDateTime(attribute="created_at", required=True,
                                       metadata={"description": "记录时间"})


class StatusHistorySchema(ApiSchema):
    window = Str(required=True, metadata={"description": "窗口编号"})
    items = List(fields.Nested(StatusChangeSchema), required=True,
                 metadata={"description": "称号状态记录，先后为序"})


#: As the pages' unit filter (services.typed_filters) reads it.
UNIT_FILTER = "单位编号或名称：完整的编号或名称只查该单位，否则查编号或名称含此字的单位（不区分大小写）"


class WindowQuery(PageQuery):
    q = Str(metadata={"description": "关键字（窗口编号、名称，单位编号、名称，地址；"
                                     "含此字即可，不区分大小写）"})
    unit = Str(metadata={"description": UNIT_FILTER})
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
    unit = Str(metadata={"description": UNIT_FILTER})
    industry = Str(validate=one_of(INDUSTRIES), metadata={"description": "行业"})
    # The main topic as documented (the desk's page matches any topic its row shows).
    main_topic = Str(data_key="topic", validate=one_of(TOPICS),
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
    text = Text(required=True)
    status = Str(validate=one_of(OUTBOX_STATES), required=True)
    sent_via = Str(allow_none=True, validate=one_of(["custom", "template"]))
    attempts = fields.Integer()
    created_at = fields.AwareDateTime(allow_none=True)
    sent_at = fields.AwareDateTime(allow_none=True)


class AnswerSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    feedback_id = fields.Integer(dump_only=True)
    text = Text(required=True, validate=Length(min=1, max=MAX_ANSWER,
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
