"""API routes of the programme cycle (issue 15), scoped as its pages are: the services refuse
(403) a role without a part in it and hide (404) what lies outside the caller's scope."""

from __future__ import annotations

from typing import Any

from feedback_api.api import bp
from feedback_api.api.auth import api_user
from feedback_api.api.cycle_schemas import (
    CycleSchema,
    ExpertScoreQuery,
    ExpertScoreSchema,
    ObjectionAnswerSchema,
    ObjectionQuery,
    ObjectionSchema,
    RecommendationQuery,
    RecommendationSchema,
    RecusalSchema,
)
from feedback_api.api.schemas import page, page_schema
from feedback_api.api.views import no_query
from feedback_api.db import Session
from feedback_api.services import cycle as cycle_service
from feedback_api.services import cycle_listings as listings
from feedback_api.services.errors import NotFound, PermissionDenied


@bp.get("/cycles/<int:year>")
@bp.doc(summary="年度创建周期：各阶段及日期、各类材料截止日期")
@no_query
@bp.response(200, CycleSchema)
def get_cycle(year: int) -> Any:
    listings.require_cycle_user(api_user())
    return cycle_service.get_cycle(year)


@bp.get("/recommendations")
@bp.doc(summary="行业推荐表（主管部门看本行业，评审专家看分配给自己的，区联席办看全部）")
@bp.arguments(RecommendationQuery, location="query")
@bp.response(200, page_schema(RecommendationSchema))
def list_recommendations(query: dict[str, Any]) -> dict[str, Any]:
    items, total = listings.page_recommendations(api_user(), **query)
    return page(items, total, query)


@bp.get("/recommendations/<int:submission_id>")
@bp.doc(summary="行业推荐表详情")
@no_query
@bp.response(200, RecommendationSchema)
def get_recommendation(submission_id: int) -> Any:
    user = api_user()
    listings.require_cycle_user(user)
    sub = cycle_service.get_submission(user, submission_id)
    if sub.kind != "recommendation":
        raise NotFound("推荐表不存在或无权查看")
    return sub


@bp.get("/reviews")
@bp.doc(summary="评审专家评分（区联席办看全部，评审专家看自己的）")
@bp.arguments(ExpertScoreQuery, location="query")
@bp.response(200, page_schema(ExpertScoreSchema))
def list_reviews(query: dict[str, Any]) -> dict[str, Any]:
    items, total = listings.page_reviews(api_user(), **query)
    return page(items, total, query)


@bp.post("/reviews")
@bp.doc(summary="评审专家按当年测评标准逐项评分（公示前可修改；总分由系统计算）")
@no_query
@bp.arguments(ExpertScoreSchema)
@bp.response(200, ExpertScoreSchema)
def score_recommendation(data: dict[str, Any]) -> Any:
    user = api_user()
    if user.role != "expert":
        raise PermissionDenied("仅评审专家可以评分")
    sub = cycle_service.get_submission(user, data["submission_id"])
    assignment = cycle_service.score(user, sub, data["items"], comment=data["comment"])
    Session.commit()
    return assignment


@bp.post("/reviews/recusal")
@bp.doc(summary="评审专家申请回避：评分前对分配给自己的候选窗口说明理由，该分配即撤回（保留记录）")
@no_query
@bp.arguments(RecusalSchema)
@bp.response(200, ExpertScoreSchema)
def declare_recusal(data: dict[str, Any]) -> Any:
    user = api_user()
    if user.role != "expert":
        raise PermissionDenied("仅评审专家可以申请回避")
    sub = cycle_service.get_submission(user, data["submission_id"])
    assignment = cycle_service.declare_recusal(user, sub, data["reason"])
    Session.commit()
    return assignment


@bp.get("/objections")
@bp.doc(summary="公示期间的异议及答复（区联席办）")
@bp.arguments(ObjectionQuery, location="query")
@bp.response(200, page_schema(ObjectionSchema))
def list_objections(query: dict[str, Any]) -> dict[str, Any]:
    items, total = listings.page_objections(api_user(), **query)
    return page(items, total, query)


@bp.post("/objections")
@bp.doc(summary="登记公示期间收到的异议（区联席办）")
@no_query
@bp.arguments(ObjectionSchema)
@bp.response(201, ObjectionSchema)
def record_objection(data: dict[str, Any]) -> Any:
    user = api_user()
    listings.require_office(user)
    entry = cycle_service.get_entry(data["entry_id"])
    objection = cycle_service.record_objection(user, entry, data["text"], channel=data["channel"],
                                               received_on=data["received_on"])
    Session.commit()
    return objection


@bp.post("/objections/<int:objection_id>/answer")
@bp.doc(summary="答复异议：异议不成立或成立（区联席办；命名后不能再改）")
@no_query
@bp.arguments(ObjectionAnswerSchema)
@bp.response(200, ObjectionSchema)
def answer_objection(data: dict[str, Any], objection_id: int) -> Any:
    user = api_user()
    listings.require_office(user)
    objection = cycle_service.answer_objection(user, cycle_service.get_objection(objection_id),
                                               data["outcome"], data["answer"])
    Session.commit()
    return objection
