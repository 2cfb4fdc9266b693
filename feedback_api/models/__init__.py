"""All mapped models of the core; importing this module registers their tables on ``Base.metadata``
(each citizen channel's own models register theirs)."""

from feedback_api.models.evidence import FeedbackEvidence
from feedback_api.models.feedback import Citizen, Feedback, FeedbackAnswer
from feedback_api.models.ratelimit import RateLimitHit
from feedback_api.models.review import Correction
from feedback_api.models.users import ApiToken, AuditLog, User, UserScope
from feedback_api.models.windows import Unit, Window

__all__ = [
    "ApiToken",
    "AuditLog",
    "Citizen",
    "Correction",
    "Feedback",
    "FeedbackAnswer",
    "FeedbackEvidence",
    "RateLimitHit",
    "Unit",
    "User",
    "UserScope",
    "Window",
]
