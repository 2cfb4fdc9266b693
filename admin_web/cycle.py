"""The annual programme cycle pages (issue 15)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cycle", __name__, url_prefix="/cycle")
