"""The annual programme cycle (issue 15): the year's phases, submissions and their states, the
expert review, publicity with objections, the award, published snapshots and reminders.

Who does what: an authority submits for its own industry's windows (recommendations, creation
plans, summaries, good practices); a unit submits management rules, summaries and good
practices for its own windows; the office sees everything, returns and accepts, assigns
experts, opens publicity, answers objections and awards; an expert sees and scores only the
candidates assigned to it. Services flush; the caller commits. Every change is audited.

One module per concern: ``fields`` (forms), ``scopes`` (who sees what), ``phases`` (the year,
dates, deadlines), ``submissions``, ``attachments``, ``review`` (experts), ``recusal``
(回避), ``publicity``
(publicity and objections), ``award``, ``snapshots`` (the public page's data), ``reminders``.
Callers use this package's names (``from feedback_api.services import cycle``).
"""

from __future__ import annotations

from feedback_api.services.cycle.attachments import (
    ATTACHMENT_KINDS,
    ATTACHMENT_MAX_BYTES,
    MAX_ATTACHMENTS,
    add_attachment,
    attachment_file,
)
from feedback_api.services.cycle.award import (
    award,
)
from feedback_api.services.cycle.fields import (
    PRACTICE_KINDS,
    SUBMISSION_FIELDS,
    SUBMITTER_ROLES,
    Field,
    clean_data,
)
from feedback_api.services.cycle.phases import (
    DEADLINE_PHASE,
    DEFAULT_PHASES,
    ROLE_PHASES,
    create_cycle,
    current_cycle,
    deadline,
    get_cycle,
    list_cycles,
    local_today,
    next_deadline,
    set_phase_dates,
)
from feedback_api.services.cycle.publicity import (
    PUBLIC_TEXT_MAX,
    answer_objection,
    get_entry,
    get_objection,
    open_entry,
    open_publicities,
    open_publicity,
    public_objection,
    publicities,
    publicity_candidates,
    record_objection,
    running_publicity,
)
from feedback_api.services.cycle.recusal import (
    OWN_UNIT_RECUSAL,
    assignment_conflicts,
    declare_recusal,
    expert_conflict,
    get_assignment,
    withdraw_assignment,
)
from feedback_api.services.cycle.reminders import (
    REMIND_DAYS,
    deliver_reminders,
    remind,
    reminders,
)
from feedback_api.services.cycle.review import (
    OUTLIER_POINTS,
    ReviewResult,
    assign_expert,
    assignments_for,
    assignments_of,
    list_experts,
    outliers,
    review_results,
    score,
    score_by_standard,
    scores_locked,
    scoring_standard,
)
from feedback_api.services.cycle.scopes import (
    can_use,
    submission_clause,
)
from feedback_api.services.cycle.snapshots import (
    publish_good_practice,
    publish_snapshot,
    published_good_practice_sources,
    unpublish_good_practice,
)
from feedback_api.services.cycle.submissions import (
    AUTHORITY_DUE,
    StatusRow,
    accept,
    get_submission,
    list_submissions,
    nothing_to_submit,
    return_submission,
    save_draft,
    status_board,
    submit,
    submittable_windows,
)

__all__ = [
    "ATTACHMENT_KINDS",
    "ATTACHMENT_MAX_BYTES",
    "AUTHORITY_DUE",
    "DEADLINE_PHASE",
    "DEFAULT_PHASES",
    "Field",
    "MAX_ATTACHMENTS",
    "OUTLIER_POINTS",
    "OWN_UNIT_RECUSAL",
    "PRACTICE_KINDS",
    "REMIND_DAYS",
    "ROLE_PHASES",
    "ReviewResult",
    "SUBMISSION_FIELDS",
    "SUBMITTER_ROLES",
    "StatusRow",
    "accept",
    "add_attachment",
    "answer_objection",
    "assign_expert",
    "assignment_conflicts",
    "assignments_for",
    "assignments_of",
    "attachment_file",
    "award",
    "can_use",
    "clean_data",
    "create_cycle",
    "current_cycle",
    "deadline",
    "declare_recusal",
    "deliver_reminders",
    "expert_conflict",
    "get_cycle",
    "get_assignment",
    "get_entry",
    "get_objection",
    "get_submission",
    "list_cycles",
    "list_experts",
    "list_submissions",
    "local_today",
    "next_deadline",
    "nothing_to_submit",
    "open_publicities",
    "open_publicity",
    "running_publicity",
    "open_entry",
    "outliers",
    "PUBLIC_TEXT_MAX",
    "public_objection",
    "publicities",
    "publicity_candidates",
    "publish_good_practice",
    "publish_snapshot",
    "published_good_practice_sources",
    "record_objection",
    "remind",
    "reminders",
    "return_submission",
    "review_results",
    "save_draft",
    "score",
    "score_by_standard",
    "scores_locked",
    "scoring_standard",
    "set_phase_dates",
    "status_board",
    "submission_clause",
    "submit",
    "submittable_windows",
    "unpublish_good_practice",
    "withdraw_assignment",
]
