"""E-mail alerts to window units, queued: each counted 差评, each new ticket and each ticket sent
back (退回重办: a new round to answer), and a daily
digest of what is due; and any alert to a unit, an industry authority or an expert
(``queue_alert``). Alerts are queued in ``staff_alerts`` (once per subject, by their key) and
sent by ``alert_delivery``. The content is what the unit may read: masked opinions and receipt
numbers, never a citizen's identity."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from feedback_api.db import Session, utcnow
from feedback_api.models import Feedback, StaffAlert, Ticket, TicketRound, Window
from feedback_api.models.reference import CLOCK_STATES, RATINGS, TOPICS
from feedback_api.services import alert_channels, ticket_clocks
from feedback_api.services.workdays import local_today

#: How far back the queue job looks for 差评 and tickets without an alert.
LOOKBACK = timedelta(days=2)


def _link(path: str) -> str:
    base = (current_app.config.get("WW_PUBLIC_BASE_URL") or "").rstrip("/")
    return f"\n详情：{base}{path}" if base else ""


def _queue(unit_id: int | None, kind: str, key: str, subject: str, body: str,
           now: datetime, *, industry: str | None = None,
           user_id: int | None = None) -> StaffAlert | None:
    if Session.scalar(sa.select(sa.exists().where(StaffAlert.dedup_key == key))):
        return None
    alert = StaffAlert(unit_id=unit_id, industry=industry, user_id=user_id, kind=kind, dedup_key=key,
                       subject=subject[:200], body=body, status="pending", attempts=0,
                       next_attempt_at=now, last_error="", created_at=now)
    Session.add(alert)
    Session.flush()
    alert_channels.queued.send(alert)  # e.g. WeChat to the target's bound staff (admin_web.app)
    return alert


def queue_alert(*, kind: str, key: str, subject: str, body: str, unit_id: int | None = None,
                industry: str | None = None, user_id: int | None = None, path: str = "",
                now: datetime | None = None) -> StaffAlert | None:
    """Queue one alert to a unit's, an industry authority's or an expert's (``user_id``)
    contacts (e-mail, and WeChat through ``alert_channels``); None when ``key`` was queued
    before (each subject once)."""
    if sum(target is not None for target in (unit_id, industry, user_id)) != 1:
        raise ValueError("an alert goes to one unit, one industry or one expert")
    return _queue(unit_id, kind, key, subject, body + (_link(path) if path else ""),
                  now or utcnow(), industry=industry, user_id=user_id)


def window_of(alert: StaffAlert) -> int | None:
    """The window a 差评 or new-ticket alert is about (by its key), so that a staff member whose
    account covers one window hears of that window only; None for an alert about a whole unit."""
    kind, _, rest = alert.dedup_key.partition(":")
    ident = rest.partition(":")[0]
    model = {"bad": Feedback, "ticket": Ticket}.get(kind)
    if model is None or not ident.isdigit():
        return None
    return Session.scalar(sa.select(model.window_id).where(model.id == int(ident)))


def _key(prefix: str, column: sa.ColumnElement[int]) -> sa.ColumnElement[str]:
    """``prefix || id`` in SQL (``||`` on both engines), to match alert keys."""
    return sa.literal(prefix, sa.String).concat(sa.cast(column, sa.String))


def queue_new(*, now: datetime | None = None) -> int:
    """Queue an alert for each counted 差评 and each ticket of the last two days that has none
    (idempotent: each is queued once, by its key)."""
    now = now or utcnow()
    since = now - LOOKBACK
    queued = 0
    rows = Session.execute(
        sa.select(Feedback, Window).join(Feedback.window)
        .where(Feedback.received_at >= since, Feedback.rating.in_((1, 2)),
               Feedback.rating_counts.is_(True), Feedback.review_state != "invalid",
               _key("bad:", Feedback.id).not_in(sa.select(StaffAlert.dedup_key)))
        .order_by(Feedback.id)).all()
    for item, window in rows:
        text = "" if item.text is None else (
            item.masked_text if item.masked_text is not None else "（意见待脱敏处理后可见）")
        body = (f"窗口“{window.name}”（{window.code}）收到一条差评。\n"
                f"受理编号：{item.receipt_no}\n评分：{RATINGS[item.rating or 1]}\n"
                + (f"意见：{text}\n" if text else "")
                + "第三方机构将据此督办，请及时核实情况。" + _link(f"/feedback/{item.id}"))
        if _queue(window.unit_id, "bad_review", f"bad:{item.id}",
                  f"【差评提醒】{window.name} {item.receipt_no}", body, now):
            queued += 1
    new_tickets = Session.execute(
        sa.select(Ticket, Window).join(Ticket.window)
        .where(Ticket.opened_at >= since, Ticket.state != "cancelled",
               _key("ticket:", Ticket.id).not_in(sa.select(StaffAlert.dedup_key)))
        .order_by(Ticket.id)).all()
    for ticket, window in new_tickets:
        if ticket_alert(ticket, window, now) is not None:
            queued += 1
    queued += _queue_sent_back(since, now)
    Session.flush()
    return queued


def _queue_sent_back(since: datetime, now: datetime) -> int:
    """Rounds opened by a send-back that ``send_back`` did not alert (its alert lost with a
    failed commit, or queued before this code): still current and waiting for the answer."""
    prev = aliased(TicketRound)
    rows = Session.execute(
        sa.select(Ticket, TicketRound, prev.verdict_reason).join(Ticket.rounds)
        .join(prev, sa.and_(prev.ticket_id == Ticket.id, prev.number == TicketRound.number - 1))
        .where(TicketRound.opened_at >= since, TicketRound.verdict.is_(None),
               Ticket.state == "open", prev.verdict == "sent_back",
               _key("ticket:", Ticket.id).concat(":back:").concat(sa.cast(TicketRound.number, sa.String))
               .not_in(sa.select(StaffAlert.dedup_key)))
        .order_by(Ticket.id)).all()
    return sum(sent_back_alert(ticket, rnd, reason, now) is not None for ticket, rnd, reason in rows)


def sent_back_alert(ticket: Ticket, rnd: TicketRound, reason: str,
                    now: datetime) -> StaffAlert | None:
    """The unit's alert that the agency sent its answer back (``ticket:ID:back:ROUND``, once):
    a new round waits for its answer, as a new ticket does, so it goes out as one (kind
    ``new_ticket``, withdrawn with the ticket's other alerts)."""
    window = rnd.window
    body = (f"窗口“{window.name}”（{window.code}）反馈的整改情况被第三方机构退回重办，"
            f"督办单进入第 {rnd.number} 轮。\n编号：{ticket.number}\n"
            f"问题类别：{TOPICS.get(ticket.topic, ticket.topic)}\n退回理由：{reason}\n"
            f"整改截止：{rnd.due:%Y-%m-%d}（工作日计算）\n"
            "请按退回理由重新整改，并在平台上再次反馈整改情况和证明材料。"
            + _link(f"/tickets/{ticket.id}"))
    return _queue(window.unit_id, "new_ticket", f"ticket:{ticket.id}:back:{rnd.number}",
                  f"【督办单退回重办】{window.name} {ticket.number} 截止 {rnd.due:%Y-%m-%d}", body, now)


def ticket_alert(ticket: Ticket, window: Window, now: datetime, *,
                 transferred_from: Window | None = None) -> StaffAlert | None:
    """A new ticket's alert to its window's unit (``ticket:ID``, once). A ticket transferred
    (转办) to ``window`` is new to that unit: it gets the same alert, under that key if the
    ticket's first alert was never queued, else under a key of the round it starts."""
    key = f"ticket:{ticket.id}"
    lead = f"窗口“{window.name}”（{window.code}）有一件新的督办单"
    if transferred_from is not None:
        lead += f"（由“{transferred_from.name}”转办）"
        if Session.scalar(sa.select(sa.exists().where(StaffAlert.dedup_key == key))):
            key += f":round:{len(ticket.rounds)}"
    body = (f"{lead}。\n编号：{ticket.number}\n问题类别：{TOPICS.get(ticket.topic, ticket.topic)}\n"
            f"整改要求：{ticket.problem}\n整改截止：{ticket.fix_due:%Y-%m-%d}（工作日计算）\n"
            "请按期整改并在平台上反馈整改情况和证明材料。" + _link(f"/tickets/{ticket.id}"))
    return _queue(window.unit_id, "new_ticket", key,
                  f"【督办单】{window.name} {ticket.number} 截止 {ticket.fix_due:%Y-%m-%d}", body, now)


def withdraw_ticket_alerts(ticket: Ticket, why: str) -> list[StaffAlert]:
    """Withdraw the ticket's new-ticket and sent-back alerts not sent yet (a ticket transferred
    away or cancelled: its unit is not to be told of it), with ``why``; the channels withdraw
    their copies. One an SMTP run has already claimed and is sending may still go out (it is
    then marked sent)."""
    key = f"ticket:{ticket.id}"
    found = list(Session.scalars(
        sa.select(StaffAlert).where(
            StaffAlert.kind == "new_ticket", StaffAlert.status == "pending",
            sa.or_(StaffAlert.dedup_key == key, StaffAlert.dedup_key.startswith(f"{key}:")))
        .order_by(StaffAlert.id).with_for_update()))
    for alert in found:
        alert.status, alert.last_error = "withdrawn", why[:1000]
        alert_channels.withdrawn.send(alert)
    Session.flush()
    return found


def queue_digest(*, now: datetime | None = None) -> int:
    """One digest a day per unit with tickets waiting for its response: each with its deadline
    and clock state (idempotent per unit and day)."""
    now = now or utcnow()
    today = local_today(now)
    open_tickets = Session.execute(
        sa.select(Ticket, Window).join(Ticket.window).where(Ticket.state == "open")
        .order_by(Window.unit_id, Ticket.fix_due, Ticket.id)).all()
    by_unit: dict[int, list[tuple[Ticket, Window]]] = {}
    for ticket, window in open_tickets:
        by_unit.setdefault(window.unit_id, []).append((ticket, window))
    queued = 0
    for unit_id, items in by_unit.items():
        lines, late = [], 0
        for ticket, window in items:
            fix = [c for c in ticket_clocks.clocks(ticket, now=now) if c.name == "fix"][0]
            lines.append(f"- {ticket.number} {window.name}：{TOPICS.get(ticket.topic, ticket.topic)}，"
                         f"截止 {fix.due:%Y-%m-%d}（{CLOCK_STATES[fix.state]}）")
            # The current round's clock, as the line says: not the sticky "was ever late" mark.
            late += fix.state == "red"
        body = (f"截至 {today:%Y-%m-%d}，本单位有 {len(items)} 件督办单待整改反馈"
                + (f"，其中 {late} 件已超期" if late else "") + "：\n" + "\n".join(lines)
                + _link("/tickets/inbox"))
        if _queue(unit_id, "digest", f"digest:{unit_id}:{today.isoformat()}",
                  f"【每日督办提醒】{len(items)} 件待整改（{today:%m月%d日}）", body, now):
            queued += 1
    Session.flush()
    return queued
