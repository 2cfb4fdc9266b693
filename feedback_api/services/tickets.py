"""Supervision tickets (督办单): open, attach feedback, the unit's response, the agency's verdict
(verify closes; send back opens the next round, 督办轮次), call-backs (回访), the clocks and
their overdue marks, and the repeated-push query the delisting rule asks.

Services flush; the caller commits. Every change goes to the audit log. A unit sees only its
own windows' tickets, and never a citizen's identity (only masked opinions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
    Unit,
    User,
    Window,
)
from feedback_api.models.reference import (
    ACTIVE_TICKET_STATES,
    CALLBACK_OUTCOMES,
    TICKET_SOURCES,
    TICKET_STATES,
    TOPICS,
)
from feedback_api.services import answers, audit, evidence_files, scope
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from feedback_api.services.feedback import LOCAL_TZ, MAX_ID, get_feedback, new_receipt_no
from feedback_api.services.workdays import Calendar

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


def _text(value: object, label: str, limit: int, *, required: bool = True) -> str:
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


def _ticket_view(t: Ticket) -> dict[str, Any]:
    return {"state": t.state, "fix_due": t.fix_due, "overdue": t.overdue,
            "callback_overdue": t.callback_overdue}


# Reading.

def ticket_query(user: User, *, window: str | None = None, unit: str | None = None,
                 state: str | None = None, overdue: bool | None = None,
                 topic: str | None = None) -> sa.Select[tuple[Ticket]]:
    stmt = (sa.select(Ticket).join(Ticket.window).join(Window.unit)
            .where(scope.window_clause(user)))
    if window:
        stmt = stmt.where(Window.code == window)
    if unit:
        stmt = stmt.where(sa.or_(Unit.code == unit, Unit.name == unit))
    if state in TICKET_STATES:
        stmt = stmt.where(Ticket.state == state)
    elif state == "active":
        stmt = stmt.where(Ticket.state.in_(ACTIVE_TICKET_STATES))
    late = sa.or_(Ticket.overdue.is_(True), Ticket.callback_overdue.is_(True))
    if overdue is not None:
        stmt = stmt.where(late if overdue else sa.not_(late))
    if topic in TOPICS:
        stmt = stmt.where(Ticket.topic == topic)
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


# Opening.

def _new_number(now: datetime) -> str:
    for _ in range(5):
        number = "DB" + new_receipt_no(now)[2:]
        if not Session.scalar(sa.select(sa.exists().where(Ticket.number == number))):
            return number
    raise Conflict("督办单编号生成失败，请重试")  # 2^30 numbers a day: never in practice


def _check_supervisor(actor: User | None, what: str) -> None:
    if actor is not None and actor.role not in SUPERVISOR_ROLES:
        raise PermissionDenied(f"只有第三方机构和区联席办可以{what}")


def open_ticket(actor: User | None, window: Window, *, topic: str, problem: object,
                source: str, source_ref: str = "", feedback: list[Feedback] | None = None,
                now: datetime | None = None) -> Ticket:
    """Open a ticket on ``window`` with its first round. ``actor`` None is the system (the
    automatic job, or the assessment adding an inspection finding)."""
    _check_supervisor(actor, "开督办单")
    if actor is not None and not scope.can_see_window(actor, window):
        raise NotFound("窗口不存在或无权查看")
    if topic not in TOPICS:
        raise ValidationError(f"未知问题类别 {topic}", details={"topic": "未知"})
    if source not in TICKET_SOURCES:
        raise ValidationError(f"未知来源 {source}", details={"source": "未知"})
    problem_text = _text(problem, "整改要求", MAX_PROBLEM)
    source_ref = _text(source_ref, "来源编号", 200, required=False)
    feedback = feedback or []
    if source == "feedback" and not feedback:
        raise ValidationError("来源为群众评价的督办单须关联评价")
    for item in feedback:
        _check_attachable(item, window)
    now = now or utcnow()
    cfg, cal, today = settings(), Calendar(), local_date(now)
    due = cal.add(today, cfg.fix_workdays)
    ticket = Ticket(
        number=_new_number(now), window_id=window.id, topic=topic, problem=problem_text,
        source=source, source_ref=source_ref, opened_by_id=actor.id if actor else None,
        opened_at=now, state="open", fix_due=due, overdue=False, callback_overdue=False,
        callback_due=cal.add(today, cfg.callback_workdays) if feedback else None)
    ticket.window = window
    Session.add(ticket)
    Session.flush()
    Session.add(TicketRound(ticket_id=ticket.id, number=1, opened_at=now, due=due,
                            verdict_reason="", overdue=False))
    for item in feedback:
        Session.add(TicketFeedback(ticket_id=ticket.id, feedback_id=item.id, attached_at=now,
                                   attached_by_id=actor.id if actor else None))
    Session.flush()
    Session.refresh(ticket, ["rounds", "feedback"])
    audit.record_change(actor, "open_ticket", "ticket", ticket.id, None, {
        "number": ticket.number, "window": window.code, "topic": topic, "source": source,
        "source_ref": source_ref, "feedback": [f.id for f in feedback], "fix_due": due,
        "callback_due": ticket.callback_due}, actor_label="system")
    return ticket


def open_on_window(actor: User, code: str, *, topic: str, problem: object, source: str,
                   source_ref: str = "") -> Ticket:
    """The office or the agency opens a ticket on a window named by its code (not from a
    feedback: the office's own, or an inspection finding)."""
    _check_supervisor(actor, "开督办单")
    window = Session.scalars(sa.select(Window).where(Window.code == (code or "").strip())).first()
    if window is None or not scope.can_see_window(actor, window):
        raise NotFound("窗口编号不存在", details={"window": "不存在"})
    if source == "feedback":
        raise ValidationError("来源为群众评价的督办单请从评价开单", details={"source": "不可用"})
    return open_ticket(actor, window, topic=topic, problem=problem, source=source,
                       source_ref=source_ref)


def _check_attachable(item: Feedback, window: Window) -> None:
    if item.review_state == "invalid":
        raise ValidationError(f"评价 {item.receipt_no} 已审核为无效，不能督办")
    if item.window_id != window.id:
        raise ValidationError(f"评价 {item.receipt_no} 不是该窗口的评价")
    if ticket_of_feedback(item.id) is not None:
        raise Conflict(f"评价 {item.receipt_no} 已关联其他督办单")


def default_topic(item: Feedback) -> str:
    """The reviewer's first topic, else the model's best, else 其他."""
    if item.reviewed_topics:
        return str(item.reviewed_topics[0])
    for t in item.topics or []:
        if isinstance(t, dict) and t.get("topic") in TOPICS:
            return str(t["topic"])
    return "other"


def default_problem(item: Feedback) -> str:
    """What the unit reads: the masked opinion (never the raw text), with the rating."""
    parts = []
    if item.rating is not None:
        from feedback_api.models.reference import RATINGS

        parts.append(f"群众评分：{RATINGS[item.rating]}（{item.rating} 分）")
    if item.text:
        parts.append("群众意见：" + (item.masked_text if item.masked_text is not None
                                    else "（意见待脱敏处理后可见）"))
    parts.append("请核实情况、整改并反馈整改结果。")
    return "\n".join(parts)


def open_from_feedback(actor: User | None, feedback_id: int, *, topic: str | None = None,
                       problem: object = None, now: datetime | None = None) -> Ticket:
    """A reviewer (or the automatic job) opens a ticket from one feedback."""
    if actor is not None:
        item = get_feedback(actor, feedback_id)
    else:
        item = Session.get(Feedback, feedback_id)
        if item is None:
            raise NotFound(f"评价 {feedback_id} 不存在")
    return open_ticket(actor, item.window, topic=topic or default_topic(item),
                       problem=problem if problem not in (None, "") else default_problem(item),
                       source="feedback", feedback=[item], now=now)


def link_feedback(actor: User | None, ticket: Ticket, item: Feedback, *,
                  now: datetime | None = None) -> TicketFeedback:
    """``item`` joins the running ``ticket`` (``actor`` None: the automatic grouping). The
    ticket's deadlines stay; a ticket that had no call-back (opened by the office or from an
    inspection) gets one from today for the citizen who now complains."""
    if ticket.state not in ACTIVE_TICKET_STATES:
        raise Conflict(f"督办单{TICKET_STATES[ticket.state]}，不能再关联评价")
    _check_attachable(item, ticket.window)
    now = now or utcnow()
    link = TicketFeedback(ticket_id=ticket.id, feedback_id=item.id, attached_at=now,
                          attached_by_id=actor.id if actor else None)
    Session.add(link)
    if ticket.callback_due is None:
        ticket.callback_due = Calendar().add(local_date(now), settings().callback_workdays)
    Session.flush()
    Session.expire(ticket, ["feedback"])
    audit.record_change(actor, "attach", "ticket", ticket.id, None, {
        "feedback": item.id, "receipt_no": item.receipt_no,
        **({"callback_due": ticket.callback_due} if ticket.callback_due else {})},
        actor_label="system")
    return link


def attach_feedback(actor: User, ticket_id: int, feedback_id: int, *,
                    now: datetime | None = None) -> TicketFeedback:
    """Another feedback about the same problem joins a running ticket."""
    ticket = get_ticket(actor, ticket_id, lock=True)
    _check_supervisor(actor, "关联评价")
    return link_feedback(actor, ticket, get_feedback(actor, feedback_id), now=now)


# The loop.

def respond(actor: User, ticket_id: int, text: object,
            files: list[evidence_files.Upload] | None = None, *,
            now: datetime | None = None) -> TicketRound:
    """The unit says what it did (with evidence files); the agency verifies next."""
    ticket = get_ticket(actor, ticket_id, lock=True)
    if actor.role not in RESPONDER_ROLES:
        raise PermissionDenied("只有窗口单位（或区联席办代为）可以反馈整改情况")
    if ticket.state != "open":
        raise Conflict("该督办单当前不需要反馈（已反馈待核验，或已办结）")
    clean = _text(text, "整改情况", MAX_RESPONSE)
    checked = evidence_files.check(files or [])
    now = now or utcnow()
    rnd = current_round(ticket)
    before = _ticket_view(ticket)
    rnd.response_text, rnd.responded_by_id, rnd.responded_at = clean, actor.id, now
    if local_date(now) > rnd.due:
        rnd.overdue = True
        ticket.overdue = True
    ticket.state = "responded"
    Session.flush()
    stored = evidence_files.store(checked, actor, round_=rnd)
    audit.record_change(actor, "respond", "ticket", ticket.id, before, {
        **_ticket_view(ticket), "round": rnd.number, "text": clean,
        "files": [f"{f.original_name} sha256:{f.sha256}" for f in stored]})
    return rnd


@dataclass(frozen=True)
class Verified:
    ticket: Ticket
    #: Feedback whose citizen got the answer queued in WeChat.
    answered: list[int]
    #: Feedback whose citizen was asked to rate the fix (整改评价).
    rerating_requested: list[int]


def verify(actor: User, ticket_id: int, reason: object = "", *,
           now: datetime | None = None) -> Verified:
    """The agency checks the fix and closes the ticket. The unit's response then goes to every
    linked feedback's citizen as the unit's answer, and the citizens who gave a 差评 are asked
    to rate the fix (through the answers service, within the outbox's rules)."""
    ticket = get_ticket(actor, ticket_id, lock=True)
    _check_supervisor(actor, "核验督办单")
    if ticket.state != "responded":
        raise Conflict("单位尚未反馈整改情况，不能核验" if ticket.state == "open"
                       else f"督办单{TICKET_STATES[ticket.state]}")
    clean = _text(reason, "核验意见", MAX_REASON, required=False)
    now = now or utcnow()
    rnd = current_round(ticket)
    before = _ticket_view(ticket)
    rnd.verdict, rnd.verdict_reason, rnd.verdict_by_id, rnd.verdict_at = (
        "verified", clean, actor.id, now)
    ticket.state, ticket.closed_at, ticket.closed_by_id = "closed", now, actor.id
    Session.flush()
    answered, rerate = [], []
    # The answer is the unit's: its author is who responded (the agency if that account is gone
    # or no longer answers for the window).
    responder = Session.get(User, rnd.responded_by_id) if rnd.responded_by_id else None
    for item in feedback_of(ticket.id):
        author = actor
        if (responder is not None and responder.active and answers.can_answer(responder)
                and scope.can_see_window(responder, item.window)):
            author = responder
        answers.answer_feedback(author, item.id, rnd.response_text or "", now=now)
        answered.append(item.id)
        # Every 差评 on the ticket, the first or one attached later, rates the fix.
        if item.rating is not None and item.rating <= 2 and answers.reachable(item):
            try:
                answers.request_rerating(actor, item.id, now=now)
            except Conflict:  # an invitation is already waiting to go out
                continue
            rerate.append(item.id)
    audit.record_change(actor, "verify", "ticket", ticket.id, before, {
        **_ticket_view(ticket), "round": rnd.number, "reason": clean,
        "answered": answered, "rerating_requested": rerate})
    return Verified(ticket, answered, rerate)


def send_back(actor: User, ticket_id: int, reason: object, *,
              now: datetime | None = None) -> TicketRound:
    """The agency is not satisfied: the round is sent back and the next round opens with a new
    deadline (another push, 督办轮次)."""
    ticket = get_ticket(actor, ticket_id, lock=True)
    _check_supervisor(actor, "退回督办单")
    if ticket.state != "responded":
        raise Conflict("单位尚未反馈整改情况，不能退回" if ticket.state == "open"
                       else f"督办单{TICKET_STATES[ticket.state]}")
    clean = _text(reason, "退回理由", MAX_REASON)
    now = now or utcnow()
    rnd = current_round(ticket)
    before = _ticket_view(ticket)
    rnd.verdict, rnd.verdict_reason, rnd.verdict_by_id, rnd.verdict_at = (
        "sent_back", clean, actor.id, now)
    due = Calendar().add(local_date(now), settings().fix_workdays)
    nxt = TicketRound(ticket_id=ticket.id, number=rnd.number + 1, opened_at=now, due=due,
                      verdict_reason="", overdue=False)
    Session.add(nxt)
    ticket.state, ticket.fix_due = "open", due
    Session.flush()
    Session.refresh(ticket, ["rounds"])
    audit.record_change(actor, "send_back", "ticket", ticket.id, before, {
        **_ticket_view(ticket), "round": nxt.number, "reason": clean})
    return nxt


def record_callback(actor: User, ticket_id: int, *, called_at: datetime, outcome: str,
                    note: object = "", now: datetime | None = None) -> CallBack:
    """The agency's call-back (回访) to the citizen: when, by whom, the outcome."""
    ticket = get_ticket(actor, ticket_id, lock=True)
    _check_supervisor(actor, "登记回访")
    if ticket.state == "cancelled":
        raise Conflict("督办单已撤销，无需回访")
    if outcome not in CALLBACK_OUTCOMES:
        raise ValidationError("请选择回访结果", details={"outcome": "未知"})
    if called_at.tzinfo is None:
        raise ValidationError("回访时间须带时区")
    now = now or utcnow()
    if called_at > now + timedelta(minutes=5):
        raise ValidationError("回访时间不能晚于现在")
    if called_at < ticket.opened_at - timedelta(days=1):
        raise ValidationError("回访时间不能早于督办单开单时间")
    clean = _text(note, "回访情况", MAX_REASON, required=False)
    row = CallBack(ticket_id=ticket.id, called_at=called_at, by_id=actor.id, outcome=outcome,
                   note=clean, created_at=now)
    Session.add(row)
    before = _ticket_view(ticket)
    if ticket.callback_due is not None and local_date(called_at) > ticket.callback_due:
        ticket.callback_overdue = True
    Session.flush()
    audit.record_change(actor, "callback", "ticket", ticket.id, None, {
        **({"callback_overdue": True} if ticket.callback_overdue and not before["callback_overdue"]
           else {}), "called_at": called_at, "outcome": outcome, "note": clean})
    return row
