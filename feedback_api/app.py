"""The generic app factory: config, database, extensions, errors, API; callers add blueprints.

The composition root (admin_web.app) passes the blueprints, CLI commands and the HTML error page,
and wires the sign-in; the core alone serves the JSON API to bearer tokens."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import click
import sqlalchemy as sa
from flask import Blueprint, Flask, Response, jsonify, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_login import LoginManager

from feedback_api import db, redact, schema
from feedback_api.config import load_config
from feedback_api.errors import error_response, register_error_handlers
from feedback_api.extensions import csrf
from feedback_api.services import health


class _SessionInterface(SecureCookieSessionInterface):
    """The cookie session, skipped on machine-to-machine paths that never carry one.

    A blueprint adds its path to ``app.extensions["ww_sessionless_paths"]`` (a channel's
    webhook does): such a caller never sends the cookie, so no session is opened for it."""

    def open_session(self, app: Flask, request: Any) -> SessionMixin | None:
        if request.path in app.extensions.get("ww_sessionless_paths", ()):
            return self.null_session_class()
        return super().open_session(app, request)


#: Set on every response. Pages load scripts,
#: styles and images from this site only (nothing inline, no CDN), so the policy costs nothing.
CONTENT_SECURITY_POLICY = ("default-src 'self'; base-uri 'self'; form-action 'self'; "
                           "frame-ancestors 'self'; object-src 'none'")
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "SAMEORIGIN"),
                    ("Referrer-Policy", "same-origin"),
                    ("Content-Security-Policy", CONTENT_SECURITY_POLICY))
#: Browsers that once saw the site over HTTPS keep to it for a year (sent when cookies are
#: HTTPS-only, i.e. the site is served over HTTPS).
HSTS = ("Strict-Transport-Security", "max-age=31536000")


def create_app(
    config: dict[str, Any] | None = None,
    *,
    blueprints: Iterable[Blueprint] = (),
    api_blueprints: Iterable[Blueprint] = (),
    cli_groups: Iterable[click.Command] = (),
    error_page: Callable[[int, str, Any], str] | None = None,
    import_name: str = "feedback_api",
) -> Flask:
    """The app with the core's API, CLI and error handling, plus the caller's ``blueprints``,
    ``api_blueprints`` (more /api/v1 operations, from feedback_api.api.extension_blueprint) and
    ``cli_groups``; ``error_page(status, message, details)`` renders errors for people (else a
    plain page)."""
    app = Flask(import_name)
    app.config.from_mapping(load_config(config))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.session_interface = _SessionInterface()
    if not app.debug:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)
    # Whatever a library puts in a log line (a URL with secret= or access_token=), not in ours.
    redact.install()

    db.init_app(app)

    @app.before_request
    def _request_limit() -> None:
        # Registered before CSRF, which reads the form: a view marked by files.request_limit
        # (large evidence files) takes bigger bodies; every other keeps MAX_CONTENT_LENGTH.
        limit = getattr(app.view_functions.get(request.endpoint or ""), "ww_request_limit", None)
        if limit is not None:
            request.max_content_length = limit()

    csrf.init_app(app)
    # One login manager per app; the composition root sets its user loader and login view. The
    # core alone signs nobody in (the API then reads bearer tokens only).
    login_manager = LoginManager(app)
    login_manager.user_loader(lambda _user_id: None)

    if error_page is not None:
        app.extensions["ww_error_page"] = error_page
    register_error_handlers(app)

    from feedback_api.api import init_api
    from feedback_api.cli import register_cli

    init_api(app, api_blueprints)
    for bp in blueprints:
        app.register_blueprint(bp)
    register_cli(app)
    for group in cli_groups:
        app.cli.add_command(group)

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        head = schema.head_revision()
        try:
            with db.get_engine().connect() as conn:
                conn.execute(sa.text("SELECT 1"))
                current = schema.current_revision(conn)
        except Exception as exc:  # report, never raise: this is what monitoring polls
            app.logger.warning("healthz: database unreachable: %s", exc)
            return jsonify({"status": "error", "database": "unreachable",
                            "schema_revision": None, "schema_head": head}), 503
        if current != head:
            return jsonify({"status": "migration_needed", "database": "ok",
                            "schema_revision": current, "schema_head": head}), 503
        components = health.component_checks()
        degraded = any(c.get("status") != "ok" for c in components.values())
        return jsonify({"status": "degraded" if degraded else "ok", "database": "ok",
                        "schema_revision": current, "schema_head": head,
                        "components": components}), 200

    @app.before_request
    def _refuse_nul_characters() -> Response | None:
        # PostgreSQL cannot store NUL in text, and no real input contains it: refuse it at the
        # door rather than let it reach a query as a 500.
        values: list[Any] = [request.path, *request.args.values()]
        if request.view_args:
            values += request.view_args.values()
        if request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            values += request.form.values()
        if any(isinstance(v, str) and "\x00" in v for v in values):
            return error_response(400, "请求含有非法字符（NUL）", "invalid_character")
        return None

    @app.before_request
    def _writes_take_the_lock_first() -> None:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        view = app.view_functions.get(request.endpoint or "")
        if view is not None and not getattr(view, "ww_own_transaction", False):
            db.begin_request_write()

    headers = (*SECURITY_HEADERS, HSTS) if app.config["SESSION_COOKIE_SECURE"] else SECURITY_HEADERS

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        # A view's own value is kept.
        present = {name.lower() for name, _ in resp.headers.items()}
        for name, value in headers:
            if name.lower() not in present:
                resp.headers.add(name, value)
        return resp

    return app
