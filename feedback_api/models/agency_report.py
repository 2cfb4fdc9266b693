"""The agency's quarterly evaluation report (第三方机构季度测评报告) to the office, and the
e-mail addresses of the industry authorities that receive their industry's alerts.

A report's figures are generated once from the assessment and kept as they were (JSON); the
agency writes its narrative in versions (each save a new version, none overwritten) and submits
the report to the office, which reads it (or returns it for changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_api.db import Base, UTCDateTime, utcnow


class AgencyReport(Base):
    __tablename__ = "agency_reports"
    __table_args__ = (
        sa.CheckConstraint("state in ('draft', 'submitted')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The quarter's code, e.g. ``2026Q3``: one report per quarter.
    period: Mapped[str] = mapped_column(sa.String(8), unique=True)
    #: The figures as generated (never recomputed): see ``analytics.agency_report``.
    figures: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    state: Mapped[str] = mapped_column(sa.String(16), default="draft")
    generated_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The office's reason when it returned the report for changes.
    return_note: Mapped[str] = mapped_column(sa.Text, default="")

    versions: Mapped[list[AgencyReportVersion]] = relationship(
        back_populates="report", cascade="all, delete-orphan",
        order_by="AgencyReportVersion.number")


class AgencyReportVersion(Base):
    """One saved state of the report's narrative sections (``{section key: text}``)."""

    __tablename__ = "agency_report_versions"
    __table_args__ = (
        sa.UniqueConstraint("report_id", "number", name="uq_agency_report_versions_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("agency_reports.id", ondelete="CASCADE"))
    number: Mapped[int]
    sections: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[AgencyReport] = relationship(back_populates="versions")
