"""Schemas of the programme cycle's resources (issue 15): the year's phases, recommendations,
the experts' scores and the objections received during publicity."""

from __future__ import annotations

from typing import Any

from marshmallow import fields
from marshmallow.validate import Length

from feedback_api.api.schemas import (
    ApiSchema,
    Day,
    Dict,
    Int,
    Label,
    PageQuery,
    Str,
    Text,
    between,
    one_of,
)
from feedback_api.models.reference import (
    CYCLE_PHASES,
    INDUSTRIES,
    OBJECTION_OUTCOMES,
    SUBMISSION_KINDS,
    SUBMISSION_STATES,
)
from feedback_api.services import cycle as cycle_service

_YEAR = {"validate": between(2000, 2100), "metadata": {"description": "年度"}}


class PhaseSchema(ApiSchema):
    kind = Str(validate=one_of(CYCLE_PHASES), required=True)
    kind_name = Label(CYCLE_PHASES, attribute="kind")
    starts_on = Day(required=True)
    ends_on = Day(required=True, metadata={"description": "截止日期（含）"})


class CycleSchema(ApiSchema):
    year = fields.Integer(required=True)
    title = Str(required=True)
    phases = fields.List(fields.Nested(PhaseSchema), required=True)
    deadlines = fields.Method("_deadlines", metadata={
        "type": "object", "additionalProperties": {"type": ["string", "null"], "format": "date"},
        "description": "各类材料的报送截止日期（材料类型 → 日期）"})

    def _deadlines(self, cycle: Any) -> dict[str, str | None]:
        out = {}
        for kind in SUBMISSION_KINDS:
            due = cycle_service.deadline(cycle, kind)
            out[kind] = due.isoformat() if due else None
        return out


class AttachmentSchema(ApiSchema):
    id = fields.Integer(required=True)
    filename = Str(required=True)
    content_type = Str(required=True)
    size = fields.Integer(required=True)
    checksum = Str(required=True, metadata={"description": "SHA-256"})


def _form_field(name: str, description: str, number: bool = False) -> fields.Field:
    return fields.Function(lambda sub: sub.data.get(name), metadata={
        "type": ["number", "null"] if number else ["string", "null"], "description": description})


class RecommendationSchema(ApiSchema):
    """一份行业推荐表（草稿仅填报人可见；评审专家只看到分配给自己的）。"""

    id = fields.Integer(required=True)
    year = fields.Integer(attribute="cycle.year", required=True)
    window = Str(attribute="window.code", allow_none=True)
    window_name = Str(attribute="window.name", allow_none=True)
    unit_name = Str(attribute="window.unit.name", allow_none=True)
    industry = Str(validate=one_of(INDUSTRIES), required=True)
    industry_name = Label(INDUSTRIES, attribute="industry")
    title = Str(required=True)
    state = Str(validate=one_of(SUBMISSION_STATES), required=True)
    state_name = Label(SUBMISSION_STATES, attribute="state")
    late = fields.Boolean(required=True, metadata={"description": "首次提交晚于截止日期"})
    return_reason = Text(required=True)
    submitted_at = fields.AwareDateTime(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    reasons = _form_field("reasons", "推荐理由")
    features = _form_field("features", "特色亮点")
    self_assessment = _form_field("self_assessment", "对照测评标准自评情况")
    self_scores = fields.Function(lambda sub: sub.data.get("self_scores"), metadata={
        "type": ["object", "null"], "additionalProperties": {"type": "number"},
        "description": "对照当年测评标准逐项自评得分：指标名称 → 得分"})
    self_score = _form_field("self_score", "自评得分（0–100；逐项自评的按分值折算）", number=True)
    contact_person = _form_field("contact_person", "联系人")
    contact_phone = _form_field("contact_phone", "联系电话")
    endorsement = _form_field("endorsement", "主管部门推荐意见")
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)


class RecommendationQuery(PageQuery):
    year = Int(strict=False, **_YEAR)
    state = Str(validate=one_of(SUBMISSION_STATES), metadata={"description": "状态"})
    industry = Str(validate=one_of(INDUSTRIES), metadata={"description": "行业"})


class ExpertScoreSchema(ApiSchema):
    """一位评审专家对一个候选窗口的评分：按当年测评标准逐项打分，总分按分值折算为百分制。"""

    id = fields.Integer(dump_only=True)
    submission_id = Int(required=True, validate=between(1, 2**31 - 1),
                        metadata={"description": "推荐表编号"})
    year = fields.Integer(attribute="submission.cycle.year", dump_only=True)
    window = Str(attribute="submission.window.code", dump_only=True, allow_none=True)
    window_name = Str(attribute="submission.window.name", dump_only=True, allow_none=True)
    expert = Str(attribute="expert.username", dump_only=True)
    expert_name = Str(attribute="expert.display_name", dump_only=True)
    items = Dict(keys=Str(validate=Length(1, 100, error="指标名称须为 1–100 个字符")),
                        values=fields.Float(allow_nan=False,
                                            error_messages={"invalid": "应为数字"}),
                        required=True, allow_none=True,
                        metadata={"description": "按指标得分：指标名称 → 得分（0 至该指标分值）"})
    total = fields.Float(dump_only=True, allow_none=True, metadata={"description": "总分（0–100）"})
    comment = Text(load_default="", validate=Length(max=5000, error="评审意见不能超过 5000 字"))
    scored_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    recused_at = fields.AwareDateTime(dump_only=True, allow_none=True, metadata={
        "description": "回避时间（已回避的分配保留记录，不计入评审结果）"})
    recusal_reason = Str(dump_only=True, metadata={"description": "回避理由"})


class RecusalSchema(ApiSchema):
    """评审专家在评分前对分配给自己的候选窗口申请回避，说明理由。"""

    submission_id = Int(required=True, validate=between(1, 2**31 - 1),
                        metadata={"description": "推荐表编号"})
    reason = Text(required=True, validate=Length(1, 500, error="回避理由须为 1–500 字"),
                  metadata={"description": "回避理由"})


class ExpertScoreQuery(PageQuery):
    year = Int(strict=False, **_YEAR)
    submission = Int(strict=False, validate=between(1, 2**31 - 1),
                     metadata={"description": "推荐表编号"})


class ObjectionSchema(ApiSchema):
    """公示期间收到的一条异议及其答复（区联席办登记、答复）。"""

    id = fields.Integer(dump_only=True)
    entry_id = Int(required=True, validate=between(1, 2**31 - 1),
                   metadata={"description": "公示名单条目编号"})
    year = fields.Integer(attribute="entry.publicity.cycle.year", dump_only=True)
    window = Str(attribute="entry.window.code", dump_only=True)
    window_name = Str(attribute="entry.window_name", dump_only=True)
    unit_name = Str(attribute="entry.unit_name", dump_only=True)
    received_on = Day(load_default=None, metadata={"description": "收到日期（默认今天；须在公示期内）"})
    channel = Str(load_default="", validate=Length(max=50, error="来源方式不能超过 50 字"),
                  metadata={"description": "来信、来电、网上留言等"})
    text = Text(required=True, validate=Length(1, 5000, error="异议内容须为 1–5000 字"))
    outcome = Str(dump_only=True, validate=one_of(OBJECTION_OUTCOMES))
    outcome_name = Label(OBJECTION_OUTCOMES, attribute="outcome")
    answer = Str(dump_only=True)
    answered_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    from_public = fields.Boolean(dump_only=True,
                                 metadata={"description": "由公众在公开页面提交（非区联席办登记）"})
    contact = Str(dump_only=True, metadata={"description": "公众留下的联系方式（选填，仅供答复）"})


class ObjectionAnswerSchema(ApiSchema):
    outcome = Str(required=True, validate=one_of(
        {k: v for k, v in OBJECTION_OUTCOMES.items() if k != "pending"}))
    answer = Text(required=True, validate=Length(1, 5000, error="答复内容须为 1–5000 字"))


class ObjectionQuery(PageQuery):
    year = Int(strict=False, **_YEAR)
    outcome = Str(validate=one_of(OBJECTION_OUTCOMES), metadata={"description": "处理结论"})
