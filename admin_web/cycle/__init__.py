"""The annual programme cycle pages (issue 15), one blueprint per part of the year:

- ``year``: the year's phases and deadlines, the status of every submission per authority;
- ``submissions``: a form per submission kind with attachments, drafts, submit, return with a
  reason, accept, a print view, publishing good practices;
- ``review``: assigning experts, the expert's scoring, the review results and the exports;
- ``publicity``: publicity with objections, and the award.

What they share is here: who may use the cycle pages, the vocabularies their templates use,
and the lookups that turn a service's refusal into a 404."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from admin_web.common import actor, found_or_404
from feedback_api.models import Cycle, Submission, User
from feedback_api.models.reference import (
    CYCLE_PHASES,
    OBJECTION_OUTCOMES,
    SUBMISSION_KINDS,
    SUBMISSION_STATES,
)
from feedback_api.services import cycle as svc

#: Every role with a part in the cycle (the agency has none): ``svc.can_use``.
CYCLE_ROLES = ("office", "authority", "unit", "expert")
#: Who fills in forms (experts score; they never submit).
SUBMITTERS = ("office", "authority", "unit")


def vocabularies() -> dict[str, Any]:
    return {"CYCLE_PHASES": CYCLE_PHASES, "SUBMISSION_KINDS": SUBMISSION_KINDS,
            "SUBMISSION_STATES": SUBMISSION_STATES, "OBJECTION_OUTCOMES": OBJECTION_OUTCOMES,
            "today": svc.local_today()}


def blueprint(name: str, import_name: str, url_prefix: str = "/cycle") -> Blueprint:
    """A cycle blueprint with the cycle's template vocabularies."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.context_processor(vocabularies)
    return bp


def cycle_or_404(year: int) -> Cycle:
    return found_or_404(lambda: svc.get_cycle(year))


def submission_or_404(submission_id: int) -> Submission:
    return found_or_404(lambda: svc.get_submission(actor(), submission_id))


def kinds_for(user: User) -> list[str]:
    """The submission kinds ``user``'s role may fill in."""
    return [k for k, roles in svc.SUBMITTER_ROLES.items() if user.role in roles]


def form_errors(form: Any) -> str:
    return "；".join(e for errs in form.errors.values() for e in errs)
