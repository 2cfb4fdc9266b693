"""The programme year through the services: recommendation to award, with a late submission,
a returned form, an expert outlier and an objection during publicity; and every scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback_api.models import AuditLog, CycleReminder, Submission, Window
from feedback_api.services import cycle as svc
from feedback_api.services import users
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError

YEAR = 2026
ON_TIME = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)
LATE = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)  # after the 5 June default deadline


def rec(code: str, **extra: str) -> dict[str, str]:
    return {"window": code, "reasons": "服务规范", "features": "一窗通办",
            "self_assessment": "对照标准逐项自评", "self_score": "92", "contact_person": "李主任",
            "contact_phone": "0571-88000000", "endorsement": "同意推荐", **extra}


@pytest.fixture
def year(db, district):
    with db():
        for name in ("expert1", "expert2", "expert3"):
            users.create_user(None, name, role="expert", password=f"{name}-password",
                              display_name=f"专家{name[-1]}")
        users.create_user(None, "authority-tax", role="authority", password="authority-tax-password",
                          scopes=["tax"])
        svc.create_cycle(users.get_user("office"), YEAR)
    return YEAR


def points(total: float) -> dict[str, float]:
    """Points for each indicator of the default standard (points sum to 100) making ``total``."""
    from feedback_api.services.standards import DEFAULT_INDICATORS

    return {name: points * total / 100 for _, name, points, _ in DEFAULT_INDICATORS}


def u(name: str):
    return users.get_user(name)


def accept_and_score(s, total: float = 88) -> Submission:  # type: ignore[no-untyped-def]
    """The district's one recommendation accepted by the office and scored ``total`` by a new
    expert (expert1): ready for publicity."""
    office = users.get_user("office")
    expert = users.create_user(None, "expert1", role="expert", password="expert1-password")
    sub = s.scalars(sa.select(Submission).where(Submission.kind == "recommendation")).one()
    svc.accept(office, sub)
    svc.assign_expert(office, sub, expert)
    svc.score(expert, sub, points(total))
    return sub


def test_default_phases_follow_the_plan(db, year):
    with db():
        c = svc.get_cycle(year)
        assert {p.kind: (p.starts_on, p.ends_on) for p in c.phases} == {
            "recommendation": (date(2026, 5, 15), date(2026, 6, 5)),
            "management_rules": (date(2026, 5, 15), date(2026, 5, 30)),
            "review": (date(2026, 6, 6), date(2026, 7, 15)),
            "publicity": (date(2026, 7, 16), date(2026, 8, 15)),
        }
        with pytest.raises(Conflict):
            svc.create_cycle(u("office"), year)
        with pytest.raises(PermissionDenied):
            svc.create_cycle(u("authority"), 2027)
        svc.set_phase_dates(u("office"), c, "management_rules", date(2026, 5, 10), date(2026, 5, 31))
        assert c.phase("management_rules").ends_on == date(2026, 5, 31)
        with pytest.raises(ValidationError):
            svc.set_phase_dates(u("office"), c, "review", date(2026, 7, 1), date(2026, 6, 1))


def test_phases_cannot_be_put_out_of_order(db, year):
    """推荐申报 → 评审评定 → 公示与宣传 follow one another; a date that breaks the sequence (or a
    phase ending before it starts) is refused with a message naming the phases, and nothing moves."""
    with db():
        c = svc.get_cycle(year)
        office = u("office")
        before = {p.kind: (p.starts_on, p.ends_on) for p in c.phases}
        refusals = [
            ("review", date(2026, 6, 1), date(2026, 7, 15), "评审评定.*推荐申报截止（2026-06-05）"),
            ("publicity", date(2026, 7, 10), date(2026, 8, 15), "公示与宣传.*评审评定截止（2026-07-15）"),
            ("recommendation", date(2026, 5, 15), date(2026, 6, 10), "推荐申报.*评审评定开始（2026-06-06）"),
            ("review", date(2026, 6, 6), date(2026, 7, 20), "评审评定.*公示与宣传开始（2026-07-16）"),
            ("publicity", date(2026, 8, 15), date(2026, 7, 16), "公示与宣传的开始日期.*不能晚于"),
        ]
        for kind, start, end, message in refusals:
            with pytest.raises(ValidationError, match=message) as refused:
                svc.set_phase_dates(office, c, kind, start, end)
            assert set(refused.value.details) <= {"starts_on", "ends_on"}
            assert {p.kind: (p.starts_on, p.ends_on) for p in c.phases} == before
        with pytest.raises(ValidationError, match="评审评定.*推荐申报截止"):
            svc.create_cycle(office, 2027, dates={"review": (date(2027, 6, 1), date(2027, 7, 15))})
        # In sequence, a whole calendar moves: later phases first when moving later.
        svc.set_phase_dates(office, c, "publicity", date(2026, 8, 1), date(2026, 8, 31))
        svc.set_phase_dates(office, c, "review", date(2026, 6, 20), date(2026, 7, 31))
        svc.set_phase_dates(office, c, "recommendation", date(2026, 6, 1), date(2026, 6, 19))
        # The units' management rules run alongside: no order with the others.
        svc.set_phase_dates(office, c, "management_rules", date(2026, 9, 1), date(2026, 9, 30))


def test_the_nav_deadline_is_the_nearest_phase_end_each_role_works_to(db, year):
    with db():
        svc.create_cycle(u("office"), 2027)  # another year's phases never count

        def nxt(name: str, today: date) -> tuple[str, date] | None:
            got = svc.next_deadline(u(name), today)
            return None if got is None else (got.kind, got.ends_on)

        may = date(2026, 5, 20)
        assert nxt("office", may) == ("management_rules", date(2026, 5, 30))
        assert nxt("authority", may) == ("recommendation", date(2026, 6, 5))
        assert nxt("unit", may) == ("management_rules", date(2026, 5, 30))
        assert nxt("expert1", may) == ("review", date(2026, 7, 15))
        assert nxt("agency", may) is None  # no part in the programme year
        # The deadline's own day still counts; the next day moves on.
        assert nxt("unit", date(2026, 5, 30)) == ("management_rules", date(2026, 5, 30))
        assert nxt("unit", date(2026, 5, 31)) == ("publicity", date(2026, 8, 15))
        assert nxt("office", date(2026, 8, 16)) is None


def test_one_year_from_recommendation_to_award(db, year):
    with db():
        c = svc.get_cycle(year)
        health, tax, office = u("authority"), u("authority-tax"), u("office")
        # Health recommends two windows on time; tax recommends one late.
        s1 = svc.submit(health, svc.save_draft(health, c, "recommendation", rec("CD-RMYY-001")),
                        now=ON_TIME)
        s2 = svc.save_draft(health, c, "recommendation", rec("CD-RMYY-002", reasons=""))
        with pytest.raises(ValidationError, match="推荐理由"):
            svc.submit(health, s2, now=ON_TIME)  # a draft may be incomplete; a submission not
        s2 = svc.save_draft(health, c, "recommendation", rec("CD-RMYY-002"), s2)
        svc.submit(health, s2, now=ON_TIME)
        s3 = svc.submit(tax, svc.save_draft(tax, c, "recommendation", rec("CD-SW-001")), now=LATE)
        assert (s1.late, s2.late, s3.late) == (False, False, True)
        plan = svc.save_draft(health, c, "creation_plan", {
            "goals": "全覆盖", "standards": "按测评标准", "steps": "三步", "measures": "培训",
            "responsible": "医政科", "deadlines": "6月底"})
        assert plan.industry == "health"
        svc.submit(health, plan, now=ON_TIME)
        # The office returns one with a reason; the authority revises and resubmits after the
        # deadline: the return is not the authority's lateness.
        with pytest.raises(ValidationError):
            svc.return_submission(office, s2, "  ")
        svc.return_submission(office, s2, "请补充自评材料")
        assert (s2.state, s2.return_reason) == ("returned", "请补充自评材料")
        svc.save_draft(health, c, "recommendation", rec("CD-RMYY-002", self_assessment="补充后的自评"), s2)
        svc.submit(health, s2, now=LATE)
        assert s2.late is False
        with pytest.raises(Conflict):
            svc.save_draft(health, c, "recommendation", rec("CD-RMYY-002"), s2)  # submitted: locked
        with pytest.raises(PermissionDenied):  # the office returns; it does not edit
            svc.save_draft(office, c, "recommendation", rec("CD-RMYY-002"), s2)
        for s in (s1, s2, s3):
            svc.accept(office, s)
        with pytest.raises(Conflict):
            svc.accept(office, s1)
        # Experts: three on each; expert3 scores s1 far from the others.
        for s in (s1, s2, s3):
            for e in ("expert1", "expert2", "expert3"):
                svc.assign_expert(office, s, u(e))
        with pytest.raises(Conflict):
            svc.assign_expert(office, s1, u("expert1"))
        marks = {s1.id: (90, 92, 60), s2.id: (85, 83, 86), s3.id: (78, 80, 79)}
        for sid, totals in marks.items():
            sub = svc.get_submission(office, sid)
            for e, t in zip(("expert1", "expert2", "expert3"), totals, strict=True):
                svc.score(u(e), sub, points(t), comment="意见")
        assert svc.assignments_for(s1)[0].items["服务态度"] == 13.5  # 15 points × 90 %
        too_many = {**points(90), "服务态度": 16}  # more than the indicator's 15 points
        for bad in (too_many, {**points(90), "A1": 1}, {"服务态度": 10}, {**points(90), "办事效率": "x"},
                    [90], {**points(90), "廉洁诚信": True}):
            with pytest.raises(ValidationError):
                svc.score(u("expert1"), s1, bad)
        results = {r.submission.id: r for r in svc.review_results(c)}
        assert results[s1.id].mean == pytest.approx(80.67)
        assert results[s1.id].outliers == ["专家3"]
        assert results[s2.id].outliers == [] and results[s2.id].mean == pytest.approx(84.67)
        assert [r.submission.id for r in svc.review_results(c)] == [s2.id, s1.id, s3.id]
        # Publicity with an objection against s1's window.
        p = svc.open_publicity(office, c, date(2026, 7, 16), date(2026, 7, 22),
                               not_before=date(2026, 7, 16))  # a past year's record
        assert [e.window.code for e in p.entries] == ["CD-RMYY-002", "CD-RMYY-001", "CD-SW-001"]
        with pytest.raises(Conflict):
            svc.score(u("expert1"), s1, points(70))  # published: scores are frozen
        e_s1 = next(e for e in p.entries if e.submission_id == s1.id)
        e_s3 = next(e for e in p.entries if e.submission_id == s3.id)
        with pytest.raises(ValidationError, match="公示期内"):
            svc.record_objection(office, e_s1, "排队太久", received_on=date(2026, 7, 30))
        obj = svc.record_objection(office, e_s1, "该窗口曾多次被投诉", channel="来信",
                                   received_on=date(2026, 7, 18))
        obj3 = svc.record_objection(office, e_s3, "材料不实", channel="来电",
                                    received_on=date(2026, 7, 19))
        with pytest.raises(Conflict, match="公示期"):
            svc.award(office, e_s1, today=date(2026, 7, 22))
        with pytest.raises(Conflict, match="未答复"):
            svc.award(office, e_s1, today=date(2026, 7, 23))
        svc.answer_objection(office, obj, "dismissed", "经核查，投诉均已整改办结")
        svc.answer_objection(office, obj3, "upheld", "经核查属实")
        with pytest.raises(Conflict, match="异议成立"):
            svc.award(office, e_s3, today=date(2026, 7, 23))
        for entry in p.entries:
            if entry is not e_s3:
                svc.award(office, entry, today=date(2026, 7, 23))
        with pytest.raises(Conflict, match="已命名"):
            svc.award(office, e_s1, today=date(2026, 7, 24))
    with db() as s:
        statuses = dict(s.execute(sa.select(Window.code, Window.status)).all())
        years = dict(s.execute(sa.select(Window.code, Window.status_year)).all())
        assert statuses["CD-RMYY-001"] == statuses["CD-RMYY-002"] == "demonstration"
        assert statuses["CD-SW-001"] == "candidate"
        assert years["CD-RMYY-001"] == YEAR
        actions = set(s.execute(sa.select(AuditLog.entity_type, AuditLog.action)).all())
        for pair in [("submission", "submit"), ("submission", "return"), ("submission", "accept"),
                     ("expert_assignment", "assign"), ("expert_assignment", "score"),
                     ("publicity", "publish"), ("objection", "create"), ("objection", "answer"),
                     ("publicity", "award"), ("window", "update")]:
            assert pair in actions


def test_the_service_refuses_a_publicity_period_already_ended(db, district):
    """Not only the office's page: any caller opening a publicity that ended before today (the
    district's local date) is refused, since the public would never see it."""
    from tests.cycle_helpers import scored_recommendation

    with db():
        programme, _ = scored_recommendation(2025)
        today = svc.local_today()
        ended = today - timedelta(days=1)
        with pytest.raises(ValidationError, match="已过") as refused:
            svc.open_publicity(u("office"), programme, ended - timedelta(days=6), ended)
        assert refused.value.details == {"ends_on": "公示结束日期已过"}
        assert svc.publicities(programme) == []
        # Ending today is still seen by the public for a day: accepted.
        opened = svc.open_publicity(u("office"), programme, ended, today)
        assert svc.publicities(programme) == [opened]


def test_scopes(db, year):
    with db():
        c = svc.get_cycle(year)
        health, tax, office = u("authority"), u("authority-tax"), u("office")
        # An authority cannot recommend another industry's window, nor plan for it.
        with pytest.raises(ValidationError, match="范围"):
            svc.save_draft(health, c, "recommendation", rec("CD-SW-002"))
        with pytest.raises(ValidationError):
            svc.save_draft(health, c, "creation_plan", {"industry": "tax", "goals": "x"})
        with pytest.raises(PermissionDenied):
            svc.save_draft(u("agency"), c, "recommendation", rec("CD-SW-002"))
        with pytest.raises(PermissionDenied):
            svc.save_draft(u("unit"), c, "recommendation", rec("CD-SW-002"))
        h = svc.submit(health, svc.save_draft(health, c, "recommendation", rec("CD-RMYY-001")))
        t = svc.submit(tax, svc.save_draft(tax, c, "recommendation", rec("CD-SW-001")))
        assert [s.id for s in svc.list_submissions(health, c)] == [h.id]
        assert [s.id for s in svc.list_submissions(tax, c)] == [t.id]
        with pytest.raises(NotFound):
            svc.get_submission(health, t.id)
        assert {s.id for s in svc.list_submissions(office, c)} == {h.id, t.id}
        # Only the office returns, accepts and assigns.
        with pytest.raises(PermissionDenied):
            svc.return_submission(health, h, "x")
        with pytest.raises(PermissionDenied):
            svc.accept(health, h)
        svc.accept(office, h)
        svc.accept(office, t)
        svc.assign_expert(office, h, u("expert1"))
        svc.assign_expert(office, t, u("expert2"))
        # An expert sees only what it was assigned, and scores only that.
        assert [s.id for s in svc.list_submissions(u("expert1"), c)] == [h.id]
        with pytest.raises(NotFound):
            svc.get_submission(u("expert1"), t.id)
        with pytest.raises(NotFound):
            svc.score(u("expert1"), t, points(80))
        with pytest.raises(NotFound):
            svc.score(u("expert3"), h, points(80))
        # A unit submits management rules only for its own demonstration windows.
        unit = u("unit")
        with pytest.raises(ValidationError, match="示范窗口"):
            svc.save_draft(unit, c, "management_rules", {"window": "CD-SW-002", "rules": "x",
                                                          "responsible": "王"})
        sw2 = sa.select(Window).where(Window.code == "CD-SW-002")
        from feedback_api.db import Session
        w = Session.scalars(sw2).one()
        w.status, w.status_year = "demonstration", 2025
        mr = svc.save_draft(unit, c, "management_rules", {"window": "CD-SW-002", "rules": "每日巡查",
                                                          "responsible": "王"})
        with pytest.raises(ValidationError):
            svc.save_draft(unit, c, "management_rules", {"window": "CD-RMYY-001", "rules": "x",
                                                          "responsible": "王"})
        assert [s.id for s in svc.list_submissions(unit, c)] == [mr.id]
        # Nobody outside sees a draft: not the office, not an expert.
        assert mr.id not in {s.id for s in svc.list_submissions(office, c)}
        with pytest.raises(NotFound):
            svc.get_submission(health, mr.id)


def test_outlier_rule():
    assert svc.outliers([80, 82, 60]) == [2]
    assert svc.outliers([90, 92, 60]) == [2]  # the outlier does not pull 92 out with it
    assert svc.outliers([70, 72, 75, 95]) == [3]
    assert svc.outliers([80, 82, 81]) == []
    assert svc.outliers([80, 60]) == [0, 1]  # two experts disagreeing: both named
    assert svc.outliers([80, 70]) == []
    assert svc.outliers([75]) == []


def test_attachments_use_the_upload_store(db, year, app):
    from feedback_api.services import files

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    with db():
        c = svc.get_cycle(year)
        health = u("authority")
        s = svc.save_draft(health, c, "recommendation", rec("CD-RMYY-001"))
        att = svc.add_attachment(health, s, pdf, "../../推荐表.pdf")
        assert (att.content_type, att.filename, att.size) == ("application/pdf", "推荐表.pdf", len(pdf))
        assert files.read(att.checksum) == pdf
        with pytest.raises(ValidationError, match="类型"):
            svc.add_attachment(health, s, b"MZ\x90\x00 not a document", "x.pdf")
        svc.submit(health, s)
        with pytest.raises(Conflict):
            svc.add_attachment(health, s, pdf, "again.pdf")
        with pytest.raises(NotFound):
            svc.attachment_file(u("authority-tax"), s.id, att.id)
        assert svc.attachment_file(u("office"), s.id, att.id).checksum == att.checksum


def test_reminders_are_idempotent(db, year):
    with db():
        c = svc.get_cycle(year)
        health = u("authority")
        svc.submit(health, svc.save_draft(health, c, "recommendation", rec("CD-RMYY-001")))
        made = svc.remind(today=date(2026, 6, 1))  # 4 days before 5 June: the 7-day reminder
        targets = {(r.phase, r.target) for r in made}
        assert ("recommendation", "industry:tax") in targets
        health_msg = next(r.message for r in made if r.target == "industry:health")
        assert "创建工作方案" in health_msg and "行业推荐表" not in health_msg
        assert svc.remind(today=date(2026, 6, 1)) == []
        again = svc.remind(today=date(2026, 6, 2))  # 3 days left: the 3-day reminder
        assert {r.days_before for r in again} == {3}
        assert svc.remind(today=date(2026, 6, 3)) == []  # 2 days left: still the 3-day one
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CycleReminder)) == len(made) + len(again)


def test_reminder_cli(db, year, runner):
    result = runner.invoke(args=["cycle", "remind", "--date", "2026-06-04"])
    assert result.exit_code == 0, result.output
    assert "industry:health" in result.output
    result = runner.invoke(args=["cycle", "remind", "--date", "2026-06-04"])
    assert "0 条" in result.output
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CycleReminder)) >= 2
        assert s.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0


def test_reminders_reach_units_and_experts(db, year):
    from feedback_api.db import Session

    with db():
        c = svc.get_cycle(year)
        w = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-002")).one()
        w.status, w.status_year = "demonstration", 2025  # awarded last year: owes its rules
        health, office = u("authority"), u("office")
        s = svc.submit(health, svc.save_draft(health, c, "recommendation", rec("CD-RMYY-001")))
        svc.accept(office, s)
        svc.assign_expert(office, s, u("expert1"))
        svc.assign_expert(office, s, u("expert2"))
        svc.assign_expert(office, s, u("expert3"))
        users.disable_user(office, u("expert3"))  # a disabled expert is not reminded
        svc.score(u("expert2"), s, points(80))
        rules = {r.target: r.message for r in svc.remind(today=date(2026, 5, 24))
                 if r.phase == "management_rules"}  # 6 days left: the 7-day reminder
        assert list(rules) == ["unit:CD-SW"] and "发票领用窗口" in rules["unit:CD-SW"]
        review = {r.target: r.message for r in svc.remind(today=date(2026, 7, 14))
                  if r.phase == "review"}
        assert list(review) == ["expert:expert1"] and "1 个候选窗口待评分" in review["expert:expert1"]
        # Once the rules are in, the unit is not reminded at the next thresholds.
        unit = u("unit")
        svc.submit(unit, svc.save_draft(unit, c, "management_rules", {
            "window": "CD-SW-002", "rules": "每日巡查", "responsible": "王"}))
        assert [r for r in svc.remind(today=date(2026, 5, 29)) if r.phase == "management_rules"] == []


def test_self_assessment_against_the_standard(db, year):
    with db():
        health, c = u("authority"), svc.get_cycle(YEAR)
        sub = svc.save_draft(health, c, "recommendation", rec("CD-RMYY-001", self_scores=points(90)))
        assert sub.data["self_score"] == 90.0 and sub.data["self_scores"]["服务态度"] == 13.5
        plain = svc.save_draft(health, c, "recommendation", rec("CD-RMYY-002"))
        assert (plain.data["self_score"], plain.data["self_scores"]) == (92.0, None)
        for bad in ({"服务态度": 10}, {**points(90), "服务态度": 15.5}, {**points(90), "A1": 1}, "90"):
            with pytest.raises(ValidationError) as err:
                svc.save_draft(health, c, "recommendation", rec("CD-RMYY-002", self_scores=bad))
            assert set(err.value.details) == {"self_scores"}


def test_phase_dates_stay_near_the_cycles_year(db, year):
    """A typo such as 0001-01-01 or 2062 is refused: a cycle's phases run from the year before it
    (preparations) to the year after it (a publicity or award past New Year), and nothing moves."""
    with db():
        c = svc.get_cycle(year)
        office = u("office")
        before = {p.kind: (p.starts_on, p.ends_on) for p in c.phases}
        for start, end in ((date(1, 1, 1), date(2026, 5, 31)), (date(2026, 5, 10), date(2062, 5, 31)),
                           (date(year - 2, 12, 31), date(year, 1, 5))):
            with pytest.raises(ValidationError, match=f"{year - 1}.*{year + 1}") as refused:
                svc.set_phase_dates(office, c, "management_rules", start, end)
            assert set(refused.value.details) <= {"starts_on", "ends_on"}
        assert {p.kind: (p.starts_on, p.ends_on) for p in c.phases} == before
        svc.set_phase_dates(office, c, "management_rules", date(year - 1, 12, 1), date(year, 1, 31))
        assert c.phase("management_rules").starts_on == date(year - 1, 12, 1)
