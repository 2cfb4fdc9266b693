"""All mapped models; importing this module registers every table on ``Base.metadata``."""

from feedback_api.models.cycle import (
    Cycle,
    CyclePhase,
    CycleReminder,
    ExpertAssignment,
    Objection,
    Publicity,
    PublicityEntry,
    PublishedSnapshot,
    Submission,
    SubmissionAttachment,
)
from feedback_api.models.feedback import Citizen, CitizenContact, Feedback, FeedbackAnswer
from feedback_api.models.ratelimit import RateLimitHit
from feedback_api.models.review import Correction
from feedback_api.models.users import ApiToken, AuditLog, User, UserScope
from feedback_api.models.wechat import (
    FeedbackEvidence,
    OutboundMessage,
    WechatConversation,
    WechatInboundMessage,
    WindowQrCode,
)
from feedback_api.models.windows import Unit, Window

__all__ = [
    "ApiToken",
    "AuditLog",
    "Citizen",
    "CitizenContact",
    "Correction",
    "Cycle",
    "CyclePhase",
    "CycleReminder",
    "ExpertAssignment",
    "Feedback",
    "FeedbackAnswer",
    "FeedbackEvidence",
    "Objection",
    "OutboundMessage",
    "Publicity",
    "PublicityEntry",
    "PublishedSnapshot",
    "RateLimitHit",
    "Submission",
    "SubmissionAttachment",
    "Unit",
    "User",
    "UserScope",
    "WechatConversation",
    "WechatInboundMessage",
    "Window",
    "WindowQrCode",
]
