"""The annual programme cycle: phases, submissions, expert review, publicity, award, and what the
public page may show (published snapshots)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_api.db import Base, UTCDateTime, utcnow
from feedback_api.models.users import User
from feedback_api.models.windows import Unit, Window


class Cycle(Base):
    """One programme year (年度创建周期)."""

    __tablename__ = "cycles"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    phases: Mapped[list[CyclePhase]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan",
        order_by="[CyclePhase.starts_on, CyclePhase.ends_on]",
        lazy="selectin")

    def phase(self, kind: str) -> CyclePhase | None:
        return next((p for p in self.phases if p.kind == kind), None)


class CyclePhase(Base):
    """A phase of the year with its dates; ``ends_on`` is the deadline of what is due in it."""

    __tablename__ = "cycle_phases"
    __table_args__ = (
        sa.UniqueConstraint("cycle_id", "kind", name="uq_cycle_phases_cycle_kind"),
        sa.CheckConstraint("starts_on <= ends_on", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"))
    #: ``reference.CYCLE_PHASES``: recommendation, management_rules, review, publicity.
    kind: Mapped[str] = mapped_column(sa.String(32))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)

    cycle: Mapped[Cycle] = relationship(back_populates="phases")


class Submission(Base):
    """One document submitted in the cycle: a recommendation form, a creation plan, management
    rules, a summary or a good practice. Its fields are ``data`` (per kind, see
    ``services.cycle.SUBMISSION_FIELDS``); ``industry`` and ``unit_id`` decide who sees it."""

    __tablename__ = "cycle_submissions"
    __table_args__ = (
        sa.CheckConstraint("state in ('draft', 'submitted', 'returned', 'accepted')", name="state"),
        sa.Index("ix_cycle_submissions_cycle_kind", "cycle_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"))
    #: ``reference.SUBMISSION_KINDS``.
    kind: Mapped[str] = mapped_column(sa.String(32))
    industry: Mapped[str] = mapped_column(sa.String(32), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("windows.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: draft 草稿 → submitted 已提交 → returned 退回修改 (with a reason) → … → accepted 已受理.
    state: Mapped[str] = mapped_column(sa.String(16), default="draft")
    #: First submission after the phase deadline (a resubmission after a return is not late).
    late: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str] = mapped_column(sa.Text, default="")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    cycle: Mapped[Cycle] = relationship()
    unit: Mapped[Unit | None] = relationship()
    window: Mapped[Window | None] = relationship()
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[SubmissionAttachment]] = relationship(
        back_populates="submission", cascade="all, delete-orphan",
        order_by="SubmissionAttachment.id", lazy="selectin")


class SubmissionAttachment(Base):
    """A file of a submission, kept in the content-addressed store (``services.files``)."""

    __tablename__ = "cycle_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cycle_submissions.id", ondelete="CASCADE"), index=True)
    checksum: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(sa.String(100))
    filename: Mapped[str] = mapped_column(sa.String(200))
    uploaded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="attachments")


class ExpertAssignment(Base):
    """One expert assigned to one candidate (a recommendation), and the expert's score.

    The score is a total (0–100) plus, optionally, ``items``: scores keyed by indicator code of
    the year's evaluation standard. Checking ``items`` against the standard and summing them
    comes with the standard (issue 14); until then the total is what counts."""

    __tablename__ = "cycle_expert_assignments"
    __table_args__ = (
        sa.UniqueConstraint("submission_id", "expert_id", name="uq_cycle_expert_assignments_pair"),
        sa.CheckConstraint("total is null or (total >= 0 and total <= 100)", name="total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cycle_submissions.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    total: Mapped[float | None] = mapped_column(sa.Numeric(5, 2, asdecimal=False))
    items: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Withdrawn for a conflict of interest (回避): declared by the expert before scoring, or by
    #: the office. Kept for the record; a withdrawn assignment counts nowhere.
    recused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recusal_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    recused_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    submission: Mapped[Submission] = relationship()
    expert: Mapped[User] = relationship(foreign_keys=[expert_id])

    @property
    def live(self) -> bool:
        return self.recused_at is None

    @property
    def declared_by_expert(self) -> bool:
        """Whether the expert declared the conflict (申请回避), not the office."""
        return self.recused_at is not None and self.recused_by == self.expert_id


class Publicity(Base):
    """A publicity period (公示) of the year's review results."""

    __tablename__ = "cycle_publicity"
    __table_args__ = (sa.CheckConstraint("starts_on <= ends_on", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    notice: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cycle: Mapped[Cycle] = relationship()
    entries: Mapped[list[PublicityEntry]] = relationship(
        back_populates="publicity", cascade="all, delete-orphan", order_by="PublicityEntry.rank",
        lazy="selectin")


class PublicityEntry(Base):
    """One candidate on the publicity list: a snapshot of what is published (the public page
    reads these, never the working tables), and the award once given."""

    __tablename__ = "cycle_publicity_entries"
    __table_args__ = (
        sa.UniqueConstraint("publicity_id", "submission_id", name="uq_cycle_publicity_entries_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    publicity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cycle_publicity.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("cycle_submissions.id"))
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("windows.id"), index=True)
    rank: Mapped[int] = mapped_column(default=0)
    #: Published text: window name, unit name, industry, mean score (no personal data).
    window_name: Mapped[str] = mapped_column(sa.String(200))
    unit_name: Mapped[str] = mapped_column(sa.String(200))
    industry: Mapped[str] = mapped_column(sa.String(32))
    score: Mapped[float | None] = mapped_column(sa.Numeric(5, 2, asdecimal=False))
    awarded_on: Mapped[date | None] = mapped_column(sa.Date)

    publicity: Mapped[Publicity] = relationship(back_populates="entries")
    window: Mapped[Window] = relationship()
    objections: Mapped[list[Objection]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="Objection.id",
        lazy="selectin")


class Objection(Base):
    """An objection (异议) raised during publicity, recorded by the office and answered."""

    __tablename__ = "cycle_objections"
    __table_args__ = (
        sa.CheckConstraint("outcome in ('pending', 'dismissed', 'upheld')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cycle_publicity_entries.id", ondelete="CASCADE"), index=True)
    received_on: Mapped[date] = mapped_column(sa.Date)
    #: How it came in (来信、来电、网上留言); who raised it stays off this platform's pages.
    channel: Mapped[str] = mapped_column(sa.String(50), default="")
    text: Mapped[str] = mapped_column(sa.Text)
    outcome: Mapped[str] = mapped_column(sa.String(16), default="pending")
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Raised by a member of the public on the public page (not recorded by the office).
    from_public: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The public's optional phone or e-mail, for the office's answer; never shown publicly.
    contact: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[PublicityEntry] = relationship(back_populates="objections")


class PublishedSnapshot(Base):
    """What the public page may show about a window (or an industry) for a period, frozen when
    published: ``kind`` 'good_practice' (from an accepted good practice) or 'assessment' (the
    quarterly assessment result; the assessment issue fills these, the public page shows the
    latest one per window when present)."""

    __tablename__ = "published_snapshots"
    __table_args__ = (
        sa.UniqueConstraint("kind", "source", name="uq_published_snapshots_kind_source"),
        sa.Index("ix_published_snapshots_kind_window", "kind", "window_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    #: What it was published from, unique per kind (e.g. ``submission:12``, ``assessment:2026Q3:W1``).
    source: Mapped[str] = mapped_column(sa.String(100))
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("windows.id", ondelete="CASCADE"))
    industry: Mapped[str] = mapped_column(sa.String(32), default="")
    #: ``2026`` for a year, ``2026Q3`` for a quarter.
    period: Mapped[str] = mapped_column(sa.String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    window: Mapped[Window | None] = relationship()


class CycleReminder(Base):
    """A reminder sent (or queued) before a deadline; unique so the job is idempotent."""

    __tablename__ = "cycle_reminders"
    __table_args__ = (
        sa.UniqueConstraint("cycle_id", "phase", "target", "days_before",
                            name="uq_cycle_reminders_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"))
    phase: Mapped[str] = mapped_column(sa.String(32))
    #: ``industry:<code>`` or ``unit:<code>``: who is reminded.
    target: Mapped[str] = mapped_column(sa.String(100))
    days_before: Mapped[int]
    due_on: Mapped[date] = mapped_column(sa.Date)
    message: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
