"""The clocks of supervision tickets (督办单): the call-back and fix deadlines in working days
(amber before, red after), the job that marks what is late, and the delisting rule's question,
"the same problem pushed three rounds in a row without completion"."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import CallBack, Ticket, TicketRound, User, Window
from feedback_api.models.reference import CLOCK_STATES
from feedback_api.services import audit, scope
from feedback_api.services.tickets import current_round, local_date, settings
from feedback_api.services.workdays import Calendar, local_today

# Clocks.

@dataclass(frozen=True)
class Clock:
    #: callback / fix
    name: str
    label: str
    due: date
    #: ok / amber / red / done / late (reference.CLOCK_STATES)
    state: str
    done_at: datetime | None
    #: The state in words, e.g. "即将到期（剩 2 个工作日）": never colour alone.
    text: str = ""


def _clock(cal: Calendar, name: str, label: str, due: date, done_at: datetime | None,
           today: date, amber: int) -> Clock:
    """The one rule of every clock, on the ticket's page and in the lists: red after the
    deadline (before the job marks it), amber from ``amber`` working days before it."""
    if done_at is not None:
        state = "late" if local_date(done_at) > due else "done"
    elif today > due:
        state = "red"
    elif amber and today >= cal.subtract(due, amber):
        state = "amber"
    else:
        state = "ok"
    text = CLOCK_STATES[state]
    if state == "amber":
        left = cal.between(today, due)
        text += f"（剩 {left} 个工作日）" if left else "（今日截止）"
    return Clock(name, label, due, state, done_at, text)


def _fix_clock(cal: Calendar, ticket: Ticket, today: date, amber: int) -> Clock:
    rnd = current_round(ticket)
    return _clock(cal, "fix", f"第 {rnd.number} 轮整改", rnd.due, rnd.responded_at, today, amber)


def clocks(ticket: Ticket, *, now: datetime | None = None) -> list[Clock]:
    """The ticket's clocks as of ``now``: the call-back (tickets from feedback) and the current
    round's fix deadline; amber before the deadline, red after it. A cancelled ticket has
    none: its clocks stopped."""
    if ticket.state == "cancelled":
        return []
    cal, today, amber = Calendar(), local_today(now), settings().amber_workdays
    out = []
    if ticket.callback_due is not None:
        first = Session.scalar(sa.select(sa.func.min(CallBack.called_at))
                               .where(CallBack.ticket_id == ticket.id))
        out.append(_clock(cal, "callback", "回访", ticket.callback_due, first, today, amber))
    out.append(_fix_clock(cal, ticket, today, amber))
    return out


def fix_clocks(tickets: Sequence[Ticket], *, now: datetime | None = None) -> dict[int, Clock]:
    """The current round's fix clock of each ticket of a list (by ticket id; a cancelled one
    has none), by the ticket page's rule, from the rows already loaded with their rounds: one
    query for the office's calendar over the whole list, none per row."""
    running = [t for t in tickets if t.state != "cancelled"]
    if not running:
        return {}
    today, amber = local_today(now), settings().amber_workdays
    dues = [current_round(t).due for t in running]
    cal = Calendar().preload(min(*dues, today), max(*dues, today), before=amber)
    return {t.id: _fix_clock(cal, t, today, amber) for t in running}


def callback_clocks(tickets: Sequence[Ticket], *, now: datetime | None = None) -> dict[int, Clock]:
    """The call-back (回访) clock of each ticket of a list that has one (by ticket id), by the
    ticket page's rule: the first call-back times of the whole list in one grouped query, and one
    query for the office's calendar; none per row."""
    waiting = [t for t in tickets if t.state != "cancelled" and t.callback_due is not None]
    if not waiting:
        return {}
    today, amber = local_today(now), settings().amber_workdays
    first: dict[int, datetime] = dict(Session.execute(
        sa.select(CallBack.ticket_id, sa.func.min(CallBack.called_at))
        .where(CallBack.ticket_id.in_([t.id for t in waiting]))
        .group_by(CallBack.ticket_id)).all())  # type: ignore[arg-type]
    dues = [t.callback_due for t in waiting if t.callback_due is not None]
    cal = Calendar().preload(min(*dues, today), max(*dues, today), before=amber)
    return {t.id: _clock(cal, "callback", "回访", t.callback_due, first.get(t.id), today, amber)
            for t in waiting if t.callback_due is not None}


_tickets, _callbacks = Ticket.__table__, CallBack.__table__
#: Built once, on the tables' columns (the agency's nav runs it on every page): it walks
#: ``ix_tickets_callback_due`` from today and stops at the first ticket not called back.
_NEXT_CALLBACK_DUE = (
    sa.select(_tickets.c.callback_due)
    .where(_tickets.c.callback_due >= sa.bindparam("today"), _tickets.c.state != "cancelled",
           ~sa.exists().where(_callbacks.c.ticket_id == _tickets.c.id))
    .order_by(_tickets.c.callback_due).limit(1))


def next_callback_due(today: date | None = None) -> date | None:
    """The nearest call-back (回访) deadline not yet passed among tickets still waiting for
    their call-back: the agency's own deadline, for its nav."""
    return Session.scalar(_NEXT_CALLBACK_DUE, {"today": today or local_today()})


@dataclass
class OverdueReport:
    rounds: int = 0
    callbacks: int = 0

    def summary(self) -> str:
        return f"{self.rounds} rounds and {self.callbacks} call-backs newly marked overdue"


def mark_overdue(*, now: datetime | None = None) -> OverdueReport:
    """Mark rounds not responded to by their deadline, and call-backs not made by theirs
    (idempotent: what is marked stays marked and is not logged again)."""
    today = local_today(now)
    report = OverdueReport()
    late_rounds = Session.scalars(
        sa.select(TicketRound).join(TicketRound.ticket)
        .where(TicketRound.responded_at.is_(None), TicketRound.verdict.is_(None),
               TicketRound.overdue.is_(False), TicketRound.due < today, Ticket.state == "open")
        .order_by(TicketRound.id)).all()
    for rnd in late_rounds:
        rnd.overdue = True
        rnd.ticket.overdue = True
        report.rounds += 1
        audit.record_change(None, "mark_overdue", "ticket", rnd.ticket_id, None,
                            {"round": rnd.number, "due": rnd.due}, actor_label="system")
    called = sa.select(CallBack.ticket_id)
    late_callbacks = Session.scalars(
        sa.select(Ticket).where(Ticket.state != "cancelled",
                                Ticket.callback_due.is_not(None), Ticket.callback_due < today,
                                Ticket.callback_overdue.is_(False), Ticket.id.not_in(called))
        .order_by(Ticket.id)).all()
    for ticket in late_callbacks:
        ticket.callback_overdue = True
        report.callbacks += 1
        audit.record_change(None, "mark_overdue", "ticket", ticket.id, None,
                            {"callback_due": ticket.callback_due}, actor_label="system")
    Session.flush()
    return report


# The delisting rule's question.

@dataclass(frozen=True)
class RepeatedPush:
    window_id: int
    ticket_id: int
    #: The round numbers of the streak, in order.
    rounds: list[int]


def _round_failed(rnd: TicketRound, today: date) -> bool:
    """A push that did not complete the fix: sent back, or past its deadline with no response."""
    return rnd.verdict == "sent_back" or (rnd.verdict is None and rnd.responded_at is None
                                          and rnd.due < today)


def repeated_pushes(*, as_of: datetime | None = None, streak: int = 3,
                    window_ids: list[int] | None = None,
                    counted_from: Mapping[int, datetime] | None = None,
                    ) -> dict[int, list[RepeatedPush]]:
    """Per window: tickets whose problem was pushed ``streak`` rounds in a row without completion
    (each round sent back, or past its deadline unanswered), all within the year before
    ``as_of``. A cancelled ticket never counts. A round counts for the window it was pushed to;
    a transferred round (已转办) for neither, and it ends the streak. SQL narrows to tickets
    with enough such rounds; the streak is checked here. ``counted_from``: per window, rounds
    opened before that moment do not count (a window titled during the year answers only from
    its title day)."""
    as_of = as_of or utcnow()
    since, today = as_of - timedelta(days=365), local_date(as_of)
    failed = sa.or_(TicketRound.verdict == "sent_back",
                    sa.and_(TicketRound.verdict.is_(None), TicketRound.responded_at.is_(None),
                            TicketRound.due < today))
    candidates = (sa.select(TicketRound.ticket_id).join(TicketRound.ticket)
                  .where(Ticket.state != "cancelled", TicketRound.opened_at >= since,
                         TicketRound.opened_at <= as_of, failed)
                  .group_by(TicketRound.ticket_id).having(sa.func.count() >= streak))
    stmt = (sa.select(TicketRound)
            .where(TicketRound.ticket_id.in_(candidates), TicketRound.opened_at >= since,
                   TicketRound.opened_at <= as_of)
            .order_by(TicketRound.ticket_id, TicketRound.number))
    if window_ids is not None:
        stmt = stmt.where(TicketRound.window_id.in_(window_ids))
    by_ticket: dict[int, list[TicketRound]] = {}
    for rnd in Session.scalars(stmt):
        by_ticket.setdefault(rnd.ticket_id, []).append(rnd)
    out: dict[int, list[RepeatedPush]] = defaultdict(list)
    for ticket_id, rounds in by_ticket.items():
        run: list[int] = []
        for rnd in rounds:
            start = (counted_from or {}).get(rnd.window_id)
            if start is not None and rnd.opened_at < start:
                run = []  # before the window's title day
                continue
            # A transfer is not a failed round: the streak ends there, at the old window.
            run = [*run, rnd.number] if _round_failed(rnd, today) else []
            if len(run) >= streak:
                out[rnd.window_id].append(RepeatedPush(rnd.window_id, ticket_id, run[-streak:]))
                break
    return dict(out)


def repeated_in_scope(user: User, *, as_of: datetime | None = None) -> list[tuple[Ticket, list[int]]]:
    """``repeated_pushes`` within ``user``'s scope, as (ticket, round numbers) by window code."""
    window_ids = None
    if user.role not in scope.GLOBAL_ROLES:
        window_ids = list(Session.scalars(sa.select(Window.id).join(Window.unit)
                                          .where(scope.window_clause(user))))
    pushes = [p for found in repeated_pushes(as_of=as_of, window_ids=window_ids).values()
              for p in found]
    if not pushes:
        return []
    by_id = {t.id: t for t in Session.scalars(
        sa.select(Ticket).where(Ticket.id.in_([p.ticket_id for p in pushes])))}
    return sorted(((by_id[p.ticket_id], p.rounds) for p in pushes),
                  key=lambda r: (r[0].window.code, r[0].number))
