"""Error responses: JSON for the API and JSON clients, a Chinese page for people; never a trace.

The page for people is the composition root's (``create_app(error_page=...)``); the core alone
answers with a plain one."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, jsonify, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from feedback_api.db import Session
from feedback_api.services.errors import ServiceError

log = logging.getLogger(__name__)

#: Chinese messages for HTTP statuses people may meet.
STATUS_MESSAGES = {
    400: "请求有误",
    401: "请先登录或提供有效的访问令牌",
    403: "无权进行此操作",
    404: "页面或数据不存在",
    405: "不支持该请求方法",
    413: "上传内容过大",
    415: "不支持的内容类型",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误，请稍后再试",
    503: "系统繁忙，请稍后再试",
}
STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    429: "too_many_requests", 500: "internal_error", 503: "busy",
}


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    accept = request.accept_mimetypes
    return best == "application/json" and accept[best] > accept["text/html"]


def error_response(status: int, message: str, code: str | None = None, details: Any = None) -> Response:
    code = code or STATUS_CODES.get(status, "error")
    if wants_json():
        body: dict[str, Any] = {"error": {"code": code, "message": message}}
        if details is not None:
            body["error"]["details"] = details
        resp = jsonify(body)
    else:
        page = current_app.extensions.get("ww_error_page")
        if page is not None:
            html = page(status, message, details)
        else:
            html = f"<!doctype html><meta charset=utf-8><title>{status}</title><p>{escape(message)}</p>"
        resp = Response(html, mimetype="text/html")
    resp.status_code = status
    if status == 401 and request.path.startswith("/api/"):
        resp.headers["WWW-Authenticate"] = 'Bearer realm="window-watch"'
    return resp


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        Session.rollback()
        return error_response(exc.status, exc.message, exc.code, exc.details)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Response:
        return error_response(400, "页面已过期或缺少安全校验（CSRF），请刷新页面后重试", "csrf_failed")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = STATUS_MESSAGES.get(status, exc.name)
        if status == 400 and exc.description and getattr(exc, "ww_message", None):
            message = exc.ww_message  # type: ignore[attr-defined]
        resp = error_response(status, message)
        if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.TimeoutError)
    def _database_busy(exc: Exception) -> Response:
        # A lock or statement timeout, a full pool, a database restarting: the request did
        # nothing; the client may try again shortly. The driver's own message is logged (SQLite
        # also reports a missing table this way), not the statement or its parameters.
        cause = getattr(exc, "orig", None) or exc
        detail = (str(cause).splitlines() or [""])[0]
        log.warning("database busy or unavailable on %s %s: %s: %s", request.method, request.path,
                    type(cause).__name__, detail)
        try:
            Session.rollback()
        except Exception:
            log.warning("rollback failed after a database error")
        resp = error_response(503, STATUS_MESSAGES[503])
        resp.headers["Retry-After"] = "5"
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        try:
            Session.rollback()
        except Exception:  # the session may itself be broken; the error page must still answer
            log.exception("rollback failed")
        return error_response(500, STATUS_MESSAGES[500])
