"""The generic app factory: config, database, extensions, errors, API; callers add blueprints."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, jsonify, request
from flask.cli import AppGroup
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from feedback_api import db, schema
from feedback_api.config import load_config
from feedback_api.errors import error_response, register_error_handlers
from feedback_api.extensions import csrf, login_manager
from feedback_api.models import User


class _SessionInterface(SecureCookieSessionInterface):
    """The cookie session, skipped on machine-to-machine paths that never carry one.

    A blueprint adds its path to ``app.extensions["ww_sessionless_paths"]`` (a channel's
    webhook does): such a caller never sends the cookie, so no session is opened for it."""

    def open_session(self, app: Flask, request: Any) -> SessionMixin | None:
        if request.path in app.extensions.get("ww_sessionless_paths", ()):
            return self.null_session_class()
        return super().open_session(app, request)


#: Set on every response.
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "SAMEORIGIN"),
                    ("Referrer-Policy", "same-origin"))


def create_app(
    config: dict[str, Any] | None = None,
    *,
    blueprints: Iterable[Blueprint] = (),
    cli_groups: Iterable[AppGroup] = (),
    import_name: str = "window_watch",
) -> Flask:
    app = Flask(import_name)
    app.config.from_mapping(load_config(config))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.session_interface = _SessionInterface()
    if not app.debug:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)

    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_message = "请先登录"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        try:
            user = db.Session.get(User, int(user_id))
        except ValueError:
            return None
        return user if user is not None and user.active else None

    register_error_handlers(app)

    from feedback_api.api import bp as api_bp
    from feedback_api.cli import register_cli

    app.register_blueprint(api_bp)
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
        ok = current == head
        return jsonify({"status": "ok" if ok else "migration_needed", "database": "ok",
                        "schema_revision": current, "schema_head": head}), 200 if ok else 503

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

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        # A view's own value is kept.
        present = {name.lower() for name, _ in resp.headers.items()}
        for name, value in SECURITY_HEADERS:
            if name.lower() not in present:
                resp.headers.add(name, value)
        return resp

    return app
