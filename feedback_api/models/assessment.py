"""The evaluation standard (测评标准) and the records the assessment (量化考核) is computed from:
quarterly comprehensive inspections (综合检查), covert inspections (暗查), incidents (重大事件),
and the delisting proposals (摘牌建议) the rules open."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_api.db import Base, UTCDateTime, utcnow
from feedback_api.models.windows import Window


class Standard(Base):
    """One year's standard: its indicators, the inspection pass line, the composite's weights and
    the incidents' deductions."""

    __tablename__ = "standards"
    __table_args__ = (
        sa.CheckConstraint("year >= 2000 and year <= 2100", name="year"),
        sa.CheckConstraint("pass_score >= 0", name="pass_score"),
        sa.CheckConstraint("weight_feedback >= 0 and weight_inspection >= 0 and weight_covert >= 0"
                           " and weight_tickets >= 0", name="weights"),
        sa.CheckConstraint("deduction_general >= 0 and deduction_general <= 100"
                           " and deduction_major >= 0 and deduction_major <= 100",
                           name="deductions"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: An inspection passes when its total reaches this many points (of the indicators' sum).
    pass_score: Mapped[float]
    #: The composite's weights: public feedback, quarterly inspections, covert inspections,
    #: ticket handling. Any non-negative numbers; the assessment normalises them.
    weight_feedback: Mapped[float]
    weight_inspection: Mapped[float]
    weight_covert: Mapped[float]
    weight_tickets: Mapped[float]
    #: Points taken from the composite per incident (重大事件) of the period, general (一般) and
    #: major (重大); 0–100 each. 0 in the standards stored before they were (migration 0045).
    deduction_general: Mapped[float] = mapped_column(server_default="0")
    deduction_major: Mapped[float] = mapped_column(server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    indicators: Mapped[list[StandardIndicator]] = relationship(
        back_populates="standard", order_by="StandardIndicator.position",
        cascade="all, delete-orphan", lazy="selectin")

    @property
    def max_score(self) -> float:
        return sum(i.weight for i in self.indicators)


class StandardIndicator(Base):
    """One checkable item (测评指标): scored 0..weight points in an inspection, pass or fail in a
    covert inspection."""

    __tablename__ = "standard_indicators"
    __table_args__ = (
        sa.UniqueConstraint("standard_id", "name", name="uq_standard_indicators_standard_name"),
        sa.CheckConstraint("weight > 0", name="weight"),
        sa.CheckConstraint("pass_line >= 0 and pass_line <= weight", name="pass_line"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(sa.ForeignKey("standards.id", ondelete="CASCADE"))
    #: Category: a topic code of ``reference.TOPICS`` (the opinions' topics are the same list).
    category: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(100))
    #: 分值: the most points an inspection can give this indicator.
    weight: Mapped[float]
    #: 合格线: fewer points than this fail the indicator.
    pass_line: Mapped[float]
    position: Mapped[int] = mapped_column(default=0)

    standard: Mapped[Standard] = relationship(back_populates="indicators")


class Inspection(Base):
    """An authority's quarterly comprehensive inspection of one window (one per quarter)."""

    __tablename__ = "inspections"
    __table_args__ = (
        sa.UniqueConstraint("window_id", "year", "quarter", name="uq_inspections_window_quarter"),
        sa.CheckConstraint("quarter >= 1 and quarter <= 4", name="quarter"),
        sa.Index("ix_inspections_year_quarter", "year", "quarter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("windows.id"))
    year: Mapped[int]
    quarter: Mapped[int] = mapped_column(sa.SmallInteger)
    inspected_on: Mapped[date] = mapped_column(sa.Date)
    #: 检查人员, as written on the form ("张三、李四").
    inspectors: Mapped[str] = mapped_column(sa.String(200))
    standard_id: Mapped[int] = mapped_column(sa.ForeignKey("standards.id"))
    #: Kept as computed when entered, so a later edit of the standard does not rewrite history.
    total: Mapped[float]
    max_total: Mapped[float]
    passed: Mapped[bool]
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    entered_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    window: Mapped[Window] = relationship()
    scores: Mapped[list[InspectionScore]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="InspectionScore.indicator_id")


class InspectionScore(Base):
    __tablename__ = "inspection_scores"

    inspection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("standard_indicators.id"),
                                              primary_key=True)
    score: Mapped[float]
    passed: Mapped[bool]

    indicator: Mapped[StandardIndicator] = relationship(lazy="joined")


class CovertInspection(Base):
    """The office's unannounced check of one window: pass or fail per indicator."""

    __tablename__ = "covert_inspections"
    __table_args__ = (sa.Index("ix_covert_inspections_window_on", "window_id", "inspected_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Indexed first in ix_covert_inspections_window_on.
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("windows.id"))
    inspected_on: Mapped[date] = mapped_column(sa.Date)
    standard_id: Mapped[int] = mapped_column(sa.ForeignKey("standards.id"))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    entered_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    window: Mapped[Window] = relationship()
    results: Mapped[list[CovertResult]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CovertResult.indicator_id")
    evidence: Mapped[list[CovertEvidence]] = relationship(
        cascade="all, delete-orphan", order_by="CovertEvidence.id")


class CovertResult(Base):
    __tablename__ = "covert_results"

    covert_inspection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("covert_inspections.id", ondelete="CASCADE"), primary_key=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("standard_indicators.id"),
                                              primary_key=True)
    passed: Mapped[bool]

    indicator: Mapped[StandardIndicator] = relationship(lazy="joined")


class CovertEvidence(Base):
    """A file (photo, recording, video, document) of a covert inspection, in the shared store
    (``services.files``) under its SHA-256."""

    __tablename__ = "covert_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    covert_inspection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("covert_inspections.id", ondelete="CASCADE"), index=True)
    #: The name it was uploaded with (shown, never used as a path).
    filename: Mapped[str] = mapped_column(sa.String(200))
    #: Sniffed from the content when stored.
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int]
    #: The content's SHA-256: also its name in the store.
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Incident(Base):
    """A major safety accident or an event with bad social impact at a window."""

    __tablename__ = "incidents"
    __table_args__ = (
        sa.CheckConstraint("severity in ('major', 'general')", name="severity"),
        sa.CheckConstraint("kind in ('safety', 'social')", name="kind"),
        sa.Index("ix_incidents_window_on", "window_id", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Indexed first in ix_incidents_window_on.
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("windows.id"))
    occurred_on: Mapped[date] = mapped_column(sa.Date)
    #: safety 安全事故 / social 不良社会影响 (``reference.INCIDENT_KINDS``).
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: major 重大 (a delisting rule) / general 一般 (``reference.INCIDENT_SEVERITIES``).
    severity: Mapped[str] = mapped_column(sa.String(16))
    description: Mapped[str] = mapped_column(sa.Text)
    #: Where the office learnt of it (媒体报道, 群众举报, 主管部门通报 …).
    source: Mapped[str] = mapped_column(sa.String(200))
    entered_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    window: Mapped[Window] = relationship()


class DelistingProposal(Base):
    """A triggered delisting rule for one window and year, with the evidence that triggered it;
    the office confirms (the window is delisted) or dismisses it."""

    __tablename__ = "delisting_proposals"
    __table_args__ = (
        # One undecided proposal per window, year and rule; a confirmed one is history (the
        # window titled again after it is judged again: services.delisting.propose).
        sa.Index("uq_delisting_proposals_undecided", "window_id", "year", "rule", unique=True,
                 sqlite_where=sa.text("state <> 'confirmed'"),
                 postgresql_where=sa.text("state <> 'confirmed'")),
        sa.CheckConstraint("rule >= 1 and rule <= 4", name="rule"),
        sa.CheckConstraint("state in ('open', 'confirmed', 'dismissed', 'withdrawn')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("windows.id"))
    year: Mapped[int]
    #: The rule's number as the programme states them (``reference.DELISTING_RULES``).
    rule: Mapped[int] = mapped_column(sa.SmallInteger)
    #: What triggered it: {"summary": "...", "items": [{...}, ...]}.
    evidence: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    state: Mapped[str] = mapped_column(sa.String(16), default="open", index=True)
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    window: Mapped[Window] = relationship()
