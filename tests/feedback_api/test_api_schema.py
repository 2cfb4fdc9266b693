"""Live responses match the generated OpenAPI document: schemathesis drives a real server on
loopback with a real bearer token over every read operation (and, as the office, every write),
on the suite's engine."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from feedback_api.db import Session
from feedback_api.models import Window
from feedback_api.services import (
    answers,
    appeals,
    evidence_files,
    opinions,
    review,
    ticket_loop,
    ticket_open,
    users,
)
from feedback_api.services import feedback as fb
from wechat_bot.contacts import get_or_create_citizen

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
MAX_EXAMPLES = 12
#: Known rows, so detail operations are checked on real 200 answers too, not only on 404s.
KNOWN: dict[str, Any] = {}


def _seed(db: Any) -> None:
    """Every kind of value a response can carry: raw and masked text, analysis, review,
    an answer and its message, a WeChat citizen and an H5 rating."""
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        citizen = get_or_create_citizen("oSchemathesis00000000000001")
        item = fb.record_feedback(window, citizen=citizen, channel="wechat", rating=1,
                                  text="排队太久，电话13800138000",
                                  received_at=datetime(2026, 6, 1, 4, 0, tzinfo=UTC)).feedback
        opinions.apply_analysis(item, sentiment=0.12, topics=[{"topic": "efficiency", "score": 0.8}],
                                keywords=["排队"], masked_text="排队太久，电话138****8000", flags=["phone"],
                                model_version="test-1")
        fb.record_feedback(window, citizen=None, channel="h5", rating=5)
        Session.flush()
        review.review_feedback(users.get_user("agency"), item.id,
                               {"valid": True, "topics": ["efficiency"], "sentiment": 0})
        answers.answer_feedback(users.get_user("unit"), item.id, "已加开窗口")
        # Asked to rate the fix, the citizen rates the window again: the ticket's fix_rating.
        answers.request_rerating(users.get_user("agency"), item.id)
        fb.record_feedback(window, citizen=citizen, channel="wechat", rating=4)
        # A ticket with a response and its evidence file, and an appeal, for the detail operations.
        ticket = ticket_open.open_from_feedback(users.get_user("agency"), item.id)
        ticket_loop.respond(users.get_user("unit"), ticket.id, "已加开窗口",
                            [evidence_files.Upload("现场.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)])
        appeal = appeals.file_appeal(users.get_user("unit"), item.id, kind="mistaken", reason="误评",
                                     now=datetime(2026, 6, 2, 4, 0, tzinfo=UTC))
        KNOWN.update(feedback_id=item.id, code=window.code, ticket_id=ticket.id, appeal_id=appeal.id,
                     **_seed_cycle(), **_seed_assessment())
    with db():  # this quarter published: a unit reads published figures only (its 200 too)
        from analytics import snapshots
        from analytics.periods import current_quarter

        snapshots.publish(users.get_user("office"), current_quarter())



def _seed_cycle() -> dict[str, int]:
    """A programme year with a scored, publicised recommendation and an objection to it."""
    from datetime import date

    from feedback_api.services import cycle
    from tests.cycle_helpers import scored_recommendation

    year, sub = scored_recommendation(2026)
    office = users.get_user("office")
    entry = cycle.open_publicity(office, year, date(2026, 7, 16), date(2026, 7, 22),
                                 not_before=date(2026, 7, 16)).entries[0]
    objection = cycle.record_objection(office, entry, "异议", received_on=date(2026, 7, 18))
    return {"year": 2026, "submission_id": sub.id, "objection_id": objection.id}


def _seed_assessment() -> dict[str, int]:
    """The assessment's records on the unit's window: an inspection with a failed indicator, a
    covert inspection with an evidence file, an incident and an open delisting proposal."""
    from feedback_api.services import covert, delisting, inspections
    from feedback_api.services.standards import DEFAULT_INDICATORS

    office = users.get_user("office")
    scores = {name: points * 0.9 for _, name, points, _ in DEFAULT_INDICATORS}
    insp, _ = inspections.save_inspection(office, {
        "window": "CD-SW-001", "year": 2026, "quarter": 3, "inspected_on": "2026-08-20",
        "inspectors": "张三", "scores": {**scores, "服务态度": 3}})
    visit = covert.record_covert(office, {"window": "CD-SW-001", "inspected_on": "2026-09-01",
                                          "notes": "暗访", "results": {"服务态度": False}})
    evidence = covert.add_evidence(office, visit, "现场.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    incident = covert.save_incident(office, {
        "window": "CD-SW-001", "occurred_on": "2026-06-01", "kind": "safety", "severity": "major",
        "description": "吊顶脱落", "source": "媒体报道"})
    proposal = delisting.propose(visit.window_id, 2026, 4, {"summary": "重大安全事故",
                                                            "items": [{"key": f"incident:{incident.id}"}]})
    return {"inspection_id": insp.id, "covert_id": visit.id, "incident_id": incident.id,
            "proposal_id": proposal.id, "evidence_id": evidence.id}


#: What a unit may not read of the cycle: the experts' scores, the objections (403), and the
#: authority's recommendation (404: outside its scope); nor a covert-evidence file (404). Every
#: other known row answers 200.
UNIT_REFUSED = {"/api/v1/reviews": 403, "/api/v1/objections": 403,
                "/api/v1/recommendations/{submission_id}": 404,
                # Covert evidence files are the office's and the agency's.
                "/api/v1/covert-inspections/{covert_id}/evidence/{evidence_id}": 404}


@pytest.fixture(params=["office", "unit"])
def live_api(request: pytest.FixtureRequest, app: Any, db: Any, district: Any,
             token_for: Any) -> Iterator[tuple[str, dict[str, str], str]]:
    _seed(db)
    headers = token_for(request.param)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", headers, request.param
    finally:
        server.shutdown()
        thread.join(5)


def _fuzz(operation: Any, mode: GenerationMode, check: Any, **fixed: Any) -> None:
    # schemathesis's pytest plugin does not run under pytest 9.2; this is its documented
    # Hypothesis route (as_strategy), bounded for two shared cores.
    @given(case=operation.as_strategy(mode, **fixed))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def generated(case: Any) -> None:
        assert check(case, mode) < 500

    generated()


def _operations(base_url: str, headers: dict[str, str], **include: Any) -> tuple[list[Any], Any]:
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", timeout=10)
    schema.config.update(base_url=base_url, headers=headers)
    operations = [result.ok() for result in schema.include(**include).get_all_operations()]
    calls: list[str] = []

    def check(case: Any, mode: GenerationMode = GenerationMode.POSITIVE) -> int:
        # Invalid input (an unknown field or parameter, a wrong type) must get a 4xx too.
        checks = CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])
        response = case.call_and_validate(base_url=base_url, headers=headers, checks=checks,
                                          timeout=10)
        calls.append(case.operation.label)
        return response.status_code

    check.calls = calls  # type: ignore[attr-defined]
    return operations, check


def _known(operation: Any) -> dict[str, Any]:
    return {k: v for k, v in KNOWN.items() if "{" + k + "}" in operation.path}


def test_read_operations_match_the_document(live_api: tuple[str, dict[str, str], str]) -> None:
    base_url, headers, role = live_api
    operations, check = _operations(base_url, headers, method="GET")
    # the core's 8, tickets' and appeals' 4, the cycle's 5, the assessment's records' 11 and
    # the assessment (analytics) 1
    assert len(operations) == 29
    # Negative input needs something to make invalid: the operations with query parameters.
    for operation, mode in itertools.product(operations, GenerationMode):
        if mode == GenerationMode.POSITIVE or list(operation.query):
            _fuzz(operation, mode, check)
    for operation in operations:
        # The same operation on a row that exists: its 200 answer is checked too.
        expected = UNIT_REFUSED.get(operation.path, 200) if role == "unit" else 200
        assert check(operation.Case(path_parameters=_known(operation))) == expected, operation.path
    assert set(check.calls) == {op.label for op in operations}
    print(f"schemathesis reads: {len(operations)} operations, {len(check.calls)} calls")


@pytest.mark.parametrize("live_api", ["office"], indirect=True)
def test_write_operations_match_the_document(live_api: tuple[str, dict[str, str], str]) -> None:
    """Generated bodies (valid and invalid) on rows that exist, so the writes really run."""
    base_url, headers, _ = live_api
    operations, check = _operations(base_url, headers, method=["POST", "PATCH"])
    # the core's 5, tickets' and appeals' 10, the cycle's 4, the assessment's records' 10
    assert len(operations) == 29
    for operation, mode in itertools.product(operations, GenerationMode):
        if mode == GenerationMode.POSITIVE or operation.body:
            _fuzz(operation, mode, check, path_parameters=_known(operation))
    assert set(check.calls) == {op.label for op in operations}
    print(f"schemathesis writes: {len(operations)} operations, {len(check.calls)} calls")
