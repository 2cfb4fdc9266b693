"""API routes: each takes and returns the schemas of feedback_schemas.py, which are its document."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_smorest import current_api

from feedback_api.api import bp
from feedback_api.api.auth import api_user, authenticate_request
from feedback_api.api.feedback_schemas import (
    AnsweredSchema,
    AnswerSchema,
    AnswersSchema,
    FeedbackQuery,
    FeedbackSchema,
    MeSchema,
    MessageSchema,
    ReviewSchema,
    StatusHistorySchema,
    WindowQuery,
    WindowSchema,
)
from feedback_api.api.schemas import NoQuery, page, page_schema
from feedback_api.db import Session
from feedback_api.extensions import csrf
from feedback_api.services import answers, feedback_list, window_status
from feedback_api.services import feedback as feedback_service
from feedback_api.services import review as review_service
from feedback_api.services import windows as window_service

csrf.exempt(bp)  # CSRF is checked in authenticate_request, for browser sessions only

#: Refuses every query parameter of an operation that takes none.
no_query = bp.arguments(NoQuery, location="query", as_kwargs=True)


@bp.before_request
def _authenticate() -> None:
    if request.endpoint == "api.openapi":
        return
    authenticate_request()


@bp.get("/openapi.json")
@bp.doc(summary="本文档（OpenAPI 3.1）", security=[])
@bp.response(200, {"type": "object"})
def openapi() -> Response:
    return jsonify(current_api.spec.to_dict())


@bp.get("/me")
@bp.doc(summary="当前令牌所属用户")
@no_query
@bp.response(200, MeSchema)
def me() -> Any:
    return api_user()


@bp.get("/windows")
@bp.doc(summary="窗口列表")
@bp.arguments(WindowQuery, location="query")
@bp.response(200, page_schema(WindowSchema))
def list_windows(query: dict[str, Any]) -> dict[str, Any]:
    items, total = window_service.list_windows(api_user(), **query)
    return page(items, total, query)


@bp.post("/windows")
@bp.doc(summary="新建窗口（区联席办；主管部门在本行业内，只能登记为创建中）")
@no_query
@bp.arguments(WindowSchema)
@bp.response(201, WindowSchema)
def create_window(data: dict[str, Any]) -> Any:
    window = window_service.create_window(api_user(), data, via="api")
    Session.commit()
    return window


@bp.get("/windows/<code>")
@bp.doc(summary="窗口详情")
@no_query
@bp.response(200, WindowSchema)
def get_window(code: str) -> Any:
    return window_service.get_window(api_user(), code)


@bp.get("/windows/<code>/status-history")
@bp.doc(summary="窗口称号状态记录（创建中/示范/摘牌的每次变更，先后为序）")
@no_query
@bp.response(200, StatusHistorySchema)
def window_status_history(code: str) -> Any:
    window = window_service.get_window(api_user(), code)
    return {"window": window.code, "items": window_status.history(window)}


@bp.patch("/windows/<code>")
@bp.doc(summary="修改窗口（只改给出的字段；编号不可改；"
                "状态及其日期、年度、原因仅区联席办可改，他人改动为 403）")
@no_query
@bp.arguments(WindowSchema(partial=True))
@bp.response(200, WindowSchema)
def update_window(data: dict[str, Any], code: str) -> Any:
    window = window_service.update_window(api_user(), code, data, via="api")
    Session.commit()
    return window


@bp.get("/feedback")
@bp.doc(summary="评价列表（新的在前）")
@bp.arguments(FeedbackQuery, location="query")
@bp.response(200, page_schema(FeedbackSchema))
def list_feedback(query: dict[str, Any]) -> dict[str, Any]:
    user = api_user()
    if query.get("window"):
        window_service.get_window(user, query["window"])  # 404 outside the caller's scope
    items, total = feedback_list.list_feedback(user, **query)
    return page(items, total, query)


@bp.get("/feedback/<int:feedback_id>")
@bp.doc(summary="评价详情")
@no_query
@bp.response(200, FeedbackSchema)
def get_feedback(feedback_id: int) -> Any:
    return feedback_service.get_feedback(api_user(), feedback_id)


@bp.post("/feedback/<int:feedback_id>/review")
@bp.doc(summary="审核评价（第三方机构、区联席办）")
@no_query
@bp.arguments(ReviewSchema)
@bp.response(200, FeedbackSchema)
def review_feedback(data: dict[str, Any], feedback_id: int) -> Any:
    item = review_service.review_feedback(api_user(), feedback_id, data)
    Session.commit()
    return item


@bp.get("/feedback/<int:feedback_id>/answers")
@bp.doc(summary="评价的单位答复及发给群众的消息")
@no_query
@bp.response(200, AnswersSchema)
def list_answers(feedback_id: int) -> dict[str, Any]:
    item = feedback_service.get_feedback(api_user(), feedback_id)
    return {"answers": answers.answers_of(item.id), "messages": answers.messages_of(item.id)}


@bp.post("/feedback/<int:feedback_id>/answers")
@bp.doc(summary="答复评价（窗口单位、第三方机构、区联席办）；微信群众会收到消息")
@no_query
@bp.arguments(AnswerSchema)
@bp.response(201, AnsweredSchema)
def answer_feedback(data: dict[str, Any], feedback_id: int) -> Any:
    done = answers.answer_feedback(api_user(), feedback_id, data["text"])
    Session.commit()
    return done


@bp.post("/feedback/<int:feedback_id>/rerate")
@bp.doc(summary="问题整改后请群众进行整改评价（第三方机构、区联席办）")
@no_query
@bp.response(201, MessageSchema)
def request_rerating(feedback_id: int) -> Any:
    message = answers.request_rerating(api_user(), feedback_id)
    Session.commit()
    return message
