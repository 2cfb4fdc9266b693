"""All mapped models of the core; importing this module registers their tables on ``Base.metadata``
(each citizen channel's own models register theirs)."""

from feedback_api.models.agency_report import AgencyReport, AgencyReportVersion
from feedback_api.models.assessment import (
    CovertEvidence,
    CovertInspection,
    CovertResult,
    DelistingProposal,
    Incident,
    Inspection,
    InspectionScore,
    Standard,
    StandardIndicator,
)
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
from feedback_api.models.daily import DailyRefresh, FeedbackDaily, FeedbackMonthly
from feedback_api.models.evidence import FeedbackEvidence
from feedback_api.models.feedback import Citizen, Feedback, FeedbackAnswer
from feedback_api.models.health import Heartbeat
from feedback_api.models.ratelimit import RateLimitHit
from feedback_api.models.review import Correction
from feedback_api.models.snapshots import AssessmentSnapshot, AssessmentSnapshotRow
from feedback_api.models.staff import StaffBinding
from feedback_api.models.tickets import (
    Appeal,
    CalendarDay,
    CallBack,
    EvidenceFile,
    StaffAlert,
    Ticket,
    TicketFeedback,
    TicketRound,
    UnitContact,
)
from feedback_api.models.users import ApiToken, AuditLog, User, UserScope
from feedback_api.models.windows import Unit, Window, WindowStatusChange

__all__ = [
    "DailyRefresh",
    "FeedbackDaily",
    "FeedbackMonthly",
    "AgencyReport",
    "AgencyReportVersion",
    "AssessmentSnapshot",
    "AssessmentSnapshotRow",
    "StaffBinding",
    "StandardIndicator",
    "Standard",
    "InspectionScore",
    "Inspection",
    "Incident",
    "DelistingProposal",
    "CovertResult",
    "CovertInspection",
    "CovertEvidence",
    "ApiToken",
    "Appeal",
    "CalendarDay",
    "CallBack",
    "EvidenceFile",
    "Ticket",
    "TicketFeedback",
    "TicketRound",
    "AuditLog",
    "Citizen",
    "Correction",
    "Cycle",
    "CyclePhase",
    "CycleReminder",
    "ExpertAssignment",
    "Feedback",
    "FeedbackAnswer",
    "FeedbackEvidence",
    "Heartbeat",
    "Objection",
    "Publicity",
    "PublicityEntry",
    "PublishedSnapshot",
    "RateLimitHit",
    "StaffAlert",
    "Submission",
    "SubmissionAttachment",
    "Unit",
    "UnitContact",
    "User",
    "UserScope",
    "Window",
    "WindowStatusChange",
]
