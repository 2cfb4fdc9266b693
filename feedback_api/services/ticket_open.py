"""Opening a supervision ticket (督办单): from feedback, on a window (by the office or from an
inspection finding), and another feedback about the same problem joining a running ticket.

A person opening a ticket by hand on a window and topic that already has a running one is told
so (``DuplicateTicket``, with those tickets) until they confirm: the page and the API ask for
the check (``check_duplicates``) unless the person confirmed (仍然新建, ``force``). The
automatic job groups instead (ticket_links); an inspection finding has its own rule (one
ticket per indicator). A feedback joins only a ticket still waiting for the unit's
answer (待整改): once the unit has answered the round (待核验), that answer never addressed
the newcomer. A complaint of a cancelled ticket (已撤销) may be ticketed again: it moves to the
new ticket (a feedback has one ticket at most) and the cancelled one's record says where.
Services flush; the caller commits. Every change goes to the audit log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Feedback, Ticket, TicketFeedback, TicketRound, User, Window
from feedback_api.models.reference import ACTIVE_TICKET_STATES, TICKET_SOURCES, TICKET_STATES, TOPICS
from feedback_api.services import audit, scope
from feedback_api.services.errors import Conflict, NotFound, ValidationError
from feedback_api.services.feedback import get_feedback, new_receipt_no
from feedback_api.services.tickets import (
    MAX_PROBLEM,
    check_supervisor,
    clean_text,
    get_ticket,
    local_date,
    settings,
)
from feedback_api.services.workdays import Calendar

#: Why a responded ticket takes no new feedback (the page and the API say the same).
ANSWERED = ("单位已反馈本轮整改情况，正待核验：这份答复没有涉及新的评价，不能并入。"
            "请先核验办结或退回重办（退回后可关联到下一轮），或另开督办单")


class DuplicateTicket(Conflict):
    """The window already has running tickets on the topic: a person confirms a second one."""

    code = "duplicate"

    def __init__(self, tickets: list[Ticket]) -> None:
        numbers = "、".join(t.number for t in tickets)
        super().__init__(f"该窗口同一问题类别已有未办结的督办单 {numbers}；如确需另开，请确认“仍然新建”",
                         details={"existing": [{"id": t.id, "number": t.number, "state": t.state}
                                               for t in tickets]})
        self.tickets = tickets


def running_on(window_id: int, topic: str) -> list[Ticket]:
    """The running tickets of a window on a topic, the oldest first."""
    return list(Session.scalars(
        sa.select(Ticket).where(Ticket.window_id == window_id, Ticket.topic == topic,
                                Ticket.state.in_(ACTIVE_TICKET_STATES))
        .order_by(Ticket.opened_at, Ticket.id)))


def _new_number(now: datetime) -> str:
    for _ in range(5):
        number = "DB" + new_receipt_no(now)[2:]
        if not Session.scalar(sa.select(sa.exists().where(Ticket.number == number))):
            return number
    raise Conflict("督办单编号生成失败，请重试")  # 2^30 numbers a day: never in practice


def open_ticket(actor: User | None, window: Window, *, topic: str, problem: object,
                source: str, source_ref: str = "", feedback: list[Feedback] | None = None,
                now: datetime | None = None, check_duplicates: bool = False) -> Ticket:
    """Open a ticket on ``window`` with its first round. ``actor`` None is the system (the
    automatic job, or the assessment adding an inspection finding). ``check_duplicates``:
    refused (``DuplicateTicket``) while the window has a running ticket on ``topic``."""
    check_supervisor(actor, "开督办单")
    if actor is not None and not scope.can_see_window(actor, window):
        raise NotFound("窗口不存在或无权查看")
    if topic not in TOPICS:
        raise ValidationError(f"未知问题类别 {topic}", details={"topic": "未知"})
    if source not in TICKET_SOURCES:
        raise ValidationError(f"未知来源 {source}", details={"source": "未知"})
    problem_text = clean_text(problem, "整改要求", MAX_PROBLEM)
    source_ref = clean_text(source_ref, "来源编号", 200, required=False)
    feedback = feedback or []
    if source == "feedback" and not feedback:
        raise ValidationError("来源为群众评价的督办单须关联评价")
    held = [_check_attachable(item, window) for item in feedback]
    if check_duplicates:
        existing = running_on(window.id, topic)
        if existing:
            raise DuplicateTicket(existing)
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
    Session.add(TicketRound(ticket_id=ticket.id, number=1, window_id=window.id, opened_at=now,
                            due=due, verdict_reason="", overdue=False))
    for link in held:
        if link is not None:
            _release(actor, link, ticket)
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
                   source_ref: str = "", check_duplicates: bool = False) -> Ticket:
    """The office or the agency opens a ticket on a window named by its code (not from a
    feedback: the office's own, or an inspection finding)."""
    check_supervisor(actor, "开督办单")
    code = (code or "").strip()
    if not code:
        raise ValidationError("请填写窗口编号", details={"window": "请填写或从列表中选择窗口"})
    window = Session.scalars(sa.select(Window).where(Window.code == code)).first()
    if window is None or not scope.can_see_window(actor, window):
        raise NotFound(f"窗口编号 {code} 不存在或无权查看", details={"window": f"没有编号为 {code} 的窗口"})
    if source == "feedback":
        raise ValidationError("来源为群众评价的督办单请从评价开单", details={"source": "不可用"})
    return open_ticket(actor, window, topic=topic, problem=problem, source=source,
                       source_ref=source_ref, check_duplicates=check_duplicates)


def _check_attachable(item: Feedback, window: Window) -> TicketFeedback | None:
    """Refuse what may not be ticketed; returns the link of a cancelled ticket that holds
    ``item`` (it moves: ``_release``)."""
    # The feedback's row lock (PostgreSQL) makes a second clerk or the job, opening or attaching
    # it at the same moment, wait here and then find the first's ticket: not the unique key's 500.
    Session.get(Feedback, item.id, with_for_update=True, populate_existing=True)
    if item.review_state == "invalid":
        raise ValidationError(f"评价 {item.receipt_no} 已审核为无效，不能督办")
    if item.window_id != window.id:
        raise ValidationError(f"评价 {item.receipt_no} 不是该窗口的评价")
    held = Session.scalars(sa.select(TicketFeedback)
                           .where(TicketFeedback.feedback_id == item.id)).first()
    if held is not None and Session.get(Ticket, held.ticket_id).state != "cancelled":
        raise Conflict(f"评价 {item.receipt_no} 已关联其他督办单")
    return held


def _release(actor: User | None, link: TicketFeedback, ticket: Ticket) -> None:
    """A cancelled ticket's feedback moves to ``ticket``: its old link goes (before the new one
    is added: one ticket per feedback) and the cancelled ticket's record says where it went."""
    old = Session.get(Ticket, link.ticket_id)
    feedback_id, receipt = link.feedback_id, link.feedback.receipt_no
    Session.delete(link)
    Session.flush()
    Session.expire(old, ["feedback"])
    audit.record_change(actor, "detach", "ticket", old.id, {"feedback": feedback_id}, {
        "feedback": None, "receipt_no": receipt, "reason": f"改由督办单 {ticket.number} 督办"},
        actor_label="system")


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
                       problem: object = None, now: datetime | None = None,
                       check_duplicates: bool = False) -> Ticket:
    """A reviewer (or the automatic job) opens a ticket from one feedback."""
    if actor is not None:
        item = get_feedback(actor, feedback_id)
    else:
        item = Session.get(Feedback, feedback_id)
        if item is None:
            raise NotFound(f"评价 {feedback_id} 不存在")
    return open_ticket(actor, item.window, topic=topic or default_topic(item),
                       problem=problem if problem not in (None, "") else default_problem(item),
                       source="feedback", feedback=[item], now=now,
                       check_duplicates=check_duplicates)


def link_feedback(actor: User | None, ticket: Ticket, item: Feedback, *,
                  now: datetime | None = None) -> TicketFeedback:
    """``item`` joins ``ticket`` while it waits for the unit's answer (``actor`` None: the
    automatic grouping). The ticket's deadlines stay; a ticket that had no call-back (opened by
    the office or from an inspection) gets one from today for the citizen who now complains."""
    if ticket.state == "responded":
        raise Conflict(ANSWERED)
    if ticket.state not in ACTIVE_TICKET_STATES:
        raise Conflict(f"督办单{TICKET_STATES[ticket.state]}，不能再关联评价")
    held = _check_attachable(item, ticket.window)
    if held is not None:
        _release(actor, held, ticket)
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
    check_supervisor(actor, "关联评价")
    return link_feedback(actor, ticket, get_feedback(actor, feedback_id), now=now)
