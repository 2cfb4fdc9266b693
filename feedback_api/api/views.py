"""API routes: windows and feedback; every route is described in openapi.py."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from feedback_api.api import bp
from feedback_api.api.auth import api_user, authenticate_request
from feedback_api.api.openapi import build_openapi
from feedback_api.api.params import (
    check_query,
    choice_arg,
    date_arg,
    int_arg,
    json_body,
    page_args,
)
from feedback_api.db import Session
from feedback_api.extensions import csrf
from feedback_api.models.reference import INDUSTRIES, REVIEW_STATES, WINDOW_STATUSES
from feedback_api.services import answers
from feedback_api.services import feedback as feedback_service
from feedback_api.services import review as review_service
from feedback_api.services import windows as window_service
from feedback_api.services.errors import ValidationError

csrf.exempt(bp)  # CSRF is checked in authenticate_request, for browser sessions only

PAGE = {"page", "per_page"}


@bp.before_request
def _authenticate() -> None:
    if request.endpoint == "api.openapi":
        return
    authenticate_request()


def _page(items: list[dict[str, Any]], total: int, page: int, per_page: int) -> Response:
    return jsonify({"items": items, "total": total, "page": page, "per_page": per_page})


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(build_openapi())


@bp.get("/me")
def me() -> Response:
    from feedback_api.services.users import scope_codes

    user = api_user()
    return jsonify({"username": user.username, "role": user.role, "scopes": scope_codes(user)})


@bp.get("/windows")
def list_windows() -> Response:
    check_query(PAGE | {"q", "unit", "industry", "status"})
    page, per_page = page_args()
    items, total = window_service.list_windows(
        api_user(),
        page=page,
        per_page=per_page,
        q=request.args.get("q"),
        unit=request.args.get("unit"),
        industry=choice_arg("industry", INDUSTRIES),
        status=choice_arg("status", WINDOW_STATUSES),
    )
    return _page([window_service.window_to_dict(w) for w in items], total, page, per_page)


@bp.post("/windows")
def create_window() -> tuple[Response, int]:
    check_query(set())
    window = window_service.create_window(api_user(), json_body())
    Session.commit()
    return jsonify(window_service.window_to_dict(window)), 201


@bp.get("/windows/<code>")
def get_window(code: str) -> Response:
    check_query(set())
    return jsonify(window_service.window_to_dict(window_service.get_window(api_user(), code)))


@bp.patch("/windows/<code>")
def update_window(code: str) -> Response:
    check_query(set())
    window = window_service.update_window(api_user(), code, json_body())
    Session.commit()
    return jsonify(window_service.window_to_dict(window))


@bp.get("/feedback")
def list_feedback() -> Response:
    check_query(PAGE | {"window", "unit", "date_from", "date_to", "rating", "review_state"})
    page, per_page = page_args()
    user = api_user()
    window_code = request.args.get("window")
    if window_code:
        window_service.get_window(user, window_code)  # 404 outside the caller's scope
    items, total = feedback_service.list_feedback(
        user,
        page=page,
        per_page=per_page,
        window=window_code,
        unit=request.args.get("unit"),
        date_from=date_arg("date_from"),
        date_to=date_arg("date_to"),
        rating=int_arg("rating", None, minimum=1, maximum=5),
        review_state=choice_arg("review_state", REVIEW_STATES),
    )
    return _page([feedback_service.feedback_to_dict(f, user) for f in items], total, page, per_page)


@bp.get("/feedback/<int:feedback_id>")
def get_feedback(feedback_id: int) -> Response:
    check_query(set())
    user = api_user()
    item = feedback_service.get_feedback(user, feedback_id)
    return jsonify(feedback_service.feedback_to_dict(item, user))


@bp.get("/feedback/<int:feedback_id>/answers")
def list_answers(feedback_id: int) -> Response:
    check_query(set())
    item = feedback_service.get_feedback(api_user(), feedback_id)
    return jsonify({"answers": [answers.answer_to_dict(a) for a in answers.answers_of(item.id)],
                    "messages": [answers.message_to_dict(m) for m in answers.messages_of(item.id)]})


@bp.post("/feedback/<int:feedback_id>/answers")
def answer_feedback(feedback_id: int) -> tuple[Response, int]:
    check_query(set())
    data = json_body()
    unknown = sorted(set(data) - {"text"})
    if unknown:
        raise ValidationError(f"未知字段：{', '.join(unknown)}", details={k: "未知字段" for k in unknown})
    done = answers.answer_feedback(api_user(), feedback_id, data.get("text"))
    Session.commit()
    message = answers.message_to_dict(done.message) if done.message is not None else None
    return jsonify({**answers.answer_to_dict(done.answer), "message": message}), 201


@bp.post("/feedback/<int:feedback_id>/rerate")
def request_rerating(feedback_id: int) -> tuple[Response, int]:
    check_query(set())
    message = answers.request_rerating(api_user(), feedback_id)
    Session.commit()
    return jsonify(answers.message_to_dict(message)), 201


@bp.post("/feedback/<int:feedback_id>/review")
def review_feedback(feedback_id: int) -> Response:
    check_query(set())
    user = api_user()
    item = review_service.review_feedback(user, feedback_id, json_body())
    Session.commit()
    return jsonify(feedback_service.feedback_to_dict(item, user))
