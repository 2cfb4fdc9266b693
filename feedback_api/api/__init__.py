"""The JSON API under /api/v1: bearer tokens (or a signed-in browser), scoped like the user."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from feedback_api.api import views  # noqa: E402,F401  (routes register on bp)
