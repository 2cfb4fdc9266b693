"""The JSON API under /api/v1: bearer tokens (or a signed-in browser), scoped like the user.

Built with flask-smorest: one marshmallow schema per resource (``*_schemas.py``, on the fields
and base schemas of ``schemas.py``) validates the input, dumps the output and is the OpenAPI
document at ``/api/v1/openapi.json``.

To add a resource (tickets, say):

1. In ``tickets_schemas.py``: ``TicketSchema(ApiSchema)`` with its fields (``dump_only`` for
   what the server sets; ``Str``/``Int``/``Day``/``Bool`` carry Chinese messages), and
   ``TicketQuery(PageQuery)`` for the list's filters.
2. In a views module imported below, on ``bp``::

       @bp.get("/tickets")
       @bp.arguments(TicketQuery, location="query")
       @bp.response(200, page_schema(TicketSchema))
       def list_tickets(query):
           items, total = ticket_service.list_tickets(api_user(), **query)
           return page(items, total, query)

   Writes take ``@bp.arguments(TicketSchema)`` (a JSON body; ``TicketSchema(partial=True)``
   for PATCH), call a service that raises ``ServiceError`` (403/404/409 become JSON
   errors) and commit. An operation without query parameters still takes ``@no_query``,
   so a stray parameter is refused. Scope checks live in the services: outside a user's scope
   a thing does not exist (404).
3. Nothing else: the document follows, and tests/feedback_api/test_api.py checks that every
   route is in it and test_api_schema.py that live responses match it.

An operation that needs another package (the assessment needs ``analytics``, which the core may
not import) lives there on its own ``extension_blueprint(...)``; the composition root passes it
to ``create_app(api_blueprints=...)`` and it joins the same document, parser and token checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from flask_smorest import Api, Blueprint

from feedback_api.api.params import Parser
from feedback_api.api.schemas import ErrorSchema

bp = Blueprint("api", __name__, url_prefix="/api/v1",
               description="文明诚信示范窗口监督平台 JSON 接口；令牌按用户范围授权。")
bp.ARGUMENTS_PARSER = Parser(unknown=None)


class _Api(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """Errors are the app's own JSON errors (feedback_api.errors), not flask-smorest's."""


def _schema_name(schema: Any) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    return name + "Patch" if getattr(schema, "partial", False) else name


def _empty_means_absent(converter: Any, field: Any, *, ret: dict[str, Any], **kwargs: Any) -> dict:
    """Documents what params.Parser does: ``?rating=`` is no filter, as forms send it."""
    return {"allowEmptyValue": True} if ret.get("in") == "query" and not field.required else {}


def extension_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint of /api/v1 operations kept outside the core, read and authenticated as
    ``bp`` is (unknown parameters refused, bearer token or signed-in browser with CSRF)."""
    from feedback_api.api.auth import authenticate_request
    from feedback_api.extensions import csrf

    ext = Blueprint(name, import_name, url_prefix="/api/v1")
    ext.ARGUMENTS_PARSER = Parser(unknown=None)
    csrf.exempt(ext)  # checked in authenticate_request, for browser sessions only
    ext.before_request(authenticate_request)
    return ext


def init_api(app: Flask, extensions: Iterable[Blueprint] = ()) -> Api:
    """Mount the API on ``app`` (the factory calls this once per app), with the composition
    root's ``extensions`` (see ``extension_blueprint``)."""
    api = _Api(app, spec_kwargs={
        "title": "window-watch API", "version": "1", "openapi_version": "3.1.0",
        "security": [{"bearer": []}],
        "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=_schema_name)})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.ma_plugin.converter.add_parameter_attribute_function(_empty_means_absent)
    api.register_blueprint(bp)
    for ext in extensions:
        api.register_blueprint(ext)
    return api


from feedback_api.api import (  # noqa: E402,F401  (routes register on bp)
    assessment_views,
    cycle_views,
    ticket_views,
    views,
)
