"""A window delisted under one rule leaves its other open proposals nothing to take: they are
withdrawn (无需处理) with a note, audited, not left 待确认 for ever; so is a proposal whose major
incident is corrected to a general one. A withdrawn proposal opens again if its rule holds again."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from analytics import delisting
from feedback_api.models import AuditLog, DelistingProposal, Incident
from feedback_api.services import covert, windows
from feedback_api.services import delisting as proposals
from tests.assessment_helpers import inspection, user

INCIDENT = {"kind": "safety", "description": "电梯故障致群众受伤", "source": "群众举报",
            "severity": "major"}


def _by_rule(s, code="CD-SW-001") -> dict[tuple[int, int], DelistingProposal]:
    return {(p.year, p.rule): p for p in s.scalars(sa.select(DelistingProposal))
            if p.window.code == code}


def _withdrawals(s) -> list[AuditLog]:
    return list(s.scalars(sa.select(AuditLog).where(AuditLog.action == "withdraw")
                          .order_by(AuditLog.id)))


def test_confirming_one_rule_withdraws_the_windows_other_open_proposals(db, titled_district):
    with db() as s:
        for q in (1, 2, 3):
            inspection("CD-SW-001", 2026, q, passed=False)
            inspection("CD-SW-002", 2026, q, passed=False)
        covert.save_incident(None, {**INCIDENT, "window": "CD-SW-001", "occurred_on": "2026-09-01"})
        delisting.evaluate(2026)
        found = _by_rule(s)
        proposals.dismiss(user("office"), proposals.propose(
            found[(2026, 1)].window_id, 2025, 3, {"summary": "2025年暗查", "items": []}).id,
            "经核实非窗口责任")
        proposals.confirm(user("office"), found[(2026, 4)].id, on=date(2026, 9, 10))
        found = _by_rule(s)
        assert {k: p.state for k, p in found.items()} == {
            (2026, 4): "confirmed", (2026, 1): "withdrawn", (2025, 3): "dismissed"}
        rule1 = found[(2026, 1)]
        assert rule1.decision_note == ("已因2026年规则 4（发生重大安全事故或造成不良社会影响的事件）"
                                       "于 2026-09-10 摘牌，无需处理")
        assert rule1.decided_by == user("office").id and rule1.decided_at is not None
        (entry,) = _withdrawals(s)
        assert (entry.actor, entry.entity_id, entry.before["state"], entry.after["state"]) == (
            "office", str(rule1.id), "open", "withdrawn")
        # Another window's proposal is its own.
        assert _by_rule(s, "CD-SW-002")[(2026, 1)].state == "open"
        # Nothing to confirm or dismiss any more; the nightly run leaves it alone.
        assert delisting.evaluate(2026) == []
        assert rule1.state == "withdrawn"


def test_the_office_delisting_a_window_by_hand_withdraws_its_open_proposals(db, titled_district):
    with db() as s:
        for q in (1, 2, 3):
            inspection("CD-SW-001", 2026, q, passed=False)
        (p,) = delisting.evaluate(2026)
        windows.update_window(user("office"), "CD-SW-001", {
            "status": "delisted", "status_date": "2026-10-01", "status_reason": "区联席办研究决定"})
        assert p.state == "withdrawn"
        assert p.decision_note == ("窗口已于 2026-10-01 改为摘牌（区联席办研究决定），"
                                   "不再持有称号，本建议无需处理")
        assert len(_withdrawals(s)) == 1


def test_an_incident_corrected_to_general_withdraws_its_proposal(db, titled_district):
    with db() as s:
        item = covert.save_incident(None, {**INCIDENT, "window": "CD-SW-001",
                                           "occurred_on": "2026-05-01"})
        (p,) = delisting.evaluate(2026)
        covert.save_incident(user("office"), {**INCIDENT, "window": "CD-SW-001",
                                              "occurred_on": "2026-05-01", "severity": "general"},
                             item.id)
        assert p.state == "withdrawn" and "重大事件已更正" in p.decision_note
        assert p.decided_by == user("office").id and len(_withdrawals(s)) == 1
        assert delisting.evaluate(2026) == [] and p.state == "withdrawn"
        # Corrected back to major: the rule holds again and the proposal opens again.
        covert.save_incident(user("office"), {**INCIDENT, "window": "CD-SW-001",
                                              "occurred_on": "2026-05-01"}, item.id)
        assert delisting.evaluate(2026) == [p] and p.state == "open"


def test_a_proposal_keeps_its_ground_while_another_major_incident_remains(db, titled_district):
    with db() as s:
        first = covert.save_incident(None, {**INCIDENT, "window": "CD-SW-001",
                                            "occurred_on": "2026-05-01"})
        covert.save_incident(None, {**INCIDENT, "window": "CD-SW-001", "occurred_on": "2026-06-01"})
        (p,) = delisting.evaluate(2026)
        covert.save_incident(None, {**INCIDENT, "window": "CD-SW-001", "occurred_on": "2026-05-01",
                                    "severity": "general"}, first.id)
        assert p.state == "open" and _withdrawals(s) == []
        # Moved to another window: the first window's ground is gone.
        other = s.scalars(sa.select(Incident).where(Incident.id != first.id)).one()
        covert.save_incident(None, {**INCIDENT, "window": "CD-SW-002", "occurred_on": "2026-06-01"},
                             other.id)
        assert p.state == "withdrawn" and len(_withdrawals(s)) == 1


def test_a_decided_proposal_is_not_withdrawn(db, titled_district):
    with db():
        item = covert.save_incident(None, {**INCIDENT, "window": "CD-SW-001",
                                           "occurred_on": "2026-05-01"})
        (p,) = delisting.evaluate(2026)
        proposals.dismiss(user("office"), p.id, "经核实非窗口责任")
        covert.save_incident(None, {**INCIDENT, "window": "CD-SW-001", "occurred_on": "2026-05-01",
                                    "severity": "general"}, item.id)
        assert p.state == "dismissed" and p.decision_note == "经核实非窗口责任"
