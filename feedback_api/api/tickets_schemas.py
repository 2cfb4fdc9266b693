"""Schemas of supervision tickets (督办单) and appeals (申诉) in the JSON API: input checks,
output and document, like schemas.py. No citizen identity appears here: a ticket names its
feedback by id and receipt number only."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from marshmallow import ValidationError as SchemaError
from marshmallow import fields, post_dump, pre_dump, validates_schema
from marshmallow.validate import Length

from feedback_api.api.auth import api_user
from feedback_api.api.clock_schemas import AGENCY_ONLY, CALLBACK_FIELDS, ClockField, ListClocks
from feedback_api.api.linked_schemas import LinkedFeedbackSchema, fix_ratings_of
from feedback_api.api.schemas import (
    ApiSchema,
    Int,
    Label,
    List,
    PageQuery,
    Str,
    Text,
    _Zh,
    between,
    one_of,
    page_schema,
)
from feedback_api.models.reference import (
    APPEAL_KINDS,
    APPEAL_STATES,
    ROUND_VERDICTS,
    TICKET_SOURCES,
    TICKET_STATES,
    TOPICS,
)
from feedback_api.services import appeals as appeal_service
from feedback_api.services import ticket_clocks
from feedback_api.services import tickets as ticket_service
from feedback_api.services.errors import ValidationError
from feedback_api.services.evidence_files import MAX_FILES, Upload, round_as_read
from feedback_api.services.feedback import MAX_ID


class QueryBool(_Zh, fields.Boolean):
    """A yes/no filter in a query string: ``true`` or ``false``."""

    truthy = {"true"}
    falsy = {"false"}
    default_error_messages = {"invalid": "应为 true 或 false"}


class EvidenceFileSchema(ApiSchema):
    id = fields.Integer(required=True)
    name = Str(attribute="original_name", required=True, metadata={"description": "上传时的文件名"})
    content_type = Str(required=True, metadata={"description": "按内容识别的类型"})
    size = fields.Integer(attribute="size_bytes", required=True, metadata={"description": "字节数"})
    sha256 = Str(required=True, metadata={"description": "内容的 SHA-256（十六进制）"})
    uploaded_at = fields.AwareDateTime(allow_none=True)


class UploadSchema(ApiSchema):
    """An evidence file in a request: its name and its content in Base64."""

    name = Str(required=True, validate=Length(min=1, max=200, error="文件名须为 1–200 个字符"))
    content = Str(required=True, metadata={
        "description": "文件内容，Base64 编码（图片、PDF、Word .docx 或 Excel .xlsx）"})


def uploads(items: list[dict[str, Any]] | None) -> list[Upload]:
    """The request's files as the evidence service takes them; bad Base64 is a 400."""
    out = []
    for i, item in enumerate(items or []):
        try:
            content = base64.b64decode(item["content"], validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(f"第 {i + 1} 个文件的内容不是合法的 Base64",
                                  details={"files": f"第 {i + 1} 项：content 应为 Base64"}) from None
        out.append(Upload(item["name"], content))
    return out


_FILES = List(fields.Nested(UploadSchema), load_default=list,
              validate=Length(max=MAX_FILES, error=f"最多 {MAX_FILES} 个文件"),
              metadata={"description": "证明材料（图片、PDF、Word .docx 或 Excel .xlsx），Base64 编码"})


# --- tickets -----------------------------------------------------------------------------

class RoundSchema(ApiSchema):
    number = fields.Integer(required=True, metadata={"description": "督办轮次"})
    window = Str(attribute="window.code", required=True,
                 metadata={"description": "本轮督办的窗口（转办后各轮可不同）"})
    opened_at = fields.AwareDateTime(required=True)
    due = fields.Date(required=True, metadata={"description": "本轮整改截止日（工作日计）"})
    overdue = fields.Boolean(required=True)
    response_text = Text(allow_none=True, metadata={"description": "单位反馈的整改情况"})
    responded_at = fields.AwareDateTime(allow_none=True)
    verdict = Str(allow_none=True, validate=one_of(ROUND_VERDICTS))
    verdict_name = Label(ROUND_VERDICTS, attribute="verdict")  # transferred: 已转办
    verdict_reason = Text(required=True)
    verdict_at = fields.AwareDateTime(allow_none=True)
    files = fields.List(fields.Nested(EvidenceFileSchema), required=True,
                        metadata={"description": "整改证明材料"})

    @pre_dump
    def _as_read(self, rnd: Any, **_kwargs: Any) -> Any:  # after a transfer: not another unit's answer
        return round_as_read(api_user(), rnd)


class TicketSummarySchema(ApiSchema):
    """A ticket in a list."""

    id = fields.Integer(required=True)
    number = Str(required=True, metadata={"description": "督办单编号"})
    window = Str(attribute="window.code", required=True)
    window_name = Str(attribute="window.name", required=True)
    unit = Str(attribute="window.unit.code", required=True)
    topic = Str(required=True, validate=one_of(TOPICS))
    topic_name = Label(TOPICS, attribute="topic")
    source = Str(required=True, validate=one_of(TICKET_SOURCES))
    source_name = Label(TICKET_SOURCES, attribute="source")
    source_ref = Str(required=True)
    problem = Text(required=True, metadata={"description": "整改要求"})
    state = Str(required=True, validate=one_of(TICKET_STATES))
    state_name = Label(TICKET_STATES, attribute="state")
    opened_at = fields.AwareDateTime(required=True)
    fix_due = fields.Date(required=True, metadata={"description": "当前一轮的整改截止日"})
    overdue = fields.Boolean(required=True, metadata={"description": "曾有一轮超期"})
    callback_due = fields.Date(allow_none=True, metadata={"description": "回访截止日" + AGENCY_ONLY})
    callback_overdue = fields.Boolean(metadata={"description": "回访曾超期" + AGENCY_ONLY})
    closed_at = fields.AwareDateTime(allow_none=True, metadata={"description": "办结或撤销时间"})
    cancel_reason = Text(allow_none=True, metadata={"description": "撤销理由（已撤销的督办单）"})
    round_count = fields.Function(lambda t: len(t.rounds), metadata={"type": "integer"})
    fix_clock = ClockField("fix", metadata={"description": "当前一轮整改时限（只读；已撤销为 null）"})
    callback_clock = ClockField("callback", metadata={
        "description": "回访时限（只读；首次回访即完成；非据评价开单或已撤销为 null）" + AGENCY_ONLY})

    @post_dump
    def _agency_fields(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        if ticket_service.sees_callback_clock(api_user()):
            return data
        return {k: v for k, v in data.items() if k not in CALLBACK_FIELDS}


class TicketSummaryPageSchema(page_schema(TicketSummarySchema)):  # type: ignore[misc]
    """A page of tickets whose clocks are worked out for the whole page in a fixed number of
    queries, none per item, and handed to the items' fields in marshmallow's dump context."""

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        items, shown = obj["items"], ticket_service.sees_callback_clock(api_user())
        with ListClocks({"fix": ticket_clocks.fix_clocks(items),
                         "callback": ticket_clocks.callback_clocks(items) if shown else {}}):
            return super().dump(obj, many=many)


class TicketSchema(TicketSummarySchema):
    """A ticket with its rounds (and their evidence files) and the feedback it answers."""

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        tickets = obj if many else [obj]
        with fix_ratings_of([f for t in tickets for f in t.feedback]):
            return super().dump(obj, many=many)

    rounds = fields.List(fields.Nested(RoundSchema), required=True)
    feedback = fields.List(fields.Nested(LinkedFeedbackSchema), required=True,
                           metadata={"description": "督办的群众评价（只有编号，没有群众身份）"})


class TicketQuery(PageQuery):
    window = Str(metadata={"description": "窗口编号"})
    state = Str(validate=one_of([*TICKET_STATES, "active"]),
                metadata={"description": "状态（active：未办结）"})
    overdue = QueryBool(metadata={"description": "true：有超期（整改或回访；窗口单位和行业主管部门"
                                                 "只计单位整改超期；已撤销的不计）；false：无超期"})
    topic = Str(validate=one_of(TOPICS), metadata={"description": "问题类别"})


class TicketOpenSchema(ApiSchema):
    """Open a ticket from a feedback (``feedback_id``), or on a window (``window``, by the office
    or from an inspection finding)."""

    feedback_id = Int(validate=between(1, MAX_ID), metadata={"description": "据此评价开单"})
    window = Str(validate=Length(min=1, max=64), metadata={"description": "窗口编号（不据评价开单时）"})
    topic = Str(validate=one_of(TOPICS), metadata={"description": "问题类别（据评价开单时可省略）"})
    problem = Text(validate=Length(max=ticket_service.MAX_PROBLEM),
                  metadata={"description": "整改要求（据评价开单时可省略）"})
    source = Str(validate=one_of(["office", "inspection"]), load_default="office",
                 metadata={"description": "来源（不据评价开单时）"})
    source_ref = Str(validate=Length(max=200), load_default="", metadata={"description": "来源编号"})
    force = fields.Boolean(load_default=False, truthy={True}, falsy={False},
                           error_messages={"invalid": "应为 true 或 false"}, metadata={
        "description": "同一窗口同一问题类别已有未办结的督办单时仍然新建（否则 409，附已有督办单）"})

    @validates_schema
    def _one_origin(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("feedback_id" in data) == ("window" in data):
            raise SchemaError("须给出 feedback_id 或 window 之一", "feedback_id")
        if "window" in data:
            missing = {k: ["必填"] for k in ("topic", "problem") if not data.get(k)}
            if missing:
                raise SchemaError(missing)


#: The round the caller saw: refused (409) once the ticket has moved on (two people on one ticket).
_ROUND = Int(load_default=None, validate=between(1, 10_000),
             metadata={"description": "所针对的督办轮次（可省略）；已进入其他轮次时拒绝（409）"})


class RespondSchema(ApiSchema):
    round = _ROUND
    text = Text(required=True, validate=Length(min=1, max=ticket_service.MAX_RESPONSE,
                                              error=f"整改情况须为 1–{ticket_service.MAX_RESPONSE} 字"),
               metadata={"description": "整改情况（核验办结后作为单位答复发给群众）"})
    files = _FILES


class VerdictSchema(ApiSchema):
    round = _ROUND
    reason = Text(load_default="", validate=Length(max=ticket_service.MAX_REASON),
                 metadata={"description": "核验意见（可省略）/ 退回理由（必填）"})


class TransferSchema(ApiSchema):
    round = _ROUND
    window = Str(required=True, validate=Length(min=1, max=64), metadata={"description": "转至的窗口编号"})
    reason = Text(required=True, validate=Length(min=1, max=ticket_service.MAX_REASON),
                 metadata={"description": "转办理由（必填，记入督办单的记录）"})


class CancelSchema(ApiSchema):
    reason = Text(required=True, validate=Length(min=1, max=ticket_service.MAX_REASON),
                 metadata={"description": "撤销理由（必填）"})


class AttachSchema(ApiSchema):
    feedback_id = Int(required=True, validate=between(1, MAX_ID), metadata={
        "description": "关联到此督办单的评价（同一窗口，未审核为无效，未关联其他督办单）"})


class DetachSchema(ApiSchema):
    feedback_id = Int(required=True, validate=between(1, MAX_ID),
                      metadata={"description": "解除关联的评价"})
    reason = Text(required=True, validate=Length(min=1, max=ticket_service.MAX_REASON),
                 metadata={"description": "解除理由（必填，记入督办单的记录）"})


# --- appeals -----------------------------------------------------------------------------

class AppealSchema(ApiSchema):
    id = fields.Integer(required=True)
    feedback_id = fields.Integer(required=True)
    receipt_no = Str(attribute="feedback.receipt_no", required=True)
    window = Str(attribute="feedback.window.code", required=True)
    rating = Int(attribute="feedback.rating", allow_none=True)
    kind = Str(required=True, validate=one_of(APPEAL_KINDS))
    kind_name = Label(APPEAL_KINDS, attribute="kind")
    reason = Text(required=True)
    filed_at = fields.AwareDateTime(required=True)
    state = Str(required=True, validate=one_of(APPEAL_STATES))
    state_name = Label(APPEAL_STATES, attribute="state")
    decision_reason = Text(required=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    files = fields.List(fields.Nested(EvidenceFileSchema), required=True,
                        metadata={"description": "申诉证明材料"})


class AppealQuery(PageQuery):
    window = Str(metadata={"description": "窗口编号"})
    state = Str(validate=one_of(APPEAL_STATES), metadata={"description": "状态"})


class AppealFileSchema(ApiSchema):
    feedback_id = Int(required=True, validate=between(1, MAX_ID), metadata={"description": "申诉的评价"})
    kind = Str(required=True, validate=one_of(APPEAL_KINDS))
    reason = Text(required=True, validate=Length(min=1, max=appeal_service.MAX_REASON,
                                                error=f"申诉理由须为 1–{appeal_service.MAX_REASON} 字"))
    files = _FILES


class DecideSchema(ApiSchema):
    decision = Str(required=True, validate=one_of(["upheld", "rejected"]),
                   metadata={"description": "upheld：申诉成立（该评分不再计入统计）；rejected：不成立"})
    reason = Text(required=True, validate=Length(min=1, max=appeal_service.MAX_REASON,
                                                error=f"裁定理由须为 1–{appeal_service.MAX_REASON} 字"))
