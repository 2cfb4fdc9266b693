"""The public page (/public): no sign-in, published data only, nothing personal (what it shows:
feedback_api.services.public)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, make_response, render_template

from feedback_api.services.public import public_page

bp = Blueprint("public", __name__, url_prefix="/public")


@bp.get("")
def index() -> Any:
    page = public_page()
    resp = make_response(render_template("public/index.html", groups=page.groups,
                                         publicity=page.publicity, total=page.total))
    resp.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'self'"
    resp.headers["Cache-Control"] = "public, max-age=60"
    return resp
