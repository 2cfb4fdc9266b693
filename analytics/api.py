"""``GET /api/v1/assessments``: the quantified assessment (量化考核) of a period, as the
assessment page shows it: the published version once there is one, else computed live. Here,
not in feedback_api.api, because it needs ``analytics``; the composition root mounts ``bp``
with the core's API (create_app(api_blueprints=...))."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields

from analytics import assessment, snapshots
from feedback_api.api import extension_blueprint
from feedback_api.api.auth import api_user
from feedback_api.api.schemas import ApiSchema, Label, PageQuery, Str, _Zh, one_of
from feedback_api.models.reference import INDUSTRIES, TOPICS, WINDOW_STATUSES, label
from feedback_api.services import windows as window_service

bp = extension_blueprint("analytics_api", __name__)


class PeriodField(_Zh, fields.String):
    """A period as the pages write it: 2026 (year), 2026Q3 (quarter), 2026-07 (month)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> assessment.Period:
        try:
            return assessment.parse_period(str(value))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class AssessmentQuery(PageQuery):
    period = PeriodField(metadata={"description": "考核期：2026（年度）、2026Q3（季度）、2026-07（月）；"
                                                 "默认本季度"})
    window = Str(metadata={"description": "窗口编号"})
    industry = Str(validate=one_of(INDUSTRIES), metadata={"description": "行业"})


class ComponentSchema(ApiSchema):
    key = Str(required=True, validate=one_of([c[0] for c in assessment.COMPONENTS]))
    label = Str(required=True)
    weight = fields.Float(required=True, metadata={"description": "本年度测评标准中的权重"})
    value = fields.Float(allow_none=True, metadata={"description": "分项得分（0–100）；本期无数据为 null"})
    note = Str(required=True)


class TopicCountSchema(ApiSchema):
    """One (topic, opinions) pair of a window's topic breakdown."""

    topic = fields.Function(lambda t: t[0], metadata={"type": "string", "enum": list(TOPICS)})
    topic_name = fields.Function(lambda t: label(TOPICS, t[0]), metadata={"type": "string"})
    opinions = fields.Function(lambda t: t[1], metadata={"type": "integer"})


def _rate(description: str) -> fields.Float:
    return fields.Float(allow_none=True, metadata={"description": description + "（0–1；无数据为 null）"})


def _levels(attr: str, description: str) -> fields.Function:
    """A five-level distribution as an object: the level ("1"–"5") → the count."""
    return fields.Function(
        lambda r: None if getattr(r, attr) is None else {
            str(k): v for k, v in getattr(r, attr).items()},
        allow_none=True,
        metadata={"type": "object", "additionalProperties": {"type": "integer"},
                  "description": description})


class WindowAssessmentSchema(ApiSchema):
    """一个窗口在考核期内的各项指标、分项得分、综合得分（附公式）与排名。"""

    window = Str(attribute="code", required=True)
    window_name = Str(attribute="name", required=True)
    unit_name = Str(required=True)
    industry = Str(required=True, validate=one_of(INDUSTRIES))
    industry_name = Label(INDUSTRIES, attribute="industry")
    status = Str(required=True, validate=one_of(WINDOW_STATUSES))
    ratings = fields.Integer(required=True, metadata={"description": "计分评价数"})
    # null: a version published before the channels were kept.
    ratings_wechat = fields.Integer(required=True, allow_none=True, metadata={
        "description": "其中来自微信公众号的（null：该版本发布时尚未分渠道统计）"})
    ratings_h5 = fields.Integer(required=True, allow_none=True, metadata={
        "description": "其中来自网页评价（H5）的（null：同上）"})
    distribution = _levels("distribution", "五级评价分布：评分 1–5 → 条数")
    distribution_wechat = _levels("distribution_wechat", "其中来自微信公众号的五级评价分布")
    distribution_h5 = _levels("distribution_h5", "其中来自网页评价（H5）的五级评价分布")
    mean_rating = fields.Float(allow_none=True)
    industry_mean = fields.Float(allow_none=True, metadata={"description": "行业平均分（平滑的先验）"})
    smoothed_rating = fields.Float(allow_none=True, metadata={
        "description": f"贝叶斯平均：按 {assessment.PRIOR_RATINGS} 条评价的权重向行业均分平滑"})
    good_rate = _rate("好评率")
    bad_rate = _rate("差评率")
    sentiment = fields.Float(allow_none=True, metadata={"description": "平均情感（0 负面 … 1 正面）"})
    opinions = fields.Integer(required=True)
    topics = fields.List(fields.Nested(TopicCountSchema), required=True,
                         metadata={"description": "问题类别分布（多的在前）"})
    inspections = fields.Integer(required=True)
    inspections_failed = fields.Integer(required=True)
    inspection_score = fields.Float(allow_none=True, metadata={"description": "综合检查得分（百分制）"})
    covert_inspections = fields.Integer(required=True)
    covert_checks = fields.Integer(required=True)
    covert_pass_rate = _rate("暗查合格率（按指标项次）")
    ticket_rounds = fields.Integer(required=True)
    ticket_on_time_rate = _rate("督办按时办理率")
    bad_reviews = fields.Integer(required=True, metadata={"description": "计分差评数"})
    bad_assessed = fields.Integer(required=True, metadata={
        "description": "计入整改率、回访率的差评数（督办单已办结或首轮整改期限已过）"})
    bad_rectified_rate = _rate("差评整改率（计入考核的差评中督办单已办结的比例）")
    bad_callback_rate = _rate("差评回访率（计入考核的差评中已回访的比例）")
    bad_not_due = fields.Integer(required=True, metadata={"description": "不计的差评：督办未到期"})
    bad_unticketed = fields.Integer(required=True, metadata={"description": "不计的差评：未督办"})
    bad_cancelled = fields.Integer(required=True, metadata={"description": "不计的差评：督办已撤销"})
    open_tickets = fields.Integer(required=True)
    incidents = fields.Integer(required=True, allow_none=True, metadata={
        "description": "本期重大事件（null：该版本发布时尚未单列）"})
    incidents_major = fields.Integer(required=True, allow_none=True,
                                     metadata={"description": "其中重大"})
    components = fields.List(fields.Nested(ComponentSchema), required=True)
    composite_before = fields.Float(allow_none=True, metadata={
        "description": "扣分前得分：按权重算出的综合得分"
                       "（null：无综合得分，或该版本发布时重大事件尚不扣分）"})
    deduction = fields.Float(allow_none=True, metadata={
        "description": "重大事件扣分：本期每起一般、重大事件按本年度测评标准所扣分数之和"
                       "（null：无综合得分，或该版本发布时重大事件尚不扣分）"})
    composite = fields.Float(allow_none=True, metadata={
        "description": "综合得分（0–100）：扣分前得分减重大事件扣分，最低为 0；排名按此分"})
    formula = Str(required=True, metadata={"description": "本窗口综合得分的算式"})
    rank_industry = fields.Integer(allow_none=True)
    industry_ranked = fields.Integer(required=True, metadata={"description": "行业内参与排名的窗口数"})
    rank_district = fields.Integer(allow_none=True)


class AssessmentPageSchema(ApiSchema):
    """One page of the period's windows (ranked), with what applies to all of them."""

    items = fields.List(fields.Nested(WindowAssessmentSchema), required=True)
    total = fields.Integer(required=True, metadata={"description": "符合条件的总条数"})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    period = Str(required=True, metadata={"description": "考核期代码"})
    period_label = Str(required=True)
    weights = fields.Dict(keys=fields.String(), values=fields.Float(), required=True,
                          metadata={"description": "分项 → 权重；incident_general、incident_major："
                                                   "每起一般、重大事件扣分（该版本发布时重大事件尚不扣分则无）"})
    formula = Str(required=True, metadata={"description": "综合得分的计算方法"})
    notes = fields.List(fields.String(), required=True)
    district_ranked = fields.Integer(required=True, metadata={"description": "全区参与排名的窗口数"})
    version = fields.Integer(allow_none=True, metadata={
        "description": "读取的已发布版本号；null 为尚未发布、按当前数据实时计算"})


@bp.get("/assessments")
@bp.doc(summary="量化考核：各窗口的指标、分项得分、综合得分与排名（按综合得分排名，范围内可见）")
@bp.arguments(AssessmentQuery, location="query")
@bp.response(200, AssessmentPageSchema)
def list_assessments(query: dict[str, Any]) -> dict[str, Any]:
    user = api_user()
    if query.get("window"):
        window_service.get_window(user, query["window"])  # 404 outside the caller's scope
    period = query.get("period") or assessment.current_quarter()
    result, snap = snapshots.assessment_for(period, user)
    rows = [r for r in result.rows
            if (not query.get("window") or r.code == query["window"])
            and (not query.get("industry") or r.industry == query["industry"])]
    start = (query["page"] - 1) * query["per_page"]
    return {"items": rows[start:start + query["per_page"]], "total": len(rows),
            "page": query["page"], "per_page": query["per_page"], "period": period.code,
            "period_label": period.label, "weights": result.weights, "formula": result.formula,
            "notes": result.notes, "district_ranked": result.district_ranked,
            "version": snap.version if snap is not None else None}
