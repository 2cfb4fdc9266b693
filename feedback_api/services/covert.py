"""Covert inspections (暗查) and incidents (重大事件): the office enters both; windows' users read
their own. Evidence files of a covert inspection (photos, recordings, videos, documents) are kept
in the shared store (``services.files``) by their SHA-256."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager, selectinload

from feedback_api.db import Session
from feedback_api.models import CovertEvidence, CovertInspection, CovertResult, Incident, User, Window
from feedback_api.models.reference import INCIDENT_KINDS, INCIDENT_SEVERITIES, lookup_code
from feedback_api.services import audit, delisting, files, scope, standards, typed_filters
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from feedback_api.services.feedback import LOCAL_TZ
from feedback_api.services.inspections import (
    parse_date,
    refuse_if_delisted_before,
    refuse_visit_before_listing,
)

MAX_EVIDENCE_FILES = 20
#: What evidence may be (services.files.KINDS): photos, PDF, Word, recordings, videos; only
#: pictures and PDFs open in the browser, the rest are downloads.
EVIDENCE_KINDS = ("image", "pdf", "word", "audio", "video")


def _require_office(actor: User | None, what: str) -> None:
    if actor is not None and actor.role != "office":
        raise PermissionDenied(f"只有区联席办可以录入{what}")


def _window(actor: User | None, code: str) -> Window:
    window = Session.scalars(sa.select(Window).where(Window.code == (code or "").strip())).first()
    if window is None:
        raise NotFound(f"窗口 {code} 不存在", details={"window": "窗口不存在"})
    return window


def _day(value: Any, label: str) -> date:
    try:
        day = parse_date(value)
    except ValueError as exc:
        raise ValidationError(f"{label}有误：{exc}", details={label: str(exc)}) from None
    if day > datetime.now(LOCAL_TZ).date():
        raise ValidationError(f"{label}不能晚于今天", details={label: "晚于今天"})
    return day


def covert_to_dict(item: CovertInspection) -> dict[str, Any]:
    return {"window": item.window.code, "inspected_on": item.inspected_on.isoformat(),
            "notes": item.notes,
            "results": {r.indicator.name: r.passed for r in item.results}}


def _results(std: Any, raw: Any) -> list[CovertResult]:
    """The checked indicators' results ({indicator name or id: passed}), validated."""
    raw = raw or {}
    by_key = {**{i.id: i for i in std.indicators}, **{i.name: i for i in std.indicators}}
    unknown = [str(k) for k in raw if k not in by_key]
    if unknown:
        raise ValidationError(f"未知测评指标：{'、'.join(unknown)}", details={"results": "未知指标"})
    if not raw:
        raise ValidationError("至少要填写一个指标的暗查结果", details={"results": "未填写"})
    if any(not isinstance(v, bool) for v in raw.values()):
        raise ValidationError("暗查结果应为合格或不合格", details={"results": "应为是/否"})
    return [CovertResult(indicator_id=by_key[k].id, passed=v) for k, v in raw.items()]


def _notes(data: dict[str, Any]) -> str:
    notes = str(data.get("notes") or "").strip()
    if len(notes) > 5000:
        raise ValidationError("备注不能超过 5000 字", details={"notes": "过长"})
    return notes


def _one_a_day(window: Window, on: date, own: int | None = None) -> None:
    same = same_day(window.id, on, own)
    if same is not None:
        raise Conflict(f"窗口 {window.code} 在 {on} 已有暗查记录：同一天的暗查是一次，"
                       "请在该记录上补充证据", details={"covert_inspection": same})


def record_covert(actor: User | None, data: dict[str, Any]) -> CovertInspection:
    """``data``: window (code), inspected_on, results ({indicator name or id: passed}), notes.
    Indicators not checked are left out of ``results``; at least one must be checked."""
    _require_office(actor, "暗查")
    window = _window(actor, data.get("window", ""))
    on = _day(data.get("inspected_on"), "暗查日期")
    refuse_if_delisted_before(window, on.year, (on.month - 1) // 3 + 1, "暗查")
    refuse_visit_before_listing(window, on)
    _one_a_day(window, on)
    notes = _notes(data)
    std = standards.ensure_standard(on.year)
    results = _results(std, data.get("results"))
    item = CovertInspection(window=window, inspected_on=on, notes=notes, standard_id=std.id,
                            entered_by=actor.id if actor is not None else None)
    item.results = results
    Session.add(item)
    Session.flush()
    Session.refresh(item, ["results"])
    audit.record_change(actor, "create", "covert_inspection", item.id, None, covert_to_dict(item))
    return item


def correct_covert(actor: User | None, covert_id: int, data: dict[str, Any]) -> CovertInspection:
    """Correct a covert inspection's day (within its year: the year's standard scored it), its
    results or notes (only the keys given); its window stays. Audited; the window's open rule 3
    proposal of the year is withdrawn if no indicator still fails often enough."""
    _require_office(actor, "暗查")
    item = Session.get(CovertInspection, covert_id) if 0 < covert_id < 2**31 else None
    if item is None:
        raise NotFound("暗查记录不存在")
    before, year = covert_to_dict(item), item.inspected_on.year
    on = _day(data["inspected_on"], "暗查日期") if "inspected_on" in data else item.inspected_on
    if on.year != year:
        raise ValidationError(f"暗查日期不能跨年度更正（本记录按 {year} 年度测评标准录入）",
                              details={"inspected_on": "不能跨年度"})
    refuse_if_delisted_before(item.window, year, (on.month - 1) // 3 + 1, "暗查")
    if on != item.inspected_on:  # one stored before its window's listing date stays correctable
        refuse_visit_before_listing(item.window, on)
    _one_a_day(item.window, on, item.id)
    notes = _notes(data) if "notes" in data else item.notes
    if "results" in data:
        item.results = _results(standards.ensure_standard(year), data["results"])
    item.inspected_on, item.notes = on, notes
    Session.flush()
    Session.refresh(item, ["results"])
    audit.record_change(actor, "update", "covert_inspection", item.id, before, covert_to_dict(item))
    delisting.withdraw_unsupported_covert(actor, item.window_id, year)
    return item


def same_day(window_id: int, on: date, other_than: int | None = None) -> int | None:
    """The window's covert inspection of that day, if any (one visit: its failures count once
    towards rule 3)."""
    return Session.scalar(sa.select(CovertInspection.id).where(
        CovertInspection.window_id == window_id, CovertInspection.inspected_on == on,
        CovertInspection.id != (other_than or 0)).limit(1))


def find_same_day(code: str, on: Any) -> int | None:
    """:func:`same_day` by the window's code (the office's form)."""
    window = Session.scalars(sa.select(Window).where(Window.code == (code or "").strip())).first()
    return same_day(window.id, on) if window is not None and isinstance(on, date) else None


def covert_query(user: User, *, window: str | None = None, year: int | None = None) -> sa.Select[Any]:
    stmt = (sa.select(CovertInspection).join(CovertInspection.window).join(Window.unit)
            .options(contains_eager(CovertInspection.window).contains_eager(Window.unit),
                     selectinload(CovertInspection.evidence))
            .where(scope.window_clause(user)))
    if window:
        stmt = stmt.where(typed_filters.window_clause(window))
    if year:
        stmt = stmt.where(CovertInspection.inspected_on >= date(year, 1, 1),
                          CovertInspection.inspected_on < date(year + 1, 1, 1))
    return stmt.order_by(CovertInspection.inspected_on.desc(), CovertInspection.id.desc())


def get_covert(user: User, covert_id: int) -> CovertInspection:
    item = Session.get(CovertInspection, covert_id) if 0 < covert_id < 2**31 else None
    if item is None or not scope.can_see_window(user, item.window):
        raise NotFound("暗查记录不存在或无权查看")
    return item


def max_evidence_bytes() -> int:
    """The largest evidence file (WW_COVERT_EVIDENCE_MAX_MB)."""
    return int(current_app.config["WW_COVERT_EVIDENCE_MAX_MB"]) * 1024 * 1024


def add_evidence(actor: User | None, item: CovertInspection, filename: str, content: bytes,
                 ) -> CovertEvidence:
    """Keep one evidence file in the shared store (type read from the content) and its row
    (flushed); the caller commits. A row rolled back leaves only unreferenced bytes."""
    _require_office(actor, "暗查证据")
    name = files.clean_filename(filename, "证据")[:200]
    if len(item.evidence) >= MAX_EVIDENCE_FILES:
        raise ValidationError(f"每次暗查最多 {MAX_EVIDENCE_FILES} 个证据文件",
                              details={"file": "文件过多"})
    try:
        saved = files.save(content, name, kinds=EVIDENCE_KINDS, max_bytes=max_evidence_bytes())
    except ValidationError as exc:
        raise ValidationError(f"文件“{name}”：{exc.message}", details={"file": exc.message}) from None
    ev = CovertEvidence(covert_inspection_id=item.id, filename=saved.filename[:200],
                        content_type=saved.content_type, size_bytes=saved.size,
                        sha256=saved.checksum)
    item.evidence.append(ev)
    Session.flush()
    audit.record_change(actor, "create", "covert_evidence", ev.id, None,
                        {"covert_inspection": item.id, "filename": ev.filename,
                         "size_bytes": ev.size_bytes, "sha256": ev.sha256})
    return ev


def sees_evidence(user: User) -> bool:
    """Evidence files (recordings of staff at work) are for the office and the agency only."""
    return scope.sees_raw_opinions(user)


def get_evidence(user: User, covert_id: int, evidence_id: int) -> tuple[CovertEvidence, files.StoredFile]:
    """An evidence file ``user`` may download, only while its bytes still match the checksum
    taken at upload; otherwise NotFound."""
    item = get_covert(user, covert_id)
    ev = next((e for e in item.evidence if e.id == evidence_id), None)
    if ev is None or not sees_evidence(user):
        raise NotFound("证据文件不存在或无权查看")
    if not files.intact(ev.sha256):
        raise NotFound("证据文件已不在服务器上或已被改动")
    return ev, files.StoredFile(ev.sha256, ev.size_bytes, ev.content_type, ev.filename)


# --- Incidents -------------------------------------------------------------------------------

def incident_to_dict(item: Incident) -> dict[str, Any]:
    return {"window": item.window.code, "occurred_on": item.occurred_on.isoformat(),
            "kind": item.kind, "severity": item.severity, "description": item.description,
            "source": item.source}


def save_incident(actor: User | None, data: dict[str, Any], incident_id: int | None = None,
                  ) -> Incident:
    """Record (or correct) an incident: window, occurred_on, kind, severity, description, source."""
    _require_office(actor, "重大事件")
    window = _window(actor, data.get("window", ""))
    on = _day(data.get("occurred_on"), "发生日期")
    errors: dict[str, str] = {}
    kind = lookup_code(INCIDENT_KINDS, str(data.get("kind") or ""))
    severity = lookup_code(INCIDENT_SEVERITIES, str(data.get("severity") or ""))
    if kind is None:
        errors["kind"] = "事件类型应为 安全事故 或 不良社会影响事件"
    if severity is None:
        errors["severity"] = "严重程度应为 重大 或 一般"
    description = str(data.get("description") or "").strip()
    source = str(data.get("source") or "").strip()
    if not description or len(description) > 5000:
        errors["description"] = "事件经过不能为空，且不超过 5000 字"
    if not source or len(source) > 200:
        errors["source"] = "信息来源不能为空，且不超过 200 字"
    if errors:
        raise ValidationError("重大事件信息有误：" + "；".join(errors.values()), details=errors)
    item = Session.get(Incident, incident_id) if incident_id else None
    if incident_id and item is None:
        raise NotFound("重大事件记录不存在")
    before = incident_to_dict(item) if item is not None else None
    was_major = (item.window_id, item.occurred_on.year) if item and item.severity == "major" else None
    if item is None:
        item = Incident(entered_by=actor.id if actor is not None else None)
        Session.add(item)
    item.window, item.occurred_on, item.kind, item.severity = window, on, kind, severity
    item.description, item.source = description, source
    Session.flush()
    audit.record_change(actor, "update" if before else "create", "incident", item.id, before,
                        incident_to_dict(item))
    if was_major is not None:  # its proposal may have lost its ground
        delisting.withdraw_unsupported_incident(actor, *was_major)
    return item


def incident_query(user: User, *, year: int | None = None, window: str | None = None,
                   ) -> sa.Select[Any]:
    stmt = (sa.select(Incident).join(Incident.window).join(Window.unit)
            .options(contains_eager(Incident.window).contains_eager(Window.unit))
            .where(scope.window_clause(user)))
    if window:
        stmt = stmt.where(typed_filters.window_clause(window))
    if year:
        stmt = stmt.where(Incident.occurred_on >= date(year, 1, 1),
                          Incident.occurred_on < date(year + 1, 1, 1))
    return stmt.order_by(Incident.occurred_on.desc(), Incident.id.desc())


def list_covert(user: User, *, page: int = 1, per_page: int = 20,
                **filters: Any) -> tuple[list[CovertInspection], int]:
    return scope.page_of(covert_query(user, **filters), page, per_page)


def list_incidents(user: User, *, page: int = 1, per_page: int = 20,
                   **filters: Any) -> tuple[list[Incident], int]:
    return scope.page_of(incident_query(user, **filters), page, per_page)


def find_incident(user: User, incident_id: int) -> Incident:
    """An incident of a window ``user`` may see; otherwise NotFound."""
    item = Session.get(Incident, incident_id) if 0 < incident_id < 2**31 else None
    if item is None or not scope.can_see_window(user, item.window):
        raise NotFound("重大事件记录不存在或无权查看")
    return item


def get_incident(actor: User, incident_id: int) -> Incident:
    """An incident to correct (the office's)."""
    _require_office(actor, "重大事件")
    item = Session.get(Incident, incident_id) if 0 < incident_id < 2**31 else None
    if item is None:
        raise NotFound("重大事件记录不存在")
    return item


def windows_for_entry() -> list[Window]:
    """Every window, by code: the office enters covert inspections and incidents for any."""
    return list(Session.scalars(sa.select(Window).order_by(Window.code)))
