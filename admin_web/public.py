"""The public page (/public): no sign-in, published data only."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__, url_prefix="/public")
