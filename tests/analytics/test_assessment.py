"""The assessment: periods, the counted-feedback filter, smoothing, components, the composite with
missing components, rankings and scope; the delisting rules at their edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from analytics import assessment, delisting
from analytics.assessment import Period, parse_period, smoothed
from feedback_api.models import DelistingProposal
from feedback_api.services import covert, standards
from feedback_api.services import delisting as proposals
from tests.assessment_helpers import add_feedback, award, inspection, user, window_id

Q3 = Period("quarter", 2026, 3)


@pytest.mark.parametrize("text, code, start, end", [
    ("2026", "2026", date(2026, 1, 1), date(2027, 1, 1)),
    ("2026Q3", "2026Q3", date(2026, 7, 1), date(2026, 10, 1)),
    ("2026Q4", "2026Q4", date(2026, 10, 1), date(2027, 1, 1)),
    ("2026-07", "2026-07", date(2026, 7, 1), date(2026, 8, 1)),
    ("2026M12", "2026-12", date(2026, 12, 1), date(2027, 1, 1)),
])
def test_periods(text, code, start, end):
    p = parse_period(text)
    assert (p.code, p.start, p.end) == (code, start, end)
    # The district's midnight is 16:00 UTC the day before.
    assert p.utc_bounds()[0] == datetime(start.year, start.month, 1, tzinfo=UTC) - timedelta(hours=8)


@pytest.mark.parametrize("text", ["2026Q5", "2026-13", "26Q1", "明年", ""])
def test_bad_periods(text):
    with pytest.raises(ValueError):
        parse_period(text)


def test_a_month_takes_its_quarters_inspection():
    assert parse_period("2026-08").quarters() == [(2026, 3)]
    assert parse_period("2026").quarters() == [(2026, q) for q in (1, 2, 3, 4)]


def test_smoothing_on_small_and_large_samples():
    mean = 4.0
    # Three perfect ratings: pulled most of the way back to the industry mean.
    small = smoothed(15, 3, mean)
    assert 4.0 < small < 4.3
    # One 1-star rating does not sink a window either.
    assert smoothed(1, 1, mean) == pytest.approx((10 * 4 + 1) / 11)
    # A thousand ratings averaging 4.8 speak for themselves.
    large = smoothed(4.8 * 1000, 1000, mean)
    assert large == pytest.approx(4.792, abs=1e-3)
    # So the window with many good ratings ranks above the one with three perfect ones.
    assert large > small
    # No ratings: the industry mean.
    assert smoothed(0, 0, mean) == mean


def _row(result, code):
    return next(r for r in result.rows if r.code == code)


def test_counted_ratings_distribution_and_rates(db, district):
    at = datetime(2026, 8, 10, 4, tzinfo=UTC)
    with db():
        add_feedback("CD-SW-001", [5, 5, 4, 3, 2, 1, 5, 4])
        add_feedback("CD-SW-001", [1, 1], review_state="invalid")       # reviewed invalid
        add_feedback("CD-SW-001", [1], rating_counts=False)              # superseded same day
        add_feedback("CD-SW-001", [1], at=datetime(2026, 6, 30, 15, 59, tzinfo=UTC))  # Q2 locally
        add_feedback("CD-SW-001", [5], at=datetime(2026, 9, 30, 16, 0, tzinfo=UTC))   # Q4 locally
        add_feedback("CD-SW-002", [4, 4], at=at)
    with db():
        r = _row(assessment.assess(Q3), "CD-SW-001")
        assert r.ratings == 8
        assert r.distribution == {1: 1, 2: 1, 3: 1, 4: 2, 5: 3}
        assert r.good_rate == pytest.approx(5 / 8) and r.bad_rate == pytest.approx(2 / 8)
        assert r.mean_rating == pytest.approx(29 / 8)
        assert r.industry_mean == pytest.approx((29 + 8) / 10)  # both tax windows
        assert r.smoothed_rating == pytest.approx((10 * 3.7 + 29) / 18)


def test_sentiment_and_topics_prefer_the_review(db, district):
    with db():
        add_feedback("CD-SW-001", [2], text="态度差", analyzed_at=datetime(2026, 8, 10, tzinfo=UTC),
                     sentiment=0.1, topics=[{"topic": "attitude", "score": 0.9}])
        add_feedback("CD-SW-001", [2], text="排队太久", analyzed_at=datetime(2026, 8, 10, tzinfo=UTC),
                     sentiment=0.2, topics=[{"topic": "attitude", "score": 0.6}],
                     reviewed_topics=["efficiency", "attitude"], reviewed_sentiment=0)
        add_feedback("CD-SW-001", [5], text="很好", analyzed_at=datetime(2026, 8, 10, tzinfo=UTC),
                     sentiment=0.9, topics=[{"topic": "efficiency", "score": 0.7}])
        add_feedback("CD-SW-001", [1], text="广告", analyzed_at=datetime(2026, 8, 10, tzinfo=UTC),
                     sentiment=0.0, topics=[{"topic": "attitude"}], review_state="invalid")
    with db():
        r = _row(assessment.assess(Q3), "CD-SW-001")
        assert r.opinions == 3
        assert r.sentiment == pytest.approx((0.1 + 0 + 0.9) / 3)
        assert r.topics == [("efficiency", 2), ("attitude", 1)]


def test_a_merged_duplicate_leaves_the_opinion_figures(db, district):
    from feedback_api.models import Feedback

    analysed = datetime(2026, 8, 10, tzinfo=UTC)
    with db():
        add_feedback("CD-SW-001", [2], text="排队太久", analyzed_at=analysed, sentiment=0.2,
                     topics=[{"topic": "efficiency", "score": 0.8}])
        add_feedback("CD-SW-001", [2], text="排队太久了", analyzed_at=analysed, sentiment=0.0,
                     topics=[{"topic": "attitude", "score": 0.8}])
    with db() as s:
        first, second = s.scalars(sa.select(Feedback).order_by(Feedback.id)).all()
        second.duplicate_of_id = first.id
    with db():
        r = _row(assessment.assess(Q3), "CD-SW-001")
        assert r.opinions == 1
        assert r.sentiment == pytest.approx(0.2)
        assert r.topics == [("efficiency", 1)]


def test_composite_with_missing_components_is_renormalised_and_says_so(db, district):
    with db():
        add_feedback("CD-SW-001", [5] * 30)
        add_feedback("CD-SW-002", [3] * 30)
        inspection("CD-SW-001", 2026, 3)  # 95 %
        item = covert.record_covert(None, {"window": "CD-SW-001", "inspected_on": "2026-09-01",
                                           "results": {"服务态度": True, "办事效率": False,
                                                       "环境设施": True, "信息公开": True}})
        assert item.id
    with db():
        result = assessment.assess(Q3)
        full = _row(result, "CD-SW-001")
        values = {c.key: c.value for c in full.components}
        fb = (smoothed(150, 30, 4.0) - 1) / 4 * 100
        assert values == {"feedback": pytest.approx(fb), "inspection": pytest.approx(95),
                          "covert": pytest.approx(75), "tickets": 100.0}  # nothing to handle
        assert full.composite == pytest.approx((40 * fb + 30 * 95 + 20 * 75 + 10 * 100) / 100)
        assert "÷ 100" in full.formula and "无数据" not in full.formula
        only_feedback = _row(result, "CD-SW-002")
        assert only_feedback.composite == pytest.approx(
            (40 * (smoothed(90, 30, 4.0) - 1) / 4 * 100 + 10 * 100) / 50)
        assert "综合检查、暗查无数据" in only_feedback.formula
        nothing = _row(result, "CD-RMYY-001")
        assert nothing.composite is None and nothing.rank_district is None
        assert any("重新归一" in n for n in result.notes)
        assert any("督办办理得分" in n for n in result.notes)


def test_weights_come_from_the_years_standard(db, district):
    with db():
        standards.update_standard(None, 2026, {"weight_feedback": 0, "weight_inspection": 1,
                                               "weight_covert": 0, "weight_tickets": 0})
        add_feedback("CD-SW-001", [1] * 5)
        inspection("CD-SW-001", 2026, 3)
    with db():
        r = _row(assessment.assess(Q3), "CD-SW-001")
        assert r.composite == pytest.approx(95)
        assert not any("督办办理" in n for n in assessment.assess(Q3).notes)


def test_rankings_within_the_industry_and_the_district_and_a_units_view(db, district):
    with db():
        add_feedback("CD-SW-001", [5] * 20)
        add_feedback("CD-SW-002", [2] * 20)
        add_feedback("CD-RMYY-001", [4] * 20)
        add_feedback("CD-RMYY-002", [4] * 20)
    with db():
        result = assessment.assess(Q3)
        ranks = {r.code: (r.rank_district, r.rank_industry, r.industry_ranked) for r in result.rows}
        assert ranks == {"CD-SW-001": (1, 1, 2), "CD-RMYY-001": (2, 1, 2),
                         "CD-RMYY-002": (2, 1, 2), "CD-SW-002": (4, 2, 2)}
        assert result.district_ranked == 4
        mine = assessment.assess(Q3, user("unit"))
        assert [r.code for r in mine.rows] == ["CD-SW-001", "CD-SW-002"]
        assert _row(mine, "CD-SW-002").rank_district == 4  # its rank among everyone
        assert {r.code for r in assessment.assess(Q3, user("authority")).rows} == {
            "CD-RMYY-001", "CD-RMYY-002"}


def test_a_window_delisted_before_the_period_is_left_out(db, district):
    from feedback_api.services import windows

    with db():
        windows.update_window(None, "CD-SW-002", {"status": "delisted", "status_date": "2026-03-01",
                                                  "status_reason": "测试"})
    with db():
        assert "CD-SW-002" not in {r.code for r in assessment.assess(Q3).rows}
        assert "CD-SW-002" in {r.code for r in assessment.assess(parse_period("2026")).rows}


# --- Delisting rules -------------------------------------------------------------------------

def _proposals(s):
    return {(p.window.code, p.year, p.rule): p for p in s.scalars(sa.select(DelistingProposal))}


def test_rule1_exactly_three_failed_inspections_in_a_year(db, titled_district):
    with db():
        inspection("CD-SW-001", 2026, 1, passed=False)
        inspection("CD-SW-001", 2026, 2, passed=False)
        inspection("CD-SW-001", 2026, 3, passed=True)
        assert delisting.evaluate(2026) == []
        inspection("CD-SW-002", 2026, 1, passed=False)
        inspection("CD-SW-002", 2026, 2, passed=False)
        inspection("CD-SW-002", 2026, 3, passed=False)
        assert len(delisting.evaluate(2026)) == 1
    with db() as s:
        p = _proposals(s)[("CD-SW-002", 2026, 1)]
        assert p.state == "open" and [i["quarter"] for i in p.evidence["items"]] == [
            "2026Q1", "2026Q2", "2026Q3"]
        assert "3 次季度综合检查不合格" in p.evidence["summary"]
        assert delisting.evaluate(2026) == []  # idempotent


def test_only_a_window_holding_the_title_can_be_delisted(db, district):
    """A candidate (创建中) holds no title: its failures stay in its assessment, with no
    proposal nor warning; the same failures of a titled window (示范) open one."""
    from feedback_api.services.errors import Conflict

    with db() as s:
        award("CD-SW-002")
        for code in ("CD-SW-001", "CD-SW-002"):  # a candidate and a titled window
            for quarter in (1, 2, 3):
                inspection(code, 2026, quarter, passed=False)
        for code in ("CD-RMYY-001", "CD-RMYY-002"):
            for quarter in (1, 2):
                inspection(code, 2026, quarter, passed=False)
        award("CD-RMYY-002")
        (p,) = delisting.evaluate(2026)
        assert (p.window.code, p.rule) == ("CD-SW-002", 1)
        assert set(_proposals(s)) == {("CD-SW-002", 2026, 1)}
        assert [(w.window_id, w.rule) for w in delisting.early_warnings(2026)] == [
            (window_id("CD-RMYY-002"), 1)]
        # A proposal left from before (or a window no longer titled) cannot be confirmed.
        stale = proposals.propose(window_id("CD-SW-001"), 2026, 1, {"summary": "旧", "items": []})
        with pytest.raises(Conflict, match="未持有示范窗口称号"):
            proposals.confirm(user("office"), stale.id)
        assert stale.window.status == "candidate" and stale.state == "open"
        proposals.confirm(user("office"), p.id)
        assert p.window.status == "delisted"
        assert delisting.evaluate(2026) == []  # delisted: no title left to take


def test_rule1_does_not_reach_across_a_year_boundary(db, district):
    with db() as s:
        inspection("CD-SW-001", 2025, 3, passed=False)
        # The fourth quarter of 2025 inspected in January 2026 still belongs to 2025.
        inspection("CD-SW-001", 2025, 4, passed=False, on=date(2026, 1, 10))
        inspection("CD-SW-001", 2026, 1, passed=False)
        inspection("CD-SW-001", 2026, 2, passed=False)
        assert delisting.evaluate(2025) == [] and delisting.evaluate(2026) == []
        assert _proposals(s) == {}


def _covert(code, on, **results):
    return covert.record_covert(None, {"window": code, "inspected_on": on, "results": results})


def test_rule3_the_same_indicator_failing_four_covert_inspections(db, titled_district):
    with db() as s:
        for month in (2, 4, 6):
            _covert("CD-SW-001", f"2026-{month:02d}-01", 服务态度=False, 环境设施=True)
        _covert("CD-SW-001", "2026-08-01", 服务态度=True, 办事效率=False)  # a different indicator
        _covert("CD-SW-001", "2025-12-20", 服务态度=False)  # the year before
        assert delisting.evaluate(2026) == []
        _covert("CD-SW-001", "2026-10-01", 服务态度=False)  # the fourth
        assert len(delisting.evaluate(2026)) == 1
        p = _proposals(s)[("CD-SW-001", 2026, 3)]
        assert p.evidence["summary"] == "2026年暗查不合格：“服务态度” 4 次"
        assert len(p.evidence["items"]) == 4
        assert delisting.evaluate(2025) == []


def test_rule4_a_major_incident_in_the_year_not_a_general_one_nor_last_years(db, titled_district):
    base = {"kind": "safety", "description": "电梯故障致群众受伤", "source": "群众举报"}
    with db() as s:
        covert.save_incident(None, {**base, "window": "CD-SW-001", "occurred_on": "2026-05-01",
                                    "severity": "general"})
        covert.save_incident(None, {**base, "window": "CD-SW-002", "occurred_on": "2025-12-31",
                                    "severity": "major"})
        assert delisting.evaluate(2026) == []
        covert.save_incident(None, {**base, "window": "CD-SW-001", "occurred_on": "2026-01-01",
                                    "severity": "major", "kind": "social"})
        assert len(delisting.evaluate(2026)) == 1
        assert set(_proposals(s)) == {("CD-SW-001", 2026, 4)}
        assert "重大不良社会影响事件" in _proposals(s)[("CD-SW-001", 2026, 4)].evidence["summary"]
        assert len(delisting.evaluate(2025)) == 1  # last year's major incident, for last year


def test_a_dismissed_proposal_opens_again_only_on_new_evidence(db, titled_district):
    base = {"kind": "safety", "description": "火情", "source": "消防通报", "severity": "major"}
    with db():
        covert.save_incident(None, {**base, "window": "CD-SW-001", "occurred_on": "2026-05-01"})
        (p,) = delisting.evaluate(2026)
        proposals.dismiss(user("office"), p.id, "经核实非窗口责任")
        assert delisting.evaluate(2026) == [] and p.state == "dismissed"
        covert.save_incident(None, {**base, "window": "CD-SW-001", "occurred_on": "2026-07-01"})
        assert delisting.evaluate(2026) == [p] and p.state == "open"
        assert len(p.evidence["items"]) == 2


def test_every_rule_is_evaluated():
    assert sorted(delisting.RULE_CHECKS) == [1, 2, 3, 4] and delisting.UNAVAILABLE_RULES == {}


def test_cli_show_and_delisting(db, titled_district, runner):
    with db():
        add_feedback("CD-SW-001", [5] * 3)
        for q in (1, 2, 3):
            inspection("CD-SW-002", 2026, q, passed=False)
    result = runner.invoke(args=["assessment", "show", "--period", "2026Q3"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("区内排名\t行业排名\t窗口编号")
    assert any(line.split("\t")[2] == "CD-SW-001" for line in lines[1:])
    assert "重新归一" in result.stderr
    result = runner.invoke(args=["assessment", "delisting", "--year", "2026"])
    assert result.exit_code == 0 and "CD-SW-002\t规则1" in result.stdout
    assert "新开或更新摘牌建议 1 条" in result.stderr
    again = runner.invoke(args=["assessment", "delisting", "--year", "2026"])
    assert "新开或更新摘牌建议 0 条" in again.stderr
    assert runner.invoke(args=["assessment", "show", "--period", "2026Q9"]).exit_code == 2


def test_the_nightly_job_checks_last_year_too_in_january(db, titled_district, app):
    from analytics import scheduler

    with db():
        award("CD-SW-001", year=2024)  # the fixture's title (2025-12-30) judges little of 2025
        inspection("CD-SW-001", 2025, 2, passed=False)
        inspection("CD-SW-001", 2025, 3, passed=False)
        inspection("CD-SW-001", 2025, 4, passed=False, on=date(2026, 1, 5))
        assert delisting.evaluate_recent(date(2026, 2, 1)) == []
        assert [p.year for p in delisting.evaluate_recent(date(2026, 1, 20))] == [2025]
    job = next(j for j in scheduler.all_jobs(app) if j.id == "assessment-delisting-nightly")
    assert scheduler.run_job(app, job) == []  # idempotent: nothing new


def test_early_warnings_one_step_from_rules_1_and_3(db, titled_district):
    with db():
        inspection("CD-SW-001", 2026, 1, passed=False)
        inspection("CD-SW-001", 2026, 2, passed=False)          # two failed, quarters left
        for q in (1, 2, 3):
            inspection("CD-SW-002", 2026, q, passed=False)      # over: a proposal, no warning
        for q, ok in ((1, False), (2, False), (3, True), (4, True)):
            inspection("CD-RMYY-001", 2026, q, passed=ok)       # two failed, no quarter left
        for month in (3, 5, 7):
            _covert("CD-RMYY-002", f"2026-{month:02d}-01", 廉洁诚信=False)
        warned = {(w.window_id, w.rule) for w in delisting.early_warnings(2026)}
        ids = {code: window_id(code) for code in ("CD-SW-001", "CD-RMYY-002")}
        assert warned == {(ids["CD-SW-001"], 1), (ids["CD-RMYY-002"], 3)}
        assert delisting.early_warnings(2026, {ids["CD-SW-001"]})[0].summary.startswith(
            "2026年 2 次季度综合检查不合格")
        assert delisting.early_warnings(2025) == []


def test_the_main_topic_follows_analysis_and_review(db, district):
    from feedback_api.models import Feedback
    from feedback_api.services import opinions, review

    with db() as s:
        add_feedback("CD-SW-001", [2], text="排队一个小时")
        item = s.scalars(sa.select(Feedback)).one()
        assert item.main_topic is None
        opinions.apply_analysis(item, sentiment=0.1, topics=[{"topic": "efficiency"},
                                                             {"topic": "attitude"}],
                                keywords=[], masked_text="排队一个小时", flags=[],
                                model_version="t")
        assert item.main_topic == "efficiency"
        review.review_feedback(user("agency"), item.id, {"topics": ["process", "efficiency"]})
        assert item.main_topic == "process"
        opinions.apply_analysis(item, sentiment=0.1, topics=[{"topic": "attitude"}],
                                keywords=[], masked_text="", flags=[], model_version="t2")
        assert item.main_topic == "process"  # the reviewer's word still wins
    with db() as s:
        assert s.scalars(sa.select(Feedback.main_topic)).one() == "process"


def test_the_migration_backfills_main_topics(tmp_path):
    from feedback_api import schema
    from feedback_api.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    schema.upgrade(engine, "0009")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO units (code, name, industry, authority, contact_person, "
                             "contact_phone, address, created_at) VALUES ('U', 'U', 'tax', '', '', '', '', "
                             "'2026-01-01')"))
        conn.execute(sa.text("INSERT INTO windows (code, name, unit_id, address, service_items, staff_count, "
                             "contact_person, contact_phone, service_hours, status, status_reason, remarks, "
                             "created_at, updated_at) VALUES ('W', 'W', 1, '', '', 0, '', '', '', 'candidate', "
                             "'', '', '2026-01-01', '2026-01-01')"))
        for n, (topics, reviewed) in enumerate([('[{"topic": "attitude"}]', None),
                                                ('[{"topic": "attitude"}]', '["integrity"]'),
                                                (None, None)]):
            conn.execute(sa.text(
                "INSERT INTO feedback_items (receipt_no, window_id, channel, rating_counts, received_at, "
                "review_state, topics, reviewed_topics, created_at) VALUES (:r, 1, 'h5', 1, "
                "'2026-01-01', 'pending', :t, :rt, '2026-01-01')"), {"r": f"R{n}", "t": topics, "rt": reviewed})
    schema.upgrade(engine)
    with engine.connect() as conn:
        got = conn.execute(sa.text("SELECT main_topic FROM feedback_items ORDER BY id")).scalars().all()
    assert got == ["attitude", "integrity", None]
    engine.dispose()


def test_the_reports_index_and_the_assessment_share_one_rule(db, district):
    """``assessed_in`` is the one statement of which windows a period assesses: the assessment's
    rows and the reports index's live links both follow it, at the period's start too."""
    from analytics import reports
    from feedback_api.models import Window
    from feedback_api.services import windows

    with db():
        for code, day in (("CD-SW-002", "2026-06-30"), ("CD-RMYY-001", "2026-07-01"),
                          ("CD-SW-001", "2026-08-01")):
            windows.update_window(None, code, {"status": "delisted", "status_date": day,
                                               "status_reason": "测试"})
    with db() as s:
        by_rule = set(s.scalars(sa.select(Window.code).where(assessment.assessed_in(Q3))))
        assessed = {r.code for r in assessment.assess(Q3).rows}
        linked = {w.code for _unit, ws in reports.report_choices(user("office"), Q3)
                  for w, has in ws if has}
        assert by_rule == assessed == linked
        assert {"CD-RMYY-001", "CD-SW-001"} <= assessed and "CD-SW-002" not in assessed
