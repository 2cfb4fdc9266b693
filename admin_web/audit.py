"""The audit log page: the office reads every change (who, what, when, before and after)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from admin_web.common import paginate, role_required
from feedback_api.services import audit as audit_service

bp = Blueprint("audit", __name__)


@bp.get("/audit")
@role_required("office")
def index() -> str:
    actor = (request.args.get("actor") or "").strip()
    entity = (request.args.get("entity") or "").strip()
    page = paginate(audit_service.list_entries, actor=actor or None, entity=entity or None)
    return render_template("audit/index.html", page=page, actor=actor, entity=entity)
