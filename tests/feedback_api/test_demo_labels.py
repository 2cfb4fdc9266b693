"""The demo reads as the programme runs: its windows registered by the office (a ledger
import), their titles given by the office through the award, in the award's words; every demo
unit has its staff account, and each ticket's answers are given by the unit's own staff, not by
the office for them."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.demo import DEMO_UNITS, seed_demo
from feedback_api.models import Ticket, TicketRound, User, Window, WindowStatusChange
from feedback_api.services import window_status


def test_the_demos_title_history_and_ticket_answers_read_as_real(db):
    with db():
        result = seed_demo(feedback_per_window=20)
    with db() as s:
        office = s.scalars(sa.select(User).where(User.username == "office")).one()
        changes = s.scalars(sa.select(WindowStatusChange)).all()
        assert len(changes) == 40 + 24  # each window registered; three of each unit's awarded
        assert {(c.actor, c.user_id) for c in changes} == {("office", office.id)}
        assert {(c.from_status, c.to_status, c.via) for c in changes} == {
            (None, "candidate", "import"), ("candidate", "demonstration", "award")}
        awarded = [c for c in changes if c.via == "award"]
        assert all(c.reason.startswith(f"{c.status_year}年度评审命名（公示期 ") for c in awarded)
        rows = window_status.history_rows(list(s.scalars(sa.select(Window))))
        assert {(r[7], r[8]) for r in rows} == {("office", "台账导入"), ("office", "评审命名")}
        # Each unit's staff account, and each answer by the staff of the ticket's own unit.
        staff = {sc.unit.code: u for u in s.scalars(sa.select(User).where(User.role == "unit"))
                 for sc in u.scopes}
        assert set(staff) == {code for code, *_ in DEMO_UNITS}
        assert all(any(username == u.username for username, _p, _d in result.users)
                   for u in staff.values())
        answered = s.execute(sa.select(TicketRound.responded_by_id, Ticket.window_id)
                             .join(Ticket, Ticket.id == TicketRound.ticket_id)
                             .where(TicketRound.responded_by_id.is_not(None))).all()
        assert len(answered) > 20
        unit_of = dict(s.execute(sa.select(Window.id, Window.unit_id)).all())
        by_id = {u.id: u for u in staff.values()}
        assert all(by_id[uid].scopes[0].unit_id == unit_of[wid] for uid, wid in answered)
        assert len({uid for uid, _w in answered}) > 4


def test_the_demos_windows_were_listed_before_its_year_of_ratings(db):
    from datetime import timedelta

    from analytics.assessment import Period, assessed_in
    from feedback_api.models import Feedback
    from feedback_api.services import workdays

    with db():
        seed_demo(feedback_per_window=5)
    with db() as s:
        listed = dict(s.execute(sa.select(Window.code, Window.listed_on)).all())
        today = workdays.local_today()
        assert all(d <= today - timedelta(days=372) for d in listed.values())
        titled = s.execute(sa.select(Window.listed_on, Window.status_date)
                           .where(Window.status == "demonstration")).all()
        assert titled and all(d < awarded for d, awarded in titled)
        assert len(set(listed.values())) > 1  # not one day for all: a ledger's dates differ
        first_rating = s.scalar(sa.select(sa.func.min(Feedback.received_at)))
        day = first_rating.astimezone(workdays.LOCAL_TZ).date()
        period = Period("month", day.year, day.month)
        assert s.scalar(sa.select(sa.func.count()).select_from(Window).where(assessed_in(period))) == 40


def test_the_demos_windows_are_listed_before_their_award_whatever_the_day():
    from datetime import date, timedelta

    from feedback_api.demo import AWARDED_ON, first_listing_day

    # Seeded today: the month 400 days ago. Seeded next spring (the award stays 2026-01-15's):
    # still before the award, where "400 days ago" would be after it.
    assert first_listing_day(date(2026, 12, 7)) == date(2025, 11, 1)
    for today in (date(2027, 3, 1), date(2028, 6, 30)):
        first = first_listing_day(today)
        assert first.day == 1 and first + timedelta(days=28) < date.fromisoformat(AWARDED_ON)
        assert first <= today - timedelta(days=400)
