"""Recusal (回避) in the expert review through the services: an expert's work unit, the refusal to
assign them to their own unit's candidates, an expert's declared conflict before scoring, and an
assignment that conflicts after the fact: flagged for the office, withdrawn only by it."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from feedback_api.models import AuditLog, Submission, Unit
from feedback_api.services import cycle as svc
from feedback_api.services import expert_units, users
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from tests.feedback_api.test_cycle import points, rec, u

YEAR = 2026


@pytest.fixture
def candidate(db, district):
    """The health authority's recommendation of CD-RMYY-001 (unit CD-RMYY), accepted; three
    experts, none with a work unit yet."""
    with db():
        for n in (1, 2, 3):
            users.create_user(None, f"expert{n}", role="expert", password=f"expert{n}-password",
                              display_name=f"专家{n}")
        office, health = u("office"), u("authority")
        c = svc.create_cycle(office, YEAR)
        sub = svc.submit(health, svc.save_draft(health, c, "recommendation", rec("CD-RMYY-001")))
        svc.accept(office, sub)
        return sub.id


def _unit(s, code: str) -> Unit:
    return s.scalars(sa.select(Unit).where(Unit.code == code)).one()


def _audit(s, action: str) -> list[AuditLog]:
    return list(s.scalars(sa.select(AuditLog).where(AuditLog.action == action)))


def test_an_expert_is_not_assigned_to_a_candidate_of_their_own_unit(db, candidate):
    with db() as s:
        office = u("office")
        changed = expert_units.set_work_unit(office, u("expert1"), unit_id=_unit(s, "CD-RMYY").id)
        assert changed
        assert expert_units.set_work_unit(office, u("expert2"), unit_id=None, other="浙江大学")
        # Setting the same again changes nothing and logs nothing.
        assert not expert_units.set_work_unit(office, u("expert2"), unit_id=None, other="浙江大学")
        assert [e.after for e in _audit(s, "set_work_unit")] == [
            {"work_unit": "CD-RMYY"}, {"work_unit_other": "浙江大学"}]
        assert expert_units.describe(u("expert1")) == "城东区人民医院"
    with db() as s:
        sub = s.get(Submission, candidate)
        with pytest.raises(Conflict, match="专家1：回避：该专家所在单位为被推荐窗口所属单位"):
            svc.assign_expert(u("office"), sub, u("expert1"))
        # An outside organisation is on record only: it conflicts with no registered unit.
        svc.assign_expert(u("office"), sub, u("expert2"))
        assert [a.expert.username for a in svc.assignments_for(sub)] == ["expert2"]


def test_only_an_expert_has_a_work_unit_and_only_a_registered_one_links(db, candidate):
    with db() as s:
        with pytest.raises(ValidationError, match="仅评审专家"):
            expert_units.set_work_unit(None, u("unit"), unit_id=_unit(s, "CD-SW").id)
        with pytest.raises(ValidationError, match="不是本区登记"):
            expert_units.resolve_unit("某某大学")
        assert expert_units.resolve_unit("城东区人民医院").code == "CD-RMYY"
        with pytest.raises(ValidationError, match="200"):
            expert_units.set_work_unit(None, u("expert1"), unit_id=None, other="大" * 201)
        with pytest.raises(ValidationError, match="不存在"):
            expert_units.set_work_unit(None, u("expert1"), unit_id=99999)


def test_an_expert_declares_a_conflict_before_scoring(db, candidate):
    with db() as s:
        office, sub = u("office"), s.get(Submission, candidate)
        for n in (1, 2, 3):
            svc.assign_expert(office, sub, u(f"expert{n}"))
        with pytest.raises(ValidationError, match="回避理由"):
            svc.declare_recusal(u("expert1"), sub, "  ")
        with pytest.raises(NotFound):  # only the assigned expert declares
            svc.declare_recusal(u("authority"), sub, "亲属在该窗口工作")
        svc.declare_recusal(u("expert1"), sub, "亲属在该窗口工作")
        svc.score(u("expert2"), sub, points(80))
        with pytest.raises(Conflict, match="已评分"):
            svc.declare_recusal(u("expert2"), sub, "忘了说")
    with db() as s:
        sub = s.get(Submission, candidate)
        # Withdrawn: the expert no longer sees nor scores the candidate.
        with pytest.raises(NotFound):
            svc.get_submission(u("expert1"), candidate)
        with pytest.raises(Conflict, match="已回避"):
            svc.score(u("expert1"), sub, points(90))
        assert [x.id for x in svc.list_submissions(u("expert1"), sub.cycle)] == []
        # Kept for the record, counted nowhere; the office sees who withdrew and why.
        (result,) = svc.review_results(sub.cycle)
        assert (result.assigned, result.scores, result.mean) == (2, [("专家2", 80.0)], 80.0)
        assert result.recused == [("专家1", "专家申请", "亲属在该窗口工作")]
        assert "专家1（专家申请：亲属在该窗口工作）" in result.recusal_text()
        assert len(svc.assignments_for(sub)) == 3
        (entry,) = _audit(s, "recuse")
        assert entry.actor == "expert1" and entry.after["reason"] == "亲属在该窗口工作"
        # The office cannot assign the expert again; it assigns another.
        with pytest.raises(Conflict, match="该专家已对该候选窗口回避"):
            svc.assign_expert(u("office"), sub, u("expert1"))
        # Not reminded of a candidate they withdrew from.
        assert "expert:expert1" not in _review_targets(sub.cycle)
        assert "expert:expert3" in _review_targets(sub.cycle)


def _review_targets(cycle):  # type: ignore[no-untyped-def]
    from feedback_api.services.cycle.reminders import _due_targets

    return _due_targets(cycle, "review")


def test_a_conflict_after_the_assignment_is_flagged_and_only_the_office_withdraws_it(db, candidate):
    with db() as s:
        office, sub = u("office"), s.get(Submission, candidate)
        svc.assign_expert(office, sub, u("expert1"))
        svc.assign_expert(office, sub, u("expert2"))
        svc.score(u("expert1"), sub, points(70))
        svc.score(u("expert2"), sub, points(90))
        expert_units.set_work_unit(office, u("expert1"), unit_id=_unit(s, "CD-RMYY").id)
        assert expert_units.conflicting_assignments(u("expert1")) == 1
    with db() as s:
        sub = s.get(Submission, candidate)
        mine = {a.expert.username: a for a in svc.assignments_for(sub)}
        # Flagged, not removed: it still counts until the office decides.
        assert svc.assignment_conflicts(list(mine.values())) == {
            mine["expert1"].id: svc.OWN_UNIT_RECUSAL}
        (result,) = svc.review_results(sub.cycle)
        assert (result.assigned, result.mean, result.conflicts) == (2, 80.0, ["专家1"])
        assert result.flagged
        with pytest.raises(Conflict, match="回避"):  # no new score from a conflicted expert
            svc.score(u("expert1"), sub, points(75))
        # Not published with a score that must not count.
        with pytest.raises(Conflict, match="须回避的评审分配尚未撤回.*专家1"):
            svc.open_publicity(u("office"), sub.cycle, date(YEAR, 11, 1), date(YEAR, 11, 10),
                               not_before=date(YEAR, 10, 1))
        with pytest.raises(PermissionDenied):
            svc.withdraw_assignment(u("expert2"), mine["expert1"], "本单位")
        with pytest.raises(ValidationError):
            svc.withdraw_assignment(u("office"), mine["expert1"], "")
        svc.withdraw_assignment(u("office"), mine["expert1"], "专家为该单位职工")
        with pytest.raises(Conflict, match="已回避"):
            svc.withdraw_assignment(u("office"), mine["expert1"], "再次")
    with db() as s:
        sub = s.get(Submission, candidate)
        (result,) = svc.review_results(sub.cycle)
        assert (result.assigned, result.mean, result.conflicts) == (1, 90.0, [])
        assert result.recused == [("专家1", "联席办撤回", "专家为该单位职工")]
        assert svc.assignments_for(sub)[0].total == 70  # the score stays on record
        (entry,) = _audit(s, "recuse_by_office")
        assert entry.actor == "office" and entry.after["expert"] == "expert1"
        publicity = svc.open_publicity(u("office"), sub.cycle, date(YEAR, 11, 1),
                                       date(YEAR, 11, 10), not_before=date(YEAR, 10, 1))
        assert [e.score for e in publicity.entries] == [90.0]
        with pytest.raises(Conflict, match="已公示"):  # and the record is frozen from then on
            svc.withdraw_assignment(u("office"), svc.assignments_for(sub)[1], "x")


def test_the_cli_sets_an_experts_work_unit(core_runner, db, district):
    r = core_runner.invoke(args=["users", "add", "expert7", "--role", "expert", "--password",
                                 "long-enough-pw", "--work-unit", "CD-RMYY",
                                 "--work-unit-other", "浙江大学"])
    assert r.exit_code == 0, r.output
    with db():
        e = u("expert7")
        assert (e.work_unit.code, e.work_unit_other) == ("CD-RMYY", "浙江大学")
    r = core_runner.invoke(args=["users", "edit", "expert7", "--work-unit", "某某大学"])
    assert r.exit_code != 0 and "不是本区登记" in r.output
    r = core_runner.invoke(args=["users", "edit", "expert7", "--work-unit", ""])
    assert r.exit_code == 0, r.output
    with db():
        e = u("expert7")
        assert (e.work_unit, e.work_unit_other) == (None, "浙江大学")
    r = core_runner.invoke(args=["users", "add", "unit7", "--role", "unit", "--scope", "CD-SW",
                                 "--password", "long-enough-pw", "--work-unit", "CD-SW"])
    assert r.exit_code != 0 and "仅评审专家" in r.output
    with db():
        with pytest.raises(NotFound):
            users.get_user("unit7")
