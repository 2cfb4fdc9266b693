"""API routes of the assessment's records (issue 14), scoped as their pages are: everyone reads
the standard; a unit sees its windows' inspections, covert inspections, incidents and proposals,
an authority its industry's, the office and the agency all. Authorities (and the office) enter
inspections; the office edits the standard, enters covert inspections and incidents, and decides
proposals. The services decide; the views only translate."""

from __future__ import annotations

from typing import Any

from feedback_api.api import bp
from feedback_api.api.assessment_schemas import (
    CovertEvidenceSchema,
    CovertQuery,
    CovertSchema,
    CovertWrittenSchema,
    DecisionSchema,
    FindingTicketSchema,
    IncidentQuery,
    IncidentSchema,
    IncidentWrittenSchema,
    InspectionQuery,
    InspectionSchema,
    InspectionWrittenSchema,
    ProposalQuery,
    ProposalSchema,
    StandardSchema,
    Written,
)
from feedback_api.api.auth import api_user
from feedback_api.api.schemas import PageQuery, page, page_schema
from feedback_api.api.tickets_schemas import TicketSchema, uploads
from feedback_api.api.views import no_query
from feedback_api.db import Session
from feedback_api.services import covert, files, inspection_tickets, inspections, standards
from feedback_api.services import delisting as proposals
from feedback_api.services import windows as window_service
from feedback_api.services.errors import PermissionDenied


def _written(record: Any, window_id: int, year: int) -> Written:
    """The write's record with the proposals the rules, run at once as the pages run them,
    raised or reopened (the caller commits)."""
    raised = proposals.run_rules({(window_id, year)})
    return Written(record, [p for p in raised if p.state == "open"])


def _window_in_scope(query: dict[str, Any]) -> None:
    if query.get("window"):
        window_service.get_window(api_user(), query["window"])  # 404 outside the caller's scope


# --- the standard ------------------------------------------------------------------------

@bp.get("/standards")
@bp.doc(summary="测评标准列表（各年度，新的在前）")
@bp.arguments(PageQuery, location="query")
@bp.response(200, page_schema(StandardSchema))
def list_standards(query: dict[str, Any]) -> dict[str, Any]:
    items, total = standards.list_standards(**query)
    return page(items, total, query)


@bp.get("/standards/<int:year>")
@bp.doc(summary="某年度测评标准（尚未保存的年度返回按上一年度或默认标准生成的版本，指标无编号；"
                "首次录入检查、暗查、专家评分或区联席办修改时保存）")
@no_query
@bp.response(200, StandardSchema)
def get_standard(year: int) -> Any:
    std = standards.read_standard(year)  # a read never writes: an unsaved year is not stored
    if std.id is None:
        return {**standards.standard_to_dict(std), "max_score": std.max_score, "updated_at": None}
    return std


@bp.patch("/standards/<int:year>")
@bp.doc(summary="修改测评标准（区联席办）：名称、合格分数线、权重、重大事件扣分、指标（只改给出的字段）")
@no_query
@bp.arguments(StandardSchema(partial=True))
@bp.response(200, StandardSchema)
def update_standard(data: dict[str, Any], year: int) -> Any:
    std = standards.update_standard(api_user(), year, data)
    Session.commit()
    return std


# --- quarterly inspections ---------------------------------------------------------------

@bp.get("/inspections")
@bp.doc(summary="季度综合检查列表（新的季度在前）")
@bp.arguments(InspectionQuery, location="query")
@bp.response(200, page_schema(InspectionSchema))
def list_inspections(query: dict[str, Any]) -> dict[str, Any]:
    _window_in_scope(query)
    items, total = inspections.list_inspections(api_user(), **query)
    return page(items, total, query)


@bp.post("/inspections")
@bp.doc(summary="录入季度综合检查（行业主管部门录入本行业窗口的；区联席办可代录）")
@no_query
@bp.arguments(InspectionSchema)
@bp.response(201, InspectionWrittenSchema)
@bp.alt_response(200, schema=InspectionWrittenSchema, description="replace 为 true 时替换了已录入的检查")
def enter_inspection(data: dict[str, Any]) -> Any:
    replace = data.pop("replace")
    insp, created = inspections.save_inspection(api_user(), data, replace=replace)
    written = _written(insp, insp.window_id, insp.year)  # as the page: a proposal at once
    Session.commit()
    return written, 201 if created else 200


@bp.get("/inspections/<int:inspection_id>")
@bp.doc(summary="季度综合检查详情：逐项得分与合格线")
@no_query
@bp.response(200, InspectionSchema)
def get_inspection(inspection_id: int) -> Any:
    return inspections.get_inspection(api_user(), inspection_id)


@bp.post("/inspections/<int:inspection_id>/tickets")
@bp.doc(summary="为不合格指标开督办单（第三方机构、区联席办；来源“综合检查”，每项指标一张）")
@no_query
@bp.arguments(FindingTicketSchema)
@bp.response(201, TicketSchema)
def open_finding_ticket(data: dict[str, Any], inspection_id: int) -> Any:
    user = api_user()
    insp = inspections.get_inspection(user, inspection_id)
    if not inspection_tickets.can_open_ticket(user):
        raise PermissionDenied("只有第三方机构或区联席办可以开督办单")
    ticket = inspection_tickets.open_ticket_for_finding(user, insp, data["indicator_id"], data["note"])
    Session.commit()
    return ticket


# --- covert inspections ------------------------------------------------------------------

@bp.get("/covert-inspections")
@bp.doc(summary="暗查列表（新的在前）")
@bp.arguments(CovertQuery, location="query")
@bp.response(200, page_schema(CovertSchema))
def list_covert(query: dict[str, Any]) -> dict[str, Any]:
    _window_in_scope(query)
    items, total = covert.list_covert(api_user(), **query)
    return page(items, total, query)


@bp.post("/covert-inspections")
@bp.doc(summary="录入暗查（区联席办）：逐项合格或不合格；证据文件另行上传")
@no_query
@bp.arguments(CovertSchema)
@bp.response(201, CovertWrittenSchema)
def record_covert(data: dict[str, Any]) -> Any:
    item = covert.record_covert(api_user(), data)
    written = _written(item, item.window_id, item.inspected_on.year)
    Session.commit()
    return written


@bp.get("/covert-inspections/<int:covert_id>")
@bp.doc(summary="暗查详情：逐项结果与证据文件")
@no_query
@bp.response(200, CovertSchema)
def get_covert(covert_id: int) -> Any:
    return covert.get_covert(api_user(), covert_id)


@bp.patch("/covert-inspections/<int:covert_id>")
@bp.doc(summary="更正暗查（区联席办；只改给出的字段：日期不跨年度，窗口不变）")
@no_query
@bp.arguments(CovertSchema(partial=True, exclude=("window",)))
@bp.response(200, CovertWrittenSchema)
def correct_covert(data: dict[str, Any], covert_id: int) -> Any:
    item = covert.correct_covert(api_user(), covert_id, data)
    written = _written(item, item.window_id, item.inspected_on.year)
    Session.commit()
    return written


def _evidence_request_limit() -> int:
    # One file in Base64 (4 bytes for every 3) and the JSON around it.
    return covert.max_evidence_bytes() * 4 // 3 + 64 * 1024


@bp.post("/covert-inspections/<int:covert_id>/evidence")
@files.request_limit(_evidence_request_limit)
@bp.doc(summary="上传一个暗查证据文件（区联席办）：照片、PDF、Word、录音或视频，按内容识别类型")
@no_query
@bp.arguments(CovertEvidenceSchema)
@bp.response(201, CovertEvidenceSchema)
def add_covert_evidence(data: dict[str, Any], covert_id: int) -> Any:
    user = api_user()
    item = covert.get_covert(user, covert_id)
    [upload] = uploads([{"name": data["filename"], "content": data["content"]}])
    ev = covert.add_evidence(user, item, upload.name, upload.content)
    Session.commit()
    return ev


@bp.get("/covert-inspections/<int:covert_id>/evidence/<int:evidence_id>")
@bp.doc(summary="下载暗查证据文件（仅区联席办与第三方机构；内容与上传时的 SHA-256 不符则不提供）")
@no_query
@bp.response(200, {"type": "string", "format": "binary"}, content_type="*/*",
             description="文件本身，类型为上传时按内容识别的类型")
def download_covert_evidence(covert_id: int, evidence_id: int) -> Any:
    _ev, stored = covert.get_evidence(api_user(), covert_id, evidence_id)
    return files.send(stored)


# --- incidents ---------------------------------------------------------------------------

@bp.get("/incidents")
@bp.doc(summary="重大事件列表（新的在前）")
@bp.arguments(IncidentQuery, location="query")
@bp.response(200, page_schema(IncidentSchema))
def list_incidents(query: dict[str, Any]) -> dict[str, Any]:
    _window_in_scope(query)
    items, total = covert.list_incidents(api_user(), **query)
    return page(items, total, query)


@bp.post("/incidents")
@bp.doc(summary="录入重大事件（区联席办）；重大的即时按摘牌规则检查，持有称号的窗口生成摘牌建议")
@no_query
@bp.arguments(IncidentSchema)
@bp.response(201, IncidentWrittenSchema)
def record_incident(data: dict[str, Any]) -> Any:
    item = covert.save_incident(api_user(), data)
    written = _written(item, item.window_id, item.occurred_on.year)  # as the incident form
    Session.commit()
    return written


@bp.get("/incidents/<int:incident_id>")
@bp.doc(summary="重大事件详情")
@no_query
@bp.response(200, IncidentSchema)
def get_incident(incident_id: int) -> Any:
    return covert.find_incident(api_user(), incident_id)


@bp.patch("/incidents/<int:incident_id>")
@bp.doc(summary="更正重大事件（区联席办；只改给出的字段）")
@no_query
@bp.arguments(IncidentSchema(partial=True))
@bp.response(200, IncidentWrittenSchema)
def correct_incident(data: dict[str, Any], incident_id: int) -> Any:
    user = api_user()
    current = covert.incident_to_dict(covert.get_incident(user, incident_id))
    item = covert.save_incident(user, {**current, **data}, incident_id)
    written = _written(item, item.window_id, item.occurred_on.year)
    Session.commit()
    return written


# --- delisting proposals -----------------------------------------------------------------

@bp.get("/delisting-proposals")
@bp.doc(summary="摘牌建议（待确认的在前），每条附规则编号与触发依据")
@bp.arguments(ProposalQuery, location="query")
@bp.response(200, page_schema(ProposalSchema))
def list_proposals(query: dict[str, Any]) -> dict[str, Any]:
    _window_in_scope(query)
    items, total = proposals.list_proposals(api_user(), **query)
    return page(items, total, query)


@bp.get("/delisting-proposals/<int:proposal_id>")
@bp.doc(summary="摘牌建议详情")
@no_query
@bp.response(200, ProposalSchema)
def get_proposal(proposal_id: int) -> Any:
    return proposals.get_proposal(api_user(), proposal_id)


@bp.post("/delisting-proposals/<int:proposal_id>/confirm")
@bp.doc(summary="确认摘牌（区联席办）：窗口状态改为摘牌，记日期与原因")
@no_query
@bp.arguments(DecisionSchema)
@bp.response(200, ProposalSchema)
def confirm_proposal(data: dict[str, Any], proposal_id: int) -> Any:
    p = proposals.confirm(api_user(), proposal_id, data["note"])
    Session.commit()
    return p


@bp.post("/delisting-proposals/<int:proposal_id>/dismiss")
@bp.doc(summary="不予采纳（区联席办）：须写理由；有新的依据时建议会重新打开")
@no_query
@bp.arguments(DecisionSchema)
@bp.response(200, ProposalSchema)
def dismiss_proposal(data: dict[str, Any], proposal_id: int) -> Any:
    p = proposals.dismiss(api_user(), proposal_id, data["note"])
    Session.commit()
    return p
