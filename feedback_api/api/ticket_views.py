"""API routes of supervision tickets (督办单) and appeals (申诉), scoped like the pages: the
services decide what a user may see (outside it a ticket does not exist: 404) and do (403)."""

from __future__ import annotations

from typing import Any

from feedback_api.api import bp
from feedback_api.api.auth import api_user
from feedback_api.api.schemas import page, page_schema
from feedback_api.api.tickets_schemas import (
    AppealFileSchema,
    AppealQuery,
    AppealSchema,
    AttachSchema,
    CancelSchema,
    DecideSchema,
    DetachSchema,
    RespondSchema,
    TicketOpenSchema,
    TicketQuery,
    TicketSchema,
    TicketSummaryPageSchema,
    TransferSchema,
    VerdictSchema,
    uploads,
)
from feedback_api.api.views import no_query
from feedback_api.db import Session
from feedback_api.services import appeals as appeal_service
from feedback_api.services import ticket_links, ticket_loop, ticket_open, ticket_transfer
from feedback_api.services import tickets as ticket_service
from feedback_api.services import windows as window_service


def _window_in_scope(query: dict[str, Any]) -> None:
    if query.get("window"):
        window_service.get_window(api_user(), query["window"])  # 404 outside the caller's scope


@bp.get("/tickets")
@bp.doc(summary="督办单列表（新开的在前）")
@bp.arguments(TicketQuery, location="query")
@bp.response(200, TicketSummaryPageSchema)
def list_tickets(query: dict[str, Any]) -> dict[str, Any]:
    _window_in_scope(query)
    items, total = ticket_service.list_tickets(api_user(), **query)
    return page(items, total, query)


@bp.post("/tickets")
@bp.doc(summary="开督办单（第三方机构、区联席办）：据评价（feedback_id）或对窗口（window）；"
                "该窗口同一问题类别已有未办结的督办单时 409（details.existing 列出），"
                "确需另开须 force=true")
@no_query
@bp.arguments(TicketOpenSchema)
@bp.response(201, TicketSchema)
def open_ticket(data: dict[str, Any]) -> Any:
    user = api_user()
    if "feedback_id" in data:
        ticket = ticket_open.open_from_feedback(user, data["feedback_id"], topic=data.get("topic"),
                                                problem=data.get("problem"),
                                                check_duplicates=not data["force"])
    else:
        ticket = ticket_open.open_on_window(user, data["window"], topic=data["topic"],
                                            problem=data["problem"], source=data["source"],
                                            source_ref=data["source_ref"],
                                            check_duplicates=not data["force"])
    Session.commit()
    return ticket


@bp.get("/tickets/<int:ticket_id>")
@bp.doc(summary="督办单详情：各轮整改、证明材料与关联评价")
@no_query
@bp.response(200, TicketSchema)
def get_ticket(ticket_id: int) -> Any:
    return ticket_service.get_ticket(api_user(), ticket_id)


@bp.post("/tickets/<int:ticket_id>/respond")
@bp.doc(summary="反馈整改情况（窗口单位；区联席办可代为），可附证明材料")
@no_query
@bp.arguments(RespondSchema)
@bp.response(200, TicketSchema)
def respond(data: dict[str, Any], ticket_id: int) -> Any:
    rnd = ticket_loop.respond(api_user(), ticket_id, data["text"], uploads(data["files"]),
                             round_no=data["round"])
    Session.commit()
    return rnd.ticket


@bp.post("/tickets/<int:ticket_id>/verify")
@bp.doc(summary="核验办结（第三方机构、区联席办）；整改情况答复群众，差评群众收到整改评价邀请")
@no_query
@bp.arguments(VerdictSchema)
@bp.response(200, TicketSchema)
def verify(data: dict[str, Any], ticket_id: int) -> Any:
    done = ticket_loop.verify(api_user(), ticket_id, data["reason"], round_no=data["round"])
    Session.commit()
    return done.ticket


@bp.post("/tickets/<int:ticket_id>/send-back")
@bp.doc(summary="退回重办（第三方机构、区联席办）：须写理由，开下一轮督办")
@no_query
@bp.arguments(VerdictSchema)
@bp.response(200, TicketSchema)
def send_back(data: dict[str, Any], ticket_id: int) -> Any:
    rnd = ticket_loop.send_back(api_user(), ticket_id, data["reason"], round_no=data["round"])
    Session.commit()
    return rnd.ticket


@bp.post("/tickets/<int:ticket_id>/transfer")
@bp.doc(summary="转办（第三方机构、区联席办）：派错窗口的未办结督办单转至其他窗口，须写理由；"
                "编号与记录不变，本轮记为已转办（不计超期与督办轮次），新窗口按新督办单起算整改时限")
@no_query
@bp.arguments(TransferSchema)
@bp.response(200, TicketSchema)
def transfer(data: dict[str, Any], ticket_id: int) -> Any:
    rnd = ticket_transfer.transfer(api_user(), ticket_id, data["window"], data["reason"],
                                   round_no=data["round"])
    Session.commit()
    return rnd.ticket


@bp.post("/tickets/<int:ticket_id>/cancel")
@bp.doc(summary="撤销督办单（区联席办）：须写理由；时限停止，不计入按时办理率、超期与摘牌规则")
@no_query
@bp.arguments(CancelSchema)
@bp.response(200, TicketSchema)
def cancel(data: dict[str, Any], ticket_id: int) -> Any:
    ticket = ticket_links.cancel_ticket(api_user(), ticket_id, data["reason"])
    Session.commit()
    return ticket


@bp.post("/tickets/<int:ticket_id>/attach")
@bp.doc(summary="关联评价（第三方机构、区联席办）：同一问题的另一条评价加入未办结的督办单；"
                "时限不变，办结时该群众同样收到答复")
@no_query
@bp.arguments(AttachSchema)
@bp.response(200, TicketSchema)
def attach(data: dict[str, Any], ticket_id: int) -> Any:
    link = ticket_open.attach_feedback(api_user(), ticket_id, data["feedback_id"])
    Session.commit()
    return ticket_service.get_ticket(api_user(), link.ticket_id)


@bp.post("/tickets/<int:ticket_id>/detach")
@bp.doc(summary="解除关联（第三方机构、区联席办）：评价与此问题无关时，须写理由；"
                "据评价所开督办单的最后一条评价不能解除（请区联席办撤销督办单）")
@no_query
@bp.arguments(DetachSchema)
@bp.response(200, TicketSchema)
def detach(data: dict[str, Any], ticket_id: int) -> Any:
    ticket = ticket_links.detach_feedback(api_user(), ticket_id, data["feedback_id"],
                                          data["reason"])
    Session.commit()
    return ticket


@bp.get("/appeals")
@bp.doc(summary="申诉列表（新的在前）")
@bp.arguments(AppealQuery, location="query")
@bp.response(200, page_schema(AppealSchema))
def list_appeals(query: dict[str, Any]) -> dict[str, Any]:
    _window_in_scope(query)
    items, total = appeal_service.list_appeals(api_user(), **query)
    return page(items, total, query)


@bp.post("/appeals")
@bp.doc(summary="申诉评分（窗口单位，申诉期内）：恶意差评或误评，写明理由，可附证明材料")
@no_query
@bp.arguments(AppealFileSchema)
@bp.response(201, AppealSchema)
def file_appeal(data: dict[str, Any]) -> Any:
    appeal = appeal_service.file_appeal(api_user(), data["feedback_id"], kind=data["kind"],
                                        reason=data["reason"], files=uploads(data["files"]))
    Session.commit()
    return appeal


@bp.get("/appeals/<int:appeal_id>")
@bp.doc(summary="申诉详情")
@no_query
@bp.response(200, AppealSchema)
def get_appeal(appeal_id: int) -> Any:
    return appeal_service.get_appeal(api_user(), appeal_id)


@bp.post("/appeals/<int:appeal_id>/decide")
@bp.doc(summary="裁定申诉（第三方机构）：成立则该评分不再计入任何统计与得分")
@no_query
@bp.arguments(DecideSchema)
@bp.response(200, AppealSchema)
def decide_appeal(data: dict[str, Any], appeal_id: int) -> Any:
    appeal = appeal_service.decide_appeal(api_user(), appeal_id, upheld=data["decision"] == "upheld",
                                          reason=data["reason"])
    Session.commit()
    return appeal
