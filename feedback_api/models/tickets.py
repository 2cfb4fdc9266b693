"""Supervision tickets (督办单) with their rounds (督办轮次), call-backs (回访), appeals (申诉),
evidence files of responses and appeals, and the office's own holiday calendar."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_api.db import Base, UTCDateTime, utcnow
from feedback_api.models.feedback import Feedback
from feedback_api.models.users import User
from feedback_api.models.windows import Window


class Ticket(Base):
    """A supervised problem sent to a window's unit to fix, on a deadline, pushed in rounds."""

    __tablename__ = "tickets"
    __table_args__ = (
        sa.CheckConstraint("source in ('feedback', 'inspection', 'office')", name="source"),
        sa.CheckConstraint("state in ('open', 'responded', 'closed', 'cancelled')", name="state"),
        sa.Index("ix_tickets_window_state", "window_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Readable number, e.g. ``DB20261206-7K3QX2``.
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    #: Indexed first in ix_tickets_window_state.
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("windows.id"))
    #: Code from ``reference.TOPICS``.
    topic: Mapped[str] = mapped_column(sa.String(32))
    #: What must be fixed (never the citizen's identity: masked opinions only).
    problem: Mapped[str] = mapped_column(sa.Text)
    #: feedback / inspection / office (``reference.TICKET_SOURCES``).
    source: Mapped[str] = mapped_column(sa.String(16))
    #: A plain reference to the source outside feedback, e.g. an inspection's record number.
    source_ref: Mapped[str] = mapped_column(sa.String(200), default="")
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: open (the unit must respond) / responded (the agency must verify) / closed / cancelled
    #: (every source feedback excluded, or the office's decision: no clock, no count).
    state: Mapped[str] = mapped_column(sa.String(16), default="open")
    #: The call-back (回访) deadline, a local date (tickets born from feedback only); indexed
    #: for the agency's next deadline in the nav.
    callback_due: Mapped[date | None] = mapped_column(sa.Date, index=True)
    #: Set by the clock job (or a late call-back): the call-back missed its deadline.
    callback_overdue: Mapped[bool] = mapped_column(default=False)
    #: The current round's fix deadline (copied from the round, for lists and filters).
    fix_due: Mapped[date] = mapped_column(sa.Date, index=True)
    #: Whether any round of this ticket went past its deadline (the desk's "overdue" filter).
    overdue: Mapped[bool] = mapped_column(default=False, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Why it was cancelled (已撤销); who cancelled it is ``closed_by`` (None: the system, when
    #: its last feedback was excluded), when is ``closed_at``.
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)

    window: Mapped[Window] = relationship()
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    #: Who closed (verified) or cancelled it.
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    rounds: Mapped[list[TicketRound]] = relationship(
        back_populates="ticket", order_by="TicketRound.number", cascade="all, delete-orphan")
    #: The feedback the ticket answers (read only: TicketFeedback rows link them).
    feedback: Mapped[list[Feedback]] = relationship(
        secondary="ticket_feedback", order_by="Feedback.received_at", viewonly=True)


class TicketRound(Base):
    """One push (督办轮次) of a ticket: its deadline, the unit's response and the verdict."""

    __tablename__ = "ticket_rounds"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "number", name="uq_ticket_rounds_ticket_number"),
        sa.CheckConstraint("verdict is null or verdict in ('verified', 'sent_back', 'transferred')",
                           name="verdict"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    #: 1 for the first push; a ticket sent back (or transferred) opens number + 1.
    number: Mapped[int]
    #: The window this round was pushed to: the ticket's, unless it was transferred since.
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("windows.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The fix deadline, a local date (end of that working day).
    due: Mapped[date] = mapped_column(sa.Date)
    response_text: Mapped[str | None] = mapped_column(sa.Text)
    responded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: null (waiting), verified (closes the ticket), sent_back (opens the next round) or
    #: transferred (已转办: the next round runs at another window; late for neither).
    verdict: Mapped[str | None] = mapped_column(sa.String(16))
    verdict_reason: Mapped[str] = mapped_column(sa.Text, default="")
    verdict_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    verdict_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The unit did not respond by the deadline (marked by the clock job or a late response).
    overdue: Mapped[bool] = mapped_column(default=False)

    ticket: Mapped[Ticket] = relationship(back_populates="rounds")
    window: Mapped[Window] = relationship()
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])
    verdict_by: Mapped[User | None] = relationship(foreign_keys=[verdict_by_id])
    files: Mapped[list[EvidenceFile]] = relationship(order_by="EvidenceFile.id", viewonly=True)


class TicketFeedback(Base):
    """A feedback about a ticket's problem; a feedback belongs to one ticket at most."""

    __tablename__ = "ticket_feedback"

    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"),
                                           primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        sa.ForeignKey("feedback_items.id", ondelete="CASCADE"), primary_key=True, unique=True)
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attached_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    feedback: Mapped[Feedback] = relationship()
    #: None: the system (when the ticket opened automatically, or grouped it automatically).
    attached_by: Mapped[User | None] = relationship()


class CallBack(Base):
    """The agency's call-back (回访) to the citizen of a ticket born from feedback."""

    __tablename__ = "ticket_callbacks"
    __table_args__ = (
        sa.CheckConstraint("outcome in ('satisfied', 'unsatisfied', 'unreachable')",
                           name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"),
                                           index=True)
    #: When the citizen was called (or tried).
    called_at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: ``reference.CALLBACK_OUTCOMES``.
    outcome: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    by: Mapped[User | None] = relationship()


class Appeal(Base):
    """A unit's appeal (申诉) against a rating it believes malicious or mistaken.

    An upheld appeal sets the feedback's ``rating_counts`` to false: every count and score
    already filters on that flag, and the feedback stays on record with this decision."""

    __tablename__ = "appeals"
    __table_args__ = (
        sa.CheckConstraint("kind in ('malicious', 'mistaken')", name="kind"),
        sa.CheckConstraint("state in ('pending', 'upheld', 'rejected')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One appeal per feedback: the agency's decision is final.
    feedback_id: Mapped[int] = mapped_column(
        sa.ForeignKey("feedback_items.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.Text)
    filed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    feedback: Mapped[Feedback] = relationship()
    filed_by: Mapped[User | None] = relationship(foreign_keys=[filed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    files: Mapped[list[EvidenceFile]] = relationship(order_by="EvidenceFile.id", viewonly=True)


class EvidenceFile(Base):
    """An image, PDF, .docx or .xlsx attached to a round's response or to an appeal, stored in the instance
    folder under our own name, with its SHA-256."""

    __tablename__ = "evidence_files"
    __table_args__ = (
        sa.CheckConstraint(
            "(CASE WHEN round_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN appeal_id IS NULL THEN 0 ELSE 1 END) = 1", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ticket_rounds.id", ondelete="CASCADE"), index=True)
    appeal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    #: The uploader's file name, shown and offered on download only.
    original_name: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarDay(Base):
    """The office's own calendar: a holiday, or a make-up working day (调休) on a weekend.
    It wins over chinese-calendar and the plain weekend rule."""

    __tablename__ = "office_calendar"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    workday: Mapped[bool]
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


#: Exactly one of a unit, an industry authority or an expert (a user) is an alert's target.
ONE_TARGET = ("(CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN industry IS NULL "
              "THEN 0 ELSE 1 END) + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1")


class UnitContact(Base):
    """An e-mail address that receives alerts: a unit's (差评, new tickets, the daily digest,
    programme reminders), an industry authority's (programme reminders) or an expert's
    (review reminders), one of them."""

    __tablename__ = "unit_contacts"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "email", name="uq_unit_contacts_unit_email"),
        sa.UniqueConstraint("industry", "email", name="uq_unit_contacts_industry_email"),
        sa.UniqueConstraint("user_id", "email", name="uq_unit_contacts_user_email"),
        sa.CheckConstraint(ONE_TARGET, name="target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"))
    #: Code from ``reference.INDUSTRIES``: the industry authority's address.
    industry: Mapped[str | None] = mapped_column(sa.String(32))
    #: An expert's own address (experts belong to no unit or industry).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    email: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffAlert(Base):
    """An e-mail alert to a unit's (or an industry authority's, or an expert's) contacts, kept
    until sent (retried, never lost)."""

    __tablename__ = "staff_alerts"
    __table_args__ = (
        sa.CheckConstraint("kind in ('bad_review', 'new_ticket', 'digest', 'cycle_reminder', "
                           "'repeat_problem')",
                           name="kind"),
        sa.CheckConstraint("status in ('pending', 'sent', 'failed', 'withdrawn')", name="status"),
        sa.CheckConstraint(ONE_TARGET, name="target"),
        sa.Index("ix_staff_alerts_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"),
                                                index=True)
    #: An industry authority's alert (programme reminders): code from ``reference.INDUSTRIES``.
    industry: Mapped[str | None] = mapped_column(sa.String(32))
    #: An expert's alert (review reminders).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: What the alert is about (``ticket:7``, ``bad:42``, ``digest:3:2026-12-07``): queued once.
    dedup_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
