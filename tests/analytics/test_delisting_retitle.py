"""A confirmed proposal is history, not a lock on its window, year and rule for good: a window
titled again after the delisting (its new title's records start at services.delisting.
judged_from) is judged again on the records after its new title. A title merely restored (an
older award year or day put back) is not a new one: the confirmed proposal still stands."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from analytics import delisting
from feedback_api.models import DelistingProposal
from feedback_api.services import covert, windows
from feedback_api.services import delisting as proposals
from tests.assessment_helpers import user

INCIDENT = {"kind": "safety", "description": "电梯故障致群众受伤", "source": "群众举报",
            "severity": "major"}


def _incident(on: str) -> None:
    covert.save_incident(None, {**INCIDENT, "window": "CD-SW-001", "occurred_on": on})


def _title(year: int, on: str) -> None:
    windows.update_window(user("office"), "CD-SW-001", {
        "status": "demonstration", "status_year": year, "status_date": on,
        "status_reason": f"{year}年度评审命名"})


def _states(s) -> list[tuple[int, str, list[str]]]:
    return [(p.rule, p.state, [i["occurred_on"] for i in p.evidence["items"]])
            for p in s.scalars(sa.select(DelistingProposal).order_by(DelistingProposal.id))]


def _delist_on_the_march_incident(s) -> DelistingProposal:
    _incident("2026-03-01")
    (first,) = delisting.evaluate(2026)
    proposals.confirm(user("office"), first.id, on=date(2026, 3, 10))
    return first


def test_a_window_titled_again_is_judged_again_after_its_new_title(db, titled_district):
    with db() as s:
        first = _delist_on_the_march_incident(s)
        _title(2026, "2026-06-01")
        # The March incident was judged; nothing after the new title yet.
        assert delisting.evaluate(2026) == []
        _incident("2026-08-01")
        (again,) = delisting.evaluate(2026)
        assert again.id != first.id and again.state == "open"
        assert _states(s) == [(4, "confirmed", ["2026-03-01"]), (4, "open", ["2026-08-01"])]
        assert proposals.proposal_state(again.window_id, 2026, 4) == "open"
        assert delisting.evaluate(2026) == []  # idempotent
        proposals.confirm(user("office"), again.id, on=date(2026, 8, 20))
        assert s.scalar(sa.select(sa.func.count()).select_from(DelistingProposal).where(
            DelistingProposal.state == "confirmed")) == 2
        assert again.window.status == "delisted"


def test_a_title_restored_from_before_the_delisting_is_not_a_new_one(db, titled_district):
    with db() as s:
        _delist_on_the_march_incident(s)
        _title(2025, "2025-12-30")  # the old award put back (a mistaken delisting undone)
        _incident("2026-08-01")
        assert delisting.evaluate(2026) == []
        assert _states(s) == [(4, "confirmed", ["2026-03-01"])]


def test_a_title_of_the_delisting_day_itself_is_not_judged_again(db, titled_district):
    with db() as s:
        _delist_on_the_march_incident(s)
        _title(2026, "2026-03-10")
        _incident("2026-08-01")
        assert delisting.evaluate(2026) == []
