"""Supervision tickets (督办单): who may do what, the settings, and reading tickets within a
user's scope. Opening a ticket and attaching feedback are in ticket_open.py; the loop (the unit's
response, the agency's verdict: verify closes, send back opens the next round, 督办轮次; call-backs,
回访) in ticket_loop.py; the clocks in ticket_clocks.py; grouping, detaching and cancelling in
ticket_links.py; transferring to another window (转办) in ticket_transfer.py.

Services flush; the caller commits. Every change goes to the audit log. A unit sees only its
own windows' tickets, and never a citizen's identity (only masked opinions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import orm

from feedback_api.db import Session, utcnow
from feedback_api.models import (
    CallBack,
    Feedback,
    Ticket,
    TicketFeedback,
    TicketRound,
    User,
    Window,
)
from feedback_api.models.reference import (
    ACTIVE_TICKET_STATES,
    TICKET_STATES,
    TOPICS,
)
from feedback_api.services import scope, typed_filters
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from feedback_api.services.feedback import LOCAL_TZ, MAX_ID

#: Who opens, verifies and sends back tickets and records call-backs: the agency; the office
#: may step in.
SUPERVISOR_ROLES = frozenset({"agency", "office"})
#: Who responds: the window's unit; the office may respond on its behalf.
RESPONDER_ROLES = frozenset({"unit", "office"})
#: The response goes to the citizen as the unit's answer (answers.MAX_ANSWER is the same).
MAX_RESPONSE = 500
MAX_PROBLEM = 2000
MAX_REASON = 1000


@dataclass(frozen=True)
class Settings:
    callback_workdays: int
    fix_workdays: int
    amber_workdays: int
    negative_below: float


def settings() -> Settings:
    c = current_app.config
    return Settings(c["WW_CALLBACK_WORKDAYS"], c["WW_FIX_WORKDAYS"], c["WW_AMBER_WORKDAYS"],
                    c["WW_TICKET_NEGATIVE_BELOW"])


def clean_text(value: object, label: str, limit: int, *, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError(f"{label}不能为空", details={label: "必填"})
    if "\x00" in text:
        raise ValidationError(f"{label}含有非法字符")
    if len(text) > limit:
        raise ValidationError(f"{label}不能超过 {limit} 字")
    return text


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def ticket_view(t: Ticket) -> dict[str, Any]:
    return {"state": t.state, "fix_due": t.fix_due, "overdue": t.overdue,
            "callback_overdue": t.callback_overdue}


# Reading.

#: Who counts only the units' lateness (their own, or the units they supervise).
UNITS_LATENESS_ROLES = frozenset({"unit", "authority"})


def late_clauses() -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """A ticket's units' lateness (整改超期: a round marked by the job, or the current round past
    its deadline unanswered, red on the lists before the half-hourly job marks it, ticket_clocks'
    rule) and the agency's (回访超期); neither for a cancelled ticket, whose clocks stopped."""
    running = Ticket.state != "cancelled"
    fix = sa.or_(Ticket.overdue.is_(True),
                 sa.and_(Ticket.state == "open", Ticket.fix_due < local_date(utcnow())))
    return sa.and_(running, fix), sa.and_(running, Ticket.callback_overdue.is_(True))


def sees_callback_clock(user: User) -> bool:
    """Whether ``user``'s pages show the agency's call-back (回访) clock: not a unit's nor its
    authority's, whose lateness excludes call-backs (a red 回访 would read as the unit's)."""
    return user.role not in UNITS_LATENESS_ROLES


def late_clause(user: User) -> sa.ColumnElement[bool]:
    """超期 as ``user`` counts it: a late call-back is the agency's, not the unit's, so a unit and
    the authority supervising units count only the units' rounds."""
    fix_late, callback_late = late_clauses()
    return fix_late if user.role in UNITS_LATENESS_ROLES else sa.or_(fix_late, callback_late)


def ticket_query(user: User, *, window: str | None = None, unit: str | None = None,
                 state: str | None = None, overdue: bool | None = None,
                 topic: str | None = None, callback: str | None = None) -> sa.Select[tuple[Ticket]]:
    """The tickets ``user`` sees, filtered; ``callback`` "pending": those still waiting for their
    call-back (born from feedback, not cancelled, none recorded)."""
    stmt = (sa.select(Ticket).join(Ticket.window).join(Window.unit)
            .where(scope.window_clause(user)))
    if window:
        stmt = stmt.where(typed_filters.window_clause(window))
    if unit:
        stmt = stmt.where(typed_filters.unit_clause(unit))
    if state in TICKET_STATES:
        stmt = stmt.where(Ticket.state == state)
    elif state == "active":
        stmt = stmt.where(Ticket.state.in_(ACTIVE_TICKET_STATES))
    late = late_clause(user)
    if overdue is not None:
        stmt = stmt.where(late if overdue else sa.not_(late))
    if topic in TOPICS:
        stmt = stmt.where(Ticket.topic == topic)
    if callback == "pending":
        stmt = stmt.where(Ticket.callback_due.is_not(None), Ticket.state != "cancelled",
                          ~sa.exists().where(CallBack.ticket_id == Ticket.id))
    return stmt


def list_tickets(user: User, *, page: int = 1, per_page: int = 20,
                 **filters: Any) -> tuple[list[Ticket], int]:
    stmt = ticket_query(user, **filters)
    total = Session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    # The window, its unit and the rounds come with the page (no query per row).
    items = Session.scalars(stmt.options(orm.contains_eager(Ticket.window).contains_eager(Window.unit),
                                         orm.selectinload(Ticket.rounds))
                            .order_by(Ticket.opened_at.desc(), Ticket.id.desc())
                            .offset((page - 1) * per_page).limit(per_page)).all()
    return list(items), total


def inbox(user: User, *, page: int = 1, per_page: int = 20) -> tuple[list[Ticket], int]:
    """The running tickets in ``user``'s scope (a unit's inbox), the nearest deadline first: one
    page of them and how many there are."""
    stmt = ticket_query(user, state="active")
    total = Session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    items = Session.scalars(stmt.options(orm.contains_eager(Ticket.window).contains_eager(Window.unit),
                                         orm.selectinload(Ticket.rounds))
                            .order_by(Ticket.fix_due, Ticket.id)
                            .offset((page - 1) * per_page).limit(per_page)).all()
    return list(items), total


def get_ticket(user: User, ticket_id: int, *, lock: bool = False) -> Ticket:
    """The ticket if ``user`` may see it. ``lock`` (for a change) reads it again under a row
    lock on PostgreSQL, so two verdicts on one round cannot both pass the state check."""
    item = (Session.get(Ticket, ticket_id, with_for_update=lock or None, populate_existing=lock)
            if 0 < ticket_id <= MAX_ID else None)
    if item is None or not scope.can_see_window(user, item.window):
        raise NotFound(f"督办单 {ticket_id} 不存在或无权查看")
    return item


def current_round(ticket: Ticket) -> TicketRound:
    return ticket.rounds[-1]


def feedback_of(ticket_id: int) -> list[Feedback]:
    return list(Session.scalars(
        sa.select(Feedback).join(TicketFeedback, TicketFeedback.feedback_id == Feedback.id)
        .where(TicketFeedback.ticket_id == ticket_id).order_by(Feedback.received_at)))


def ticket_of_feedback(feedback_id: int) -> Ticket | None:
    return Session.scalars(
        sa.select(Ticket).join(TicketFeedback, TicketFeedback.ticket_id == Ticket.id)
        .where(TicketFeedback.feedback_id == feedback_id)).first()


def callbacks_of(ticket_id: int) -> list[CallBack]:
    return list(Session.scalars(sa.select(CallBack).where(CallBack.ticket_id == ticket_id)
                                .order_by(CallBack.called_at, CallBack.id)))


def check_round(ticket: Ticket, seen: int | None) -> None:
    """A change typed on a page of round ``seen`` (None: the caller does not say) is refused once
    the ticket has moved to another round: two people act on one ticket at once."""
    if seen is not None and seen != current_round(ticket).number:
        raise Conflict(f"该督办单已进入第 {current_round(ticket).number} 轮，您看到的是第 {seen} 轮："
                       "请刷新页面查看最新情况后再提交")


def check_supervisor(actor: User | None, what: str) -> None:
    if actor is not None and actor.role not in SUPERVISOR_ROLES:
        raise PermissionDenied(f"只有第三方机构和区联席办可以{what}")

