"""The ticket desk as an Excel workbook (government staff work in Excel), its filters applied;
every cell goes through ``cells`` so no text becomes a formula."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, orm, select

from feedback_api.db import Session
from feedback_api.models import Ticket, User, Window
from feedback_api.models.reference import TICKET_SOURCES, TICKET_STATES, TOPICS
from feedback_api.services import cells, ticket_clocks
from feedback_api.services.feedback import LOCAL_TZ
from feedback_api.services.tickets import sees_callback_clock, ticket_query

EXPORT_HEADER = ["督办单编号", "窗口编号", "窗口名称", "单位", "问题类别", "来源", "来源编号", "整改要求",
                 "开单时间", "状态", "轮次", "整改截止", "是否超期", "整改时限", "回访截止", "回访时限",
                 "回访超期", "办结时间"]
#: The agency's call-back columns: not in a unit's or its authority's export (``sees_callback_clock``).
CALLBACK_COLUMNS = frozenset({"回访截止", "回访时限", "回访超期"})
#: The most rows one export holds (Excel's own limit is 1,048,576).
MAX_EXPORT = 50000


def _when(moment: datetime | None) -> datetime | None:
    """Beijing time without its zone: Excel dates have none (openpyxl refuses an aware one)."""
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None, second=0, microsecond=0) if moment else None


def _callback_text(ticket: Ticket, clock: ticket_clocks.Clock | None) -> str:
    if clock is not None:
        return clock.text
    return "已停止" if ticket.state == "cancelled" and ticket.callback_due else ""


def cap_note(total: int) -> str:
    """What a workbook (and the desk) says when the cap cut the export."""
    return f"共 {total} 条，仅导出前 {MAX_EXPORT} 条，请缩小筛选范围后分次导出。"


def over_cap(total: int) -> bool:
    return total > MAX_EXPORT


def export_rows(user: User, **filters: Any) -> list[list[Any]]:
    """The tickets of the desk's filters, newest first, as rows under ``EXPORT_HEADER`` (without
    the call-back columns for those who do not see that clock)."""
    stmt = (ticket_query(user, **filters)
            .options(orm.contains_eager(Ticket.window).contains_eager(Window.unit),
                     orm.selectinload(Ticket.rounds))
            .order_by(Ticket.opened_at.desc(), Ticket.id.desc()).limit(MAX_EXPORT))
    shown = sees_callback_clock(user)
    keep = [i for i, name in enumerate(EXPORT_HEADER) if shown or name not in CALLBACK_COLUMNS]
    rows: list[list[Any]] = [[EXPORT_HEADER[i] for i in keep]]
    tickets = Session.scalars(stmt).all()
    # A cancelled ticket's clocks stopped, as its page says.
    clocks = ticket_clocks.fix_clocks(tickets)
    callbacks = ticket_clocks.callback_clocks(tickets) if shown else {}
    for t in tickets:
        clock = clocks.get(t.id)
        row = [t.number, t.window.code, t.window.name, t.window.unit.name,
               TOPICS.get(t.topic, t.topic), TICKET_SOURCES.get(t.source, t.source),
               t.source_ref, t.problem, _when(t.opened_at),
               TICKET_STATES.get(t.state, t.state), len(t.rounds), t.fix_due,
               "是" if t.overdue else "否",
               clock.text if clock else "已停止", t.callback_due,
               _callback_text(t, callbacks.get(t.id)),
               "是" if t.callback_overdue else "否", _when(t.closed_at)]
        rows.append([row[i] for i in keep])
    return rows


def export_xlsx(user: User, **filters: Any) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "督办单"
    header, *rows = export_rows(user, **filters)
    cells.xlsx_table(ws, header, rows)
    if len(rows) == MAX_EXPORT:
        # Possibly cut: count once, and say so on a sheet of its own so the table stays a table.
        total = Session.scalar(select(func.count()).select_from(
            ticket_query(user, **filters).subquery())) or 0
        if over_cap(total):
            note = wb.create_sheet("说明")
            note["A1"] = cap_note(total)
            note.column_dimensions["A"].width = 60
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
