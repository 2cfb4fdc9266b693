"""A window belongs to the periods from its listing date (挂牌日期, ``Window.listed_on``) on, not
from the day it was entered into the system: a ledger imported after a quarter still fills it.
The live table, the reports index and the covert plan share the rule; a published period moves
only by a recompute."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from analytics import covert_coverage, reports, snapshots
from analytics.assessment import Period, assess
from feedback_api.models import Window
from feedback_api.services import ledger, users
from feedback_api.services import windows as window_service
from tests.assessment_helpers import add_feedback, user

Q1, Q2 = Period("quarter", 2026, 1), Period("quarter", 2026, 2)
LEDGER = ("窗口编号,窗口名称,所属单位,挂牌日期\n"
          "CD-SW-101,早挂牌窗口,CD-SW,2026-03-01\n"
          "CD-SW-102,晚挂牌窗口,CD-SW,2026年4月2日\n")


def _import_in_may(s) -> None:
    report = ledger.import_ledger(None, LEDGER.encode(), "台账.csv")
    assert report.errors == [] and sorted(report.created) == ["CD-SW-101", "CD-SW-102"]
    for w in s.scalars(sa.select(Window).where(Window.code.in_(["CD-SW-101", "CD-SW-102"]))):
        w.created_at = datetime(2026, 5, 10, 2, tzinfo=UTC)  # entered on 10 May


def _codes(period: Period) -> set[str]:
    return {r.code for r in assess(period).rows}


def test_a_window_listed_in_march_but_imported_in_may_is_in_the_first_quarter(db, district):
    with db() as s:
        _import_in_may(s)
        add_feedback("CD-SW-101", [5] * 3, at=datetime(2026, 3, 20, 2, tzinfo=UTC))
    with db():
        q1 = _codes(Q1)
        assert any("挂牌日期" in n and "2026-03-31" in n for n in assess(Q1).notes)
        assert "CD-SW-101" in q1 and "CD-SW-102" not in q1
        assert {"CD-SW-101", "CD-SW-102"} <= _codes(Q2)
        listed = {w.code: has for _u, ws in reports.report_choices(user("office"), Q1) for w, has in ws}
        assert listed["CD-SW-101"] is True and listed["CD-SW-102"] is False
        plan = {w.code for w in covert_coverage.not_visited(Q1, user("office"))}
        assert "CD-SW-101" in plan and "CD-SW-102" not in plan


def test_the_listing_day_itself_and_the_last_day_of_a_quarter_count(db, district):
    with db():
        office = users.get_user("office")
        window_service.create_window(office, {"code": "CD-SW-103", "name": "季末挂牌", "unit": "CD-SW",
                                              "listed_on": "2026-03-31"})
        window_service.create_window(office, {"code": "CD-SW-104", "name": "季初挂牌", "unit": "CD-SW",
                                              "listed_on": "2026-04-01"})
    with db():
        assert "CD-SW-103" in _codes(Q1) and "CD-SW-104" not in _codes(Q1)
        assert "CD-SW-104" in _codes(Q2)


def test_a_changed_listing_date_reaches_a_published_period_only_by_a_recompute(db, district):
    with db() as s:
        _import_in_may(s)
    with db():
        office = users.get_user("office")
        snapshots.publish(office, Q1)
    with db():
        office = users.get_user("office")
        window_service.update_window(office, "CD-SW-102", {"listed_on": "2026-02-15"})
    with db():
        assert "CD-SW-102" in _codes(Q1)  # the live figures follow at once
        published, snap = snapshots.assessment_for(Q1, users.get_user("office"))
        assert snap is not None and snap.version == 1
        assert "CD-SW-102" not in {r.code for r in published.rows}
        snapshots.recompute(users.get_user("office"), Q1, "挂牌日期更正")
    with db():
        published, snap = snapshots.assessment_for(Q1, users.get_user("office"))
        assert snap.version == 2 and "CD-SW-102" in {r.code for r in published.rows}


def test_a_delisted_window_still_ends_at_its_delisting(db, district):
    with db():
        office = users.get_user("office")
        window_service.create_window(office, {"code": "CD-SW-105", "name": "摘牌窗口", "unit": "CD-SW",
                                              "listed_on": "2026-02-01"})
        window_service.update_window(office, "CD-SW-105", {
            "status": "delisted", "status_date": "2026-05-20", "status_reason": "重大安全事故"})
    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-SW-105")).one()
        assert w.listed_on == date(2026, 2, 1)  # a change of title leaves the listing date
        assert "CD-SW-105" in _codes(Q1) and "CD-SW-105" in _codes(Q2)
        assert "CD-SW-105" not in _codes(Period("quarter", 2026, 3))
