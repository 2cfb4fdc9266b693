"""The demo district's tickets: its counted 差评 are opened (or grouped) through the automatic
job's service, and a share of the tickets is worked through the loop, so the demo's assessment
shows believable ticket-handling values (not 0 for every window with a 差评)."""

from __future__ import annotations

import sqlalchemy as sa

from analytics import assessment
from analytics.periods import Period
from feedback_api.db import utcnow
from feedback_api.demo import NEGATIVE, seed_demo
from feedback_api.demo_tickets import TOPIC_OF
from feedback_api.models import AuditLog, CallBack, Feedback, Ticket, TicketFeedback, TicketRound


def test_the_demo_opens_and_works_tickets_for_its_bad_reviews(db):
    with db():
        seed_demo(feedback_per_window=40)
    with db() as s:
        bad = s.scalar(sa.select(sa.func.count()).select_from(Feedback)
                       .where(Feedback.rating.in_((1, 2)), Feedback.rating_counts.is_(True)))
        linked = s.scalar(sa.select(sa.func.count()).select_from(TicketFeedback)
                          .join(Feedback, Feedback.id == TicketFeedback.feedback_id)
                          .where(Feedback.rating.in_((1, 2))))
        assert bad and linked == bad  # every counted 差评 is on a ticket, as the job leaves it
        states = dict(s.execute(sa.select(Ticket.state, sa.func.count()).group_by(Ticket.state)).all())
        assert states.get("closed", 0) > states.get("open", 0) + states.get("responded", 0)
        assert {t for t in states} <= {"open", "responded", "closed"}
        # Opened by the system (the job's service), each audited, each with its first round.
        tickets = s.scalar(sa.select(sa.func.count()).select_from(Ticket))
        assert tickets == s.scalar(sa.select(sa.func.count()).select_from(Ticket)
                                   .where(Ticket.source == "feedback", Ticket.opened_by_id.is_(None)))
        assert tickets == s.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                                   .where(AuditLog.action == "open_ticket", AuditLog.actor == "system"))
        assert tickets == s.scalar(sa.select(sa.func.count()).select_from(TicketRound)
                                   .where(TicketRound.number == 1))
        assert s.scalar(sa.select(sa.func.count()).select_from(CallBack)) > tickets // 2
        # On the topic of the complaint (every demo complaint has one); 其他 for a bare rating.
        assert set(NEGATIVE) == set(TOPIC_OF)
        topics = set(s.scalars(sa.select(Ticket.topic).distinct()))
        assert len(topics - {"other"}) >= 5
        # Some fixed late (or not at all), some sent back; nothing happened after now.
        assert s.scalar(sa.select(sa.func.count()).select_from(TicketRound)
                        .where(TicketRound.overdue.is_(True)))
        assert s.scalar(sa.select(sa.func.count()).select_from(TicketRound)
                        .where(TicketRound.verdict == "sent_back"))
        now = utcnow()
        assert all(t is None or t <= now for t in s.scalars(sa.select(TicketRound.responded_at)))
        current = assessment.current_quarter()  # the last whole quarter: its tickets are due
        last = (Period("quarter", current.year, current.number - 1) if current.number > 1
                else Period("quarter", current.year - 1, 4))
        result = assessment.assess(last)
        assessed = [next(c for c in r.components if c.key == "tickets").value
                    for r in result.rows if r.bad_assessed]
        assert assessed and sum(v > 50 for v in assessed) > len(assessed) // 2
    with db() as s:  # run again: nothing opened twice
        seed_demo(feedback_per_window=40)
        assert s.scalar(sa.select(sa.func.count()).select_from(Ticket)) == tickets
