"""A district with objects of every kind on both sides of each scoped user's scope.

The demo district (eight units in seven industries, a staff account each) plus a second
authority, and for a tax window (CD-SW, unit-sw's unit) and a health window (authority-health's
industry) each: feedback, a ticket with a file, an appeal, an inspection, a covert inspection,
an incident and a delisting proposal. ``World.visible(role, window_code)`` is the oracle."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from feedback_api.demo import seed_demo

#: Sign-ins of the matrix: each role, with the scope the oracle below knows.
USERS = {
    "office": ("office", "office-demo-2026"),
    "agency": ("agency", "agency-demo-2026"),
    "authority": ("authority-health", "health-demo-2026"),
    "unit": ("unit-sw", "unit-demo-2026"),
    "expert": ("expert", "expert-demo-2026"),
}
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")


@dataclass
class World:
    year: int
    #: window code -> (unit code, industry)
    windows: dict[str, tuple[str, str]]
    #: object kind (a URL argument's name) -> [(value, window code or None)]
    objects: dict[str, list[tuple[Any, str | None]]] = field(default_factory=dict)
    expert_submissions: set[int] = field(default_factory=set)

    def visible(self, role: str, code: str | None) -> bool:
        """Whether ``role``'s user may see objects of window ``code`` (None: district-wide)."""
        if role in ("office", "agency"):
            return True
        if role == "anonymous":
            return False
        if code is None:
            return True
        unit, industry = self.windows[code]
        if role == "authority":
            return industry == "health"
        if role == "unit":
            return unit == "CD-SW"
        return False  # the expert: no window in scope

    def foreign_codes(self, role: str) -> list[str]:
        """Window codes ``role`` must never be shown (the markers of a leak)."""
        return [c for c in self.windows if not self.visible(role, c)]


def _fid(s: Any, code: str, low: bool = False) -> int:
    from feedback_api.models import Feedback, Window

    q = sa.select(Feedback.id).join(Window, Window.id == Feedback.window_id).where(Window.code == code)
    if low:
        q = q.where(Feedback.rating <= 2)
    return s.scalar(q.order_by(Feedback.id))


@pytest.fixture
def world(db: Any) -> World:
    from analytics import delisting
    from feedback_api.models import Feedback, FeedbackEvidence, Unit, Window
    from feedback_api.services import (
        appeals,
        covert,
        evidence_files,
        inspections,
        ticket_loop,
        ticket_open,
        users,
    )
    from feedback_api.services import evidence as evidence_service
    from tests.assessment_helpers import full_scores

    with db() as s:
        seed_demo(feedback_per_window=3)  # with unit-rmyy, a second unit user
        tax = users.create_user(None, "authority-tax", role="authority", password="tax-2026",
                                scopes=["tax"])
        from feedback_api.models import Cycle
        from feedback_api.services import cycle as cycle_service

        cycle = s.scalars(sa.select(Cycle).order_by(Cycle.year.desc())).first()
        cycle_service.save_draft(tax, cycle, "recommendation", {
            "window": "CD-SW-004", "reasons": "税务窗口推荐", "features": "一次办",
            "self_assessment": "达标", "self_score": "90", "contact_person": "税务局",
            "contact_phone": "0571-88000001", "endorsement": "同意推荐"})
        windows = {code: (unit, industry) for code, unit, industry in s.execute(
            sa.select(Window.code, Unit.code, Unit.industry).join(Window.unit))}
        from analytics.periods import current_quarter
        from feedback_api.services.workdays import local_today

        # The programme year the demo opened (Beijing's), not UTC's: they differ from 16:00 UTC
        # on 31 December. The visits a few days ago but in this year, which the lists show by
        # default: a fixed date (15 January) lies ahead in January, and the office enters no
        # visit dated after today.
        w = World(year=cycle.year, windows=windows)
        today = local_today()
        visited = max(today - timedelta(days=5), today.replace(month=1, day=1))
        year, quarter = visited.year, current_quarter(visited).number
        agency = users.get_user("agency")
        recent = datetime.now(UTC)
        objects: dict[str, list[tuple[Any, str | None]]] = {k: [] for k in (
            "feedback_id", "ticket_id", "file_id", "appeal_id", "inspection_id", "covert_id",
            "incident_id", "proposal_id", "code", "submission_id")}
        for code in windows:
            objects["code"].append((code, code))
        for code, unit_user in (("CD-SW-001", "unit-sw"), ("CD-RMYY-001", "unit-rmyy")):
            wid = s.scalar(sa.select(Window.id).where(Window.code == code))
            # A fresh complaint (appealable, ticketable) with an opinion.
            item = Feedback(receipt_no=f"SEC-{code}", window_id=wid, rating=1, channel="h5",
                            text=f"排队太久 {code}", received_at=recent, review_state="valid")
            s.add(item)
            s.flush()
            objects["feedback_id"].append((item.id, code))
            # A citizen's picture, saved as the evidence job saves it.
            picture = FeedbackEvidence(feedback_id=item.id, media_id=f"media-{code}",
                                       received_at=recent)
            s.add(picture)
            s.flush()
            evidence_service.store(picture, PNG, "image/png")
            objects.setdefault("evidence_id+feedback_id", []).append(
                ({"feedback_id": item.id, "evidence_id": picture.id}, code))
            ticket = ticket_open.open_from_feedback(agency, item.id)
            objects["ticket_id"].append((ticket.id, code))
            ticket_loop.respond(users.get_user(unit_user), ticket.id, "已整改",
                                [evidence_files.Upload("整改.png", PNG)])
            second = Feedback(receipt_no=f"SEC2-{code}", window_id=wid, rating=1, channel="h5",
                              text="态度差", received_at=recent, review_state="valid")
            s.add(second)
            s.flush()
            appeal = appeals.file_appeal(users.get_user(unit_user), second.id, kind="malicious",
                                         reason="恶意差评")
            objects["appeal_id"].append((appeal.id, code))
            insp, _ = inspections.save_inspection(None, {
                "window": code, "year": year, "quarter": quarter, "inspected_on": visited,
                "inspectors": "张三", "scores": full_scores(0.95)})
            objects["inspection_id"].append((insp.id, code))
            cov = covert.record_covert(None, {"window": code, "inspected_on": visited,
                                              "results": {"服务态度": True}})
            objects["covert_id"].append((cov.id, code))
            inc = covert.save_incident(None, {"kind": "safety", "description": "电梯故障",
                                              "source": "群众举报", "severity": "major",
                                              # after the demo's titles (2026-01-15): judged
                                              "window": code, "occurred_on": visited})
            objects["incident_id"].append((inc.id, code))
            evidence = covert.add_evidence(users.get_user("office"), cov, "证据.png", PNG)
            objects.setdefault("covert_id+evidence_id", []).append(
                ({"covert_id": cov.id, "evidence_id": evidence.id}, code))
        for p in delisting.evaluate(year):
            code = s.scalar(sa.select(Window.code).where(Window.id == p.window_id))
            objects["proposal_id"].append((p.id, code))
        # The agency's quarterly report: district-wide, the agency's and the office's only.
        from analytics import agency_report
        from feedback_api.services import agency_reports

        figures = agency_report.generate(current_quarter())
        report = agency_reports.create(users.get_user("agency"), figures["period"], figures,
                                       agency_report.default_sections(figures))
        objects["report_id"] = [(report.id, None)]
        objects["user_id"] = [(agency.id, None)]
        from feedback_api.models import EvidenceFile, TicketRound
        from feedback_api.models.cycle import ExpertAssignment, Submission

        by_ticket = dict(objects["ticket_id"])
        for fid, tid in s.execute(sa.select(EvidenceFile.id, TicketRound.ticket_id)
                                  .join(TicketRound, TicketRound.id == EvidenceFile.round_id)):
            objects["file_id"].append((fid, by_ticket[tid]))
        expert_id = users.get_user("expert").id
        assigned = set(s.scalars(sa.select(ExpertAssignment.submission_id)
                                 .where(ExpertAssignment.expert_id == expert_id)))
        # Attachments on a draft of each side (their owners upload them).
        for owner, code in (("authority-tax", "CD-SW-004"), ("authority-health", "CD-ZYY-005")):
            sub = s.scalars(sa.select(Submission).join(Window, Window.id == Submission.window_id)
                            .where(Window.code == code, Submission.state == "draft")).first()
            att = cycle_service.add_attachment(users.get_user(owner), sub, PNG, "附件.png")
            objects.setdefault("attachment_id+submission_id", []).append(
                ({"submission_id": sub.id, "attachment_id": att.id}, code))
        for sid, code in s.execute(sa.select(Submission.id, Window.code)
                                   .join(Window, Window.id == Submission.window_id)):
            objects["submission_id"].append((sid, code))
            if sid in assigned:
                w.expert_submissions.add(sid)
        w.objects = objects
    return w


def sign_in(client: Any, role: str) -> None:
    if role == "anonymous":
        return
    username, password = USERS[role]
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    resp = client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})
    assert resp.status_code == 302, f"{username} could not sign in"
