"""A window's title status history (称号状态记录), and what a change of title leaves behind.

The window registry (``services.windows``) is the one place a title changes: the award, a
confirmed delisting, the office's edit, the API and a ledger import all go through it, and it
calls :func:`record` with the title as it was. A window that stops holding the title (示范)
leaves its open delisting proposals with nothing to take away: they are withdrawn (无需处理)
with a note that says why, and audited."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import DelistingProposal, User, Window, WindowStatusChange
from feedback_api.models.reference import DEMONSTRATION, STATUS_CHANGE_VIAS, WINDOW_STATUSES, label
from feedback_api.services import audit

#: The title: a change of any of these is a row of the history (the reason alone is not).
Title = tuple[str | None, int | None, date | None]


def title_of(window: Window | None) -> Title | None:
    return None if window is None else (window.status, window.status_year, window.status_date)


def record(window: Window, before: Title | None, actor: User | None, via: str
           ) -> WindowStatusChange | None:
    """Add the history row of ``window``'s title change from ``before`` (None: a new window),
    if its title changed; withdraw its open proposals if it no longer holds the title."""
    if via not in STATUS_CHANGE_VIAS:
        raise ValueError(via)
    if before == title_of(window):
        return None
    change = WindowStatusChange(
        window_id=window.id, from_status=before[0] if before else None, to_status=window.status,
        status_year=window.status_year, effective_on=window.status_date,
        reason=window.status_reason or "", user_id=actor.id if actor is not None else None,
        actor=actor.username if actor is not None else "cli", via=via)
    Session.add(change)
    if before is not None and before[0] == DEMONSTRATION and window.status != DEMONSTRATION:
        now = label(WINDOW_STATUSES, window.status)
        # Migration 0041 writes this note in SQL for the proposals left open before this rule.
        on = f"于 {window.status_date.isoformat()} " if window.status_date else ""
        reason = f"（{window.status_reason[:200]}）" if window.status_reason else ""
        withdraw_open(actor, window.id,
                      f"窗口已{on}改为{now}{reason}，不再持有称号，本建议无需处理")
    Session.flush()
    return change


def withdraw(actor: User | None, p: DelistingProposal, note: str) -> None:
    """Close an open proposal that has nothing left to decide (无需处理), saying why; audited."""
    before = {"state": p.state, "decision_note": p.decision_note}
    p.state, p.decision_note = "withdrawn", note[:2000]
    p.decided_by, p.decided_at = (actor.id if actor is not None else None), utcnow()
    Session.flush()
    audit.record_change(actor, "withdraw", "delisting_proposal", p.id, before,
                        {"state": p.state, "decision_note": p.decision_note},
                        actor_label="system")


def withdraw_open(actor: User | None, window_id: int, note: str) -> list[DelistingProposal]:
    """Withdraw every open proposal of the window (any year, any rule) with ``note``."""
    found = list(Session.scalars(sa.select(DelistingProposal).where(
        DelistingProposal.window_id == window_id, DelistingProposal.state == "open")
        .order_by(DelistingProposal.id)))
    for p in found:
        withdraw(actor, p, note)
    return found


def history(window: Window) -> list[WindowStatusChange]:
    """The window's title changes, oldest first (scope is the caller's: the window's page). By
    when recorded, not by id: migration 0042 added delistings of before 0040 after 0040's rows."""
    return list(Session.scalars(sa.select(WindowStatusChange).where(
        WindowStatusChange.window_id == window.id).order_by(WindowStatusChange.created_at,
                                                              WindowStatusChange.id)))


#: Who changed a title when no signed-in user did (the audit log's words).
SYSTEM_ACTORS = {"cli": "命令行", "system": "系统"}
HISTORY_HEADER = ("窗口编号", "窗口名称", "原状态", "新状态", "命名/摘牌年度", "生效日期", "原因",
                  "经办", "途径")


def history_rows(windows: list[Window], *, chunk: int = 500) -> list[list[Any]]:
    """The history of ``windows`` (already within the reader's scope) as the ledger's second
    sheet, by window code then order of change (as ``history``); read in chunks of window ids."""
    rows: list[list[Any]] = []
    by_id = {w.id: w for w in windows}
    ids = sorted(by_id)
    found: list[WindowStatusChange] = []
    for start in range(0, len(ids), chunk):
        found += Session.scalars(sa.select(WindowStatusChange).where(
            WindowStatusChange.window_id.in_(ids[start:start + chunk])))
    for c in sorted(found, key=lambda c: (by_id[c.window_id].code, c.created_at, c.id)):
        w = by_id[c.window_id]
        rows.append([w.code, w.name, label(WINDOW_STATUSES, c.from_status) if c.from_status else "",
                     label(WINDOW_STATUSES, c.to_status), c.status_year, c.effective_on, c.reason,
                     SYSTEM_ACTORS.get(c.actor, c.actor), STATUS_CHANGE_VIAS[c.via]])
    return rows

