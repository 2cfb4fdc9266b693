"""Schemas of the assessment's records (issue 14): the year's evaluation standard, quarterly
inspections, covert inspections with their evidence files, incidents and delisting proposals.
The assessment itself (it needs analytics) is ``analytics.api``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import fields
from marshmallow.validate import Length

from feedback_api.api.schemas import (
    ApiSchema,
    Bool,
    Day,
    Dict,
    Int,
    Label,
    List,
    PageQuery,
    Str,
    Text,
    _Zh,
    between,
    one_of,
)
from feedback_api.api.tickets_schemas import QueryBool
from feedback_api.models.reference import (
    DELISTING_RULES,
    INCIDENT_KINDS,
    INCIDENT_SEVERITIES,
    INDUSTRIES,
    PROPOSAL_STATES,
    TOPICS,
)
from feedback_api.services.feedback import MAX_ID
from feedback_api.services.standards import CATEGORIES

_YEAR = {"validate": between(2000, 2100)}


class Number(_Zh, fields.Float):
    """A finite number in JSON (not "3", not NaN)."""

    default_error_messages = {"invalid": "应为数字", "special": "应为有限的数字"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_nan=False, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except OverflowError:  # an integer beyond any float
            raise self.make_error("special") from None


def _points(description: str, **kwargs: Any) -> Number:
    return Number(validate=between(0, 1000), metadata={"description": description}, **kwargs)


class WindowCode(Str):
    """A window named by its code, on input and output (the record holds the window)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return value.code if value is not None else None


class _WindowRef(ApiSchema):
    """The window a record belongs to: its code on input; its names on output."""

    window = WindowCode(required=True,
                 validate=Length(min=1, max=64, error="窗口编号须为 1–64 个字符"),
                 metadata={"description": "窗口编号"})
    window_name = Str(attribute="window.name", dump_only=True)
    unit = Str(attribute="window.unit.code", dump_only=True)
    unit_name = Str(attribute="window.unit.name", dump_only=True)
    industry = Str(attribute="window.unit.industry", dump_only=True, validate=one_of(INDUSTRIES))


# --- the standard ------------------------------------------------------------------------

class IndicatorSchema(ApiSchema):
    """一个测评指标：分值（综合检查的满分）与合格线。"""

    id = Int(validate=between(1, MAX_ID),
             metadata={"description": "已有指标的编号（修改时给出以保留；不给为新增）"})
    category = Str(required=True, validate=one_of(CATEGORIES), metadata={"description": "类别"})
    category_name = Label(TOPICS, attribute="category")
    name = Str(required=True, validate=Length(min=1, max=100, error="指标名称须为 1–100 个字符"))
    weight = Number(required=True, validate=between(0, 1000), metadata={"description": "分值（大于 0）"})
    pass_line = _points("合格线（不高于分值）", required=True)


class StandardSchema(ApiSchema):
    """一个年度的测评标准：指标、综合检查合格分数线、综合得分的四项权重、重大事件扣分。"""

    year = fields.Integer(dump_only=True)
    name = Str(required=True, validate=Length(min=1, max=200, error="名称须为 1–200 个字符"))
    pass_score = _points("综合检查合格分数线", required=True)
    weight_feedback = _points("权重：群众评价", required=True)
    weight_inspection = _points("权重：综合检查", required=True)
    weight_covert = _points("权重：暗查", required=True)
    weight_tickets = _points("权重：督办办理", required=True)
    deduction_general = Number(required=True, validate=between(0, 100), metadata={
        "description": "重大事件扣分：本期每起一般事件从综合得分中扣除的分数（0–100）"})
    deduction_major = Number(required=True, validate=between(0, 100), metadata={
        "description": "重大事件扣分：本期每起重大事件从综合得分中扣除的分数（0–100）；"
                       "扣分后综合得分最低为 0"})
    max_score = fields.Float(dump_only=True, metadata={"description": "各指标分值之和"})
    indicators = List(fields.Nested(IndicatorSchema), required=True,
                      validate=Length(min=1, max=100, error="须有 1–100 个测评指标"),
                      metadata={"description": "全部指标（修改时给出完整列表；未列出的、"
                                               "尚无检查记录的指标被删除）"})
    updated_at = fields.AwareDateTime(dump_only=True, allow_none=True)


# --- quarterly inspections ---------------------------------------------------------------

class InspectionScoreSchema(ApiSchema):
    indicator_id = fields.Integer(required=True)
    indicator = Str(attribute="indicator.name", required=True)
    category = Str(attribute="indicator.category", required=True, validate=one_of(TOPICS))
    score = fields.Float(required=True)
    max_score = fields.Float(attribute="indicator.weight", required=True)
    pass_line = fields.Float(attribute="indicator.pass_line", required=True)
    passed = fields.Boolean(required=True)


class InspectionSchema(_WindowRef):
    """一次季度综合检查（行业主管部门录入本行业窗口的；区联席办可代录）。"""

    id = fields.Integer(dump_only=True)
    year = Int(required=True, metadata={"description": "年度"}, **_YEAR)
    quarter = Int(required=True, validate=between(1, 4), metadata={"description": "季度"})
    inspected_on = Day(required=True, metadata={"description": "检查日期（该季度内或其后 92 天内）"})
    inspectors = Str(required=True, validate=Length(min=1, max=200, error="检查人员须为 1–200 个字符"))
    notes = Text(load_default="", validate=Length(max=2000, error="备注不能超过 2000 字"))
    scores = Dict(keys=Str(validate=Length(min=1, max=100)), values=Number(),
                         required=True, load_only=True,
                         metadata={"description": "各指标得分：指标名称 → 得分（0 至分值），须逐项给出"})
    replace = Bool(load_default=False, load_only=True,
                   metadata={"description": "该窗口该季度已录入时替换（更正）；否则 409"})
    total = fields.Float(dump_only=True, metadata={"description": "总分"})
    max_total = fields.Float(dump_only=True, metadata={"description": "满分"})
    passed = fields.Boolean(dump_only=True, metadata={"description": "总分是否达到合格分数线"})
    indicators = fields.List(fields.Nested(InspectionScoreSchema), attribute="scores", dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    updated_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class InspectionQuery(PageQuery):
    window = Str(metadata={"description": "窗口编号"})
    year = Int(strict=False, metadata={"description": "年度"}, **_YEAR)
    quarter = Int(strict=False, validate=between(1, 4), metadata={"description": "季度"})
    passed = QueryBool(metadata={"description": "true 合格，false 不合格"})


class FindingTicketSchema(ApiSchema):
    """为一项不合格指标开督办单（第三方机构、区联席办；每项指标一张）。"""

    indicator_id = Int(required=True, validate=between(1, MAX_ID), metadata={"description": "不合格的指标"})
    note = Text(load_default="", validate=Length(max=2000, error="补充说明不能超过 2000 字"),
               metadata={"description": "补充说明（附在整改要求后）"})


# --- covert inspections ------------------------------------------------------------------

class CovertResultSchema(ApiSchema):
    indicator_id = fields.Integer(required=True)
    indicator = Str(attribute="indicator.name", required=True)
    category = Str(attribute="indicator.category", required=True, validate=one_of(TOPICS))
    passed = fields.Boolean(required=True)


class CovertEvidenceSchema(ApiSchema):
    id = fields.Integer(dump_only=True)
    name = Str(attribute="filename", required=True,
               validate=Length(min=1, max=200, error="文件名须为 1–200 个字符"),
               metadata={"description": "上传时的文件名"})
    content = Str(required=True, load_only=True,
                  metadata={"description": "文件内容，Base64 编码（照片、PDF、Word、录音或视频；"
                                           "不超过 WW_COVERT_EVIDENCE_MAX_MB）"})
    content_type = Str(dump_only=True, metadata={"description": "按内容识别的类型"})
    size = fields.Integer(attribute="size_bytes", dump_only=True, metadata={"description": "字节数"})
    sha256 = Str(dump_only=True, metadata={"description": "内容的 SHA-256（十六进制）"})
    uploaded_at = fields.AwareDateTime(attribute="created_at", dump_only=True, allow_none=True)


class CovertSchema(_WindowRef):
    """一次暗查（区联席办录入）：逐项合格或不合格，情况记录，证据文件。"""

    id = fields.Integer(dump_only=True)
    inspected_on = Day(required=True, metadata={"description": "暗查日期（不晚于今天；其年度决定测评标准）"})
    notes = Text(load_default="", validate=Length(max=5000, error="情况记录不能超过 5000 字"))
    results = Dict(keys=Str(validate=Length(min=1, max=100)),
                          values=Bool(), required=True, load_only=True,
                          validate=Length(min=1, error="至少一个指标"),
                          metadata={"description": "检查的指标：指标名称 → 是否合格（未查的不列）"})
    indicators = fields.List(fields.Nested(CovertResultSchema), attribute="results", dump_only=True)
    evidence = fields.List(fields.Nested(CovertEvidenceSchema), dump_only=True,
                           metadata={"description": "证据文件（下载仅限区联席办与第三方机构）"})
    created_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class CovertQuery(PageQuery):
    window = Str(metadata={"description": "窗口编号"})
    year = Int(strict=False, metadata={"description": "年度"}, **_YEAR)


# --- incidents ---------------------------------------------------------------------------

class IncidentSchema(_WindowRef):
    """一起重大事件：重大安全事故或造成不良社会影响的事件（区联席办录入）。"""

    id = fields.Integer(dump_only=True)
    occurred_on = Day(required=True, metadata={"description": "发生日期（不晚于今天）"})
    kind = Str(required=True, validate=one_of(INCIDENT_KINDS), metadata={"description": "事件类型"})
    kind_name = Label(INCIDENT_KINDS, attribute="kind")
    severity = Str(required=True, validate=one_of(INCIDENT_SEVERITIES),
                   metadata={"description": "严重程度（major 重大：触发摘牌规则）"})
    severity_name = Label(INCIDENT_SEVERITIES, attribute="severity")
    description = Text(required=True, validate=Length(min=1, max=5000, error="事件经过须为 1–5000 字"))
    source = Str(required=True, validate=Length(min=1, max=200, error="信息来源须为 1–200 字"),
                 metadata={"description": "信息来源（媒体报道、群众举报、主管部门通报…）"})
    created_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    updated_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class IncidentQuery(PageQuery):
    window = Str(metadata={"description": "窗口编号"})
    year = Int(strict=False, metadata={"description": "年度"}, **_YEAR)


# --- delisting proposals -----------------------------------------------------------------

class ProposalSchema(_WindowRef):
    """一条摘牌建议：触发的规则（编号 1–4）及其依据，区联席办确认或不予采纳。"""

    id = fields.Integer(dump_only=True)
    year = fields.Integer(dump_only=True, metadata={"description": "考核年度"})
    rule = fields.Integer(dump_only=True, validate=one_of(DELISTING_RULES),
                          metadata={"description": "摘牌规则编号"})
    rule_name = Label(DELISTING_RULES, attribute="rule")
    evidence = Dict(dump_only=True, metadata={
        "description": "触发依据：summary（一句话）与 items（逐条记录：检查、督办轮次、暗查或事件）"})
    state = Str(dump_only=True, validate=one_of(PROPOSAL_STATES))
    state_name = Label(PROPOSAL_STATES, attribute="state")
    decision_note = Str(dump_only=True)
    decided_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    updated_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class ProposalQuery(PageQuery):
    window = Str(metadata={"description": "窗口编号"})
    state = Str(validate=one_of(PROPOSAL_STATES), metadata={"description": "状态"})
    year = Int(strict=False, metadata={"description": "考核年度"}, **_YEAR)
    rule = Int(strict=False, validate=one_of(DELISTING_RULES), metadata={"description": "规则编号"})


class DecisionSchema(ApiSchema):
    note = Text(load_default="", validate=Length(max=2000, error="说明不能超过 2000 字"),
               metadata={"description": "确认时的补充说明（可省略）；不予采纳的理由（必填）"})


# --- what a write raised -----------------------------------------------------------------

@dataclass(frozen=True)
class Written:
    """A record an API write stored, with the delisting proposals the rules, run at once,
    raised or reopened for it (``services.delisting.run_rules``)."""

    record: Any
    raised_proposals: list[Any]


class RaisedProposalSchema(ApiSchema):
    """写入后按摘牌规则即时生成或重新打开（待确认）的一条摘牌建议；详情见摘牌建议接口。"""

    id = fields.Integer(required=True)
    window = WindowCode(required=True, metadata={"description": "窗口编号"})
    year = fields.Integer(required=True, metadata={"description": "考核年度"})
    rule = fields.Integer(required=True, validate=one_of(DELISTING_RULES),
                          metadata={"description": "摘牌规则编号"})
    rule_name = Label(DELISTING_RULES, attribute="rule")


class _RaisedSchema(ApiSchema):
    """A write's answer: the record's fields, and the proposals it raised (a :class:`Written`)."""

    raised_proposals = List(fields.Nested(RaisedProposalSchema), dump_only=True, required=True,
                            metadata={"description": "本次写入即时生成或重新打开的摘牌建议"
                                                     "（没有则为空列表）"})

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if isinstance(obj, Written) and attr != "raised_proposals":
            obj = obj.record
        return super().get_attribute(obj, attr, default)


class InspectionWrittenSchema(InspectionSchema, _RaisedSchema):
    """录入或替换后的季度综合检查，附即时生成的摘牌建议。"""


class CovertWrittenSchema(CovertSchema, _RaisedSchema):
    """录入或更正后的暗查，附即时生成的摘牌建议。"""


class IncidentWrittenSchema(IncidentSchema, _RaisedSchema):
    """录入或更正后的重大事件，附即时生成的摘牌建议。"""
