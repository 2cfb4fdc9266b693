"""Stored assessments (考核快照): a published period's every window's assessment row, frozen.

A period is published once (version 1); late data changes it only through an explicit, audited
recompute, which adds the next version and keeps the earlier ones beside it. Pages and reports of
a published period read its newest version, never a live computation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_api.db import Base, UTCDateTime, utcnow
from feedback_api.models.users import User


class AssessmentSnapshot(Base):
    """One version of a period's assessment: its weights, formula and notes as computed."""

    __tablename__ = "assessment_snapshots"
    __table_args__ = (
        sa.UniqueConstraint("period", "version", name="uq_assessment_snapshots_period_version"),
        sa.CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``2026Q3``, ``2026-07`` or ``2026`` (``Period.code``).
    period: Mapped[str] = mapped_column(sa.String(16))
    version: Mapped[int]
    #: "publish" (version 1, by the office), "schedule" (version 1, after the quarter ended) or
    #: "recompute" (a later version, with its reason).
    trigger: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    weights: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    formula: Mapped[str] = mapped_column(sa.Text, default="")
    notes: Mapped[list[str]] = mapped_column(sa.JSON)
    district_ranked: Mapped[int] = mapped_column(default=0)

    author: Mapped[User | None] = relationship()
    rows: Mapped[list[AssessmentSnapshotRow]] = relationship(
        back_populates="snapshot", cascade="all, delete-orphan", passive_deletes=True,
        order_by="AssessmentSnapshotRow.id")


class AssessmentSnapshotRow(Base):
    """A window's full assessment row in one version: every figure, the components, the
    composite with its formula and the ranks (``data``), with the composite and ranks also as
    columns for comparison across versions."""

    __tablename__ = "assessment_snapshot_rows"
    __table_args__ = (
        sa.UniqueConstraint("snapshot_id", "window_id", name="uq_assessment_snapshot_rows_window"),
        sa.Index("ix_assessment_snapshot_rows_window", "window_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessment_snapshots.id", ondelete="CASCADE"))
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("windows.id", ondelete="CASCADE"))
    composite: Mapped[float | None]
    rank_district: Mapped[int | None]
    rank_industry: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)

    snapshot: Mapped[AssessmentSnapshot] = relationship(back_populates="rows")
