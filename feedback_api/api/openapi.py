"""The OpenAPI 3.1 document of /api/v1; a test checks that it lists exactly the routes."""

from __future__ import annotations

from typing import Any

from feedback_api.models.reference import (
    CHANNELS,
    INDUSTRIES,
    OUTBOX_KINDS,
    OUTBOX_STATES,
    REVIEW_STATES,
    TOPICS,
    WINDOW_STATUSES,
)
from feedback_api.services.answers import MAX_ANSWER
from feedback_api.services.windows import WINDOW_FIELDS


def _param(name: str, schema: dict[str, Any], description: str, where: str = "query",
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema,
            "description": description}


PAGE_PARAMS = [
    _param("page", {"type": "integer", "minimum": 1, "default": 1}, "页码"),
    _param("per_page", {"type": "integer", "minimum": 1, "default": 50}, "每页条数"),
]
ERRORS = {
    "400": {"$ref": "#/components/responses/Error"},
    "401": {"$ref": "#/components/responses/Error"},
}


def _window_schema() -> dict[str, Any]:
    props: dict[str, Any] = {}
    for spec in WINDOW_FIELDS:
        if spec.kind in {"int"}:
            props[spec.name] = {"type": "integer", "minimum": 0, "description": spec.label}
        elif spec.kind == "year":
            props[spec.name] = {"type": ["integer", "null"], "description": spec.label}
        elif spec.kind == "date":
            props[spec.name] = {"type": ["string", "null"], "format": "date",
                                "description": spec.label}
        elif spec.kind == "status":
            props[spec.name] = {"type": "string", "enum": list(WINDOW_STATUSES),
                                "description": spec.label}
        else:
            props[spec.name] = {"type": "string", "maxLength": spec.max_len,
                                "description": spec.label}
    props["code"]["pattern"] = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
    return {"type": "object", "properties": props, "additionalProperties": False}


def build_openapi() -> dict[str, Any]:
    window_input = _window_schema()
    window = {
        "allOf": [
            {"$ref": "#/components/schemas/WindowInput"},
            {"type": "object", "properties": {
                "unit_name": {"type": "string"}, "industry": {"type": "string"},
                "industry_name": {"type": "string"}, "authority": {"type": "string"},
                "status_name": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"}}},
        ]
    }
    feedback = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "receipt_no": {"type": "string"},
            "window": {"type": "string"}, "window_name": {"type": "string"},
            "unit": {"type": "string"},
            "channel": {"type": "string", "enum": list(CHANNELS)},
            "channel_name": {"type": "string"},
            "rating": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
            "rating_name": {"type": ["string", "null"]},
            "rating_counts": {"type": "boolean"},
            "text": {"type": ["string", "null"],
                     "description": "意见；窗口单位与主管部门看到脱敏后的文本"},
            "received_at": {"type": "string", "format": "date-time"},
            "review_state": {"type": "string", "enum": list(REVIEW_STATES)},
            "review_state_name": {"type": "string"},
            "citizen": {"type": ["string", "null"], "description": "群众化名（哈希前缀）"},
            "sentiment": {"type": ["number", "null"]},
            "topics": {"type": ["array", "null"]},
            "keywords": {"type": ["array", "null"]},
            "flags": {"type": ["array", "null"]},
            "model_version": {"type": ["string", "null"]},
            "reviewed_topics": {"type": ["array", "null"],
                                "items": {"type": "string", "enum": list(TOPICS)}},
            "reviewed_sentiment": {"type": ["integer", "null"], "enum": [0, 1, None]},
            "reviewed_at": {"type": ["string", "null"], "format": "date-time"},
        },
    }
    review = {
        "type": "object", "additionalProperties": False,
        "description": "第三方机构审核：有效性、问题类别、情感（至少一项）",
        "properties": {
            "valid": {"type": "boolean"},
            "topics": {"type": "array", "minItems": 1,
                       "items": {"type": "string", "enum": list(TOPICS)}},
            "sentiment": {"type": "integer", "enum": [0, 1]},
        },
    }

    def page_of(ref: str) -> dict[str, Any]:
        return {"type": "object", "required": ["items", "total", "page", "per_page"],
                "properties": {"items": {"type": "array", "items": {"$ref": ref}},
                               "total": {"type": "integer"}, "page": {"type": "integer"},
                               "per_page": {"type": "integer"}}}

    def ok(ref: str | dict[str, Any], status: str = "200") -> dict[str, Any]:
        schema = {"$ref": ref} if isinstance(ref, str) else ref
        return {status: {"description": "成功",
                         "content": {"application/json": {"schema": schema}}}}

    code_param = _param("code", {"type": "string"}, "窗口编号", "path", True)
    fid_param = _param("feedback_id", {"type": "integer"}, "评价编号", "path", True)
    return {
        "openapi": "3.1.0",
        "info": {"title": "window-watch API", "version": "1",
                 "description": "文明诚信示范窗口监督平台 JSON 接口；令牌按用户范围授权。"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/me": {"get": {"summary": "当前令牌所属用户", "operationId": "me",
                            "responses": {**ok({"type": "object"}), **ERRORS}}},
            "/windows": {
                "get": {"summary": "窗口列表", "operationId": "listWindows",
                        "parameters": [
                            _param("q", {"type": "string"}, "关键字（编号、名称、单位、地址）"),
                            _param("unit", {"type": "string"}, "单位编号或名称"),
                            _param("industry", {"type": "string", "enum": list(INDUSTRIES)}, "行业"),
                            _param("status", {"type": "string", "enum": list(WINDOW_STATUSES)},
                                   "状态"),
                            *PAGE_PARAMS],
                        "responses": {**ok(page_of("#/components/schemas/Window")), **ERRORS}},
                "post": {"summary": "新建窗口", "operationId": "createWindow",
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/WindowInput"}}}},
                         "responses": {**ok("#/components/schemas/Window", "201"), **ERRORS,
                                       "403": {"$ref": "#/components/responses/Error"}}},
            },
            "/windows/{code}": {
                "get": {"summary": "窗口详情", "operationId": "getWindow",
                        "parameters": [code_param],
                        "responses": {**ok("#/components/schemas/Window"), **ERRORS,
                                      "404": {"$ref": "#/components/responses/Error"}}},
                "patch": {"summary": "修改窗口", "operationId": "updateWindow",
                          "parameters": [code_param],
                          "requestBody": {"required": True, "content": {"application/json": {
                              "schema": {"$ref": "#/components/schemas/WindowInput"}}}},
                          "responses": {**ok("#/components/schemas/Window"), **ERRORS,
                                        "403": {"$ref": "#/components/responses/Error"},
                                        "404": {"$ref": "#/components/responses/Error"}}},
            },
            "/feedback": {
                "get": {"summary": "评价列表", "operationId": "listFeedback",
                        "parameters": [
                            _param("window", {"type": "string"}, "窗口编号"),
                            _param("unit", {"type": "string"}, "单位编号或名称"),
                            _param("date_from", {"type": "string", "format": "date"}, "起始日期"),
                            _param("date_to", {"type": "string", "format": "date"}, "截止日期（含）"),
                            _param("rating", {"type": "integer", "minimum": 1, "maximum": 5}, "评分"),
                            _param("review_state", {"type": "string", "enum": list(REVIEW_STATES)},
                                   "审核状态"),
                            *PAGE_PARAMS],
                        "responses": {**ok(page_of("#/components/schemas/Feedback")), **ERRORS,
                                      "404": {"$ref": "#/components/responses/Error"}}},
            },
            "/feedback/{feedback_id}": {
                "get": {"summary": "评价详情", "operationId": "getFeedback",
                        "parameters": [_param("feedback_id", {"type": "integer"}, "评价编号",
                                              "path", True)],
                        "responses": {**ok("#/components/schemas/Feedback"), **ERRORS,
                                      "404": {"$ref": "#/components/responses/Error"}}},
            },
            "/feedback/{feedback_id}/review": {
                "post": {"summary": "审核评价（第三方机构、区联席办）", "operationId": "reviewFeedback",
                         "parameters": [_param("feedback_id", {"type": "integer"}, "评价编号",
                                               "path", True)],
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/Review"}}}},
                         "responses": {**ok("#/components/schemas/Feedback"), **ERRORS,
                                       "403": {"$ref": "#/components/responses/Error"},
                                       "404": {"$ref": "#/components/responses/Error"}}},
            },
            "/feedback/{feedback_id}/answers": {
                "get": {"summary": "评价的单位答复及发给群众的消息", "operationId": "listAnswers",
                        "parameters": [fid_param],
                        "responses": {**ok({"type": "object", "properties": {
                            "answers": {"type": "array",
                                        "items": {"$ref": "#/components/schemas/Answer"}},
                            "messages": {"type": "array",
                                         "items": {"$ref": "#/components/schemas/Message"}}}}),
                            **ERRORS, "404": {"$ref": "#/components/responses/Error"}}},
                "post": {"summary": "答复评价（窗口单位、第三方机构、区联席办）；微信群众会收到消息",
                         "operationId": "answerFeedback", "parameters": [fid_param],
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"type": "object", "additionalProperties": False,
                                        "required": ["text"], "properties": {"text": {
                                            "type": "string", "minLength": 1,
                                            "maxLength": MAX_ANSWER}}}}}},
                         "responses": {**ok({"allOf": [
                             {"$ref": "#/components/schemas/Answer"},
                             {"type": "object", "properties": {"message": {"anyOf": [
                                 {"$ref": "#/components/schemas/Message"}, {"type": "null"}]}}}]},
                             "201"), **ERRORS,
                             "403": {"$ref": "#/components/responses/Error"},
                             "404": {"$ref": "#/components/responses/Error"}}},
            },
            "/feedback/{feedback_id}/rerate": {
                "post": {"summary": "问题整改后请群众进行整改评价（第三方机构、区联席办）",
                         "operationId": "requestRerating", "parameters": [fid_param],
                         "responses": {**ok("#/components/schemas/Message", "201"), **ERRORS,
                                       "403": {"$ref": "#/components/responses/Error"},
                                       "404": {"$ref": "#/components/responses/Error"},
                                       "409": {"$ref": "#/components/responses/Error"}}},
            },
            "/openapi.json": {"get": {"summary": "本文档", "operationId": "openapi",
                                      "security": [],
                                      "responses": ok({"type": "object"})}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "WindowInput": window_input,
                "Window": window,
                "Feedback": feedback,
                "Review": review,
                "Answer": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "feedback_id": {"type": "integer"},
                    "text": {"type": "string"}, "author": {"type": ["string", "null"]},
                    "author_role": {"type": ["string", "null"]},
                    "created_at": {"type": "string", "format": "date-time"}}},
                "Message": {"type": "object", "description": "发给群众的微信消息（不含 openid）",
                            "properties": {
                    "id": {"type": "integer"}, "feedback_id": {"type": ["integer", "null"]},
                    "kind": {"type": "string", "enum": list(OUTBOX_KINDS)},
                    "text": {"type": "string"},
                    "status": {"type": "string", "enum": list(OUTBOX_STATES)},
                    "sent_via": {"type": ["string", "null"], "enum": ["custom", "template", None]},
                    "attempts": {"type": "integer"},
                    "created_at": {"type": ["string", "null"], "format": "date-time"},
                    "sent_at": {"type": ["string", "null"], "format": "date-time"}}},
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                   "details": {}}}}},
            },
            "responses": {"Error": {"description": "错误", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}}},
        },
    }
