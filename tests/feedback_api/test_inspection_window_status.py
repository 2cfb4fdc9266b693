"""Inspections of windows by their standing: a candidate (创建中) is inspected like a titled
window (its record counts in its assessment); a window delisted before a quarter began is out
of the programme for it (the assessment leaves it out), so its inspection or covert visit of
that quarter is refused in words; the quarter of its delisting is still its own."""

from __future__ import annotations

import pytest

from feedback_api.services import covert, inspections, windows
from feedback_api.services.errors import ValidationError
from tests.assessment_helpers import full_scores, user


def _inspect(quarter: int, on: str):
    return inspections.save_inspection(user("office"), {
        "window": "CD-SW-001", "year": 2026, "quarter": quarter, "inspected_on": on,
        "inspectors": "王五", "scores": full_scores()})[0]


def test_a_window_delisted_before_the_quarter_is_not_inspected_for_it(db, titled_district):
    with db():
        windows.update_window(user("office"), "CD-SW-001", {
            "status": "delisted", "status_date": "2026-05-10", "status_reason": "重大安全事故"})
        assert _inspect(2, "2026-05-20").quarter == 2  # the quarter it was delisted in
        with pytest.raises(ValidationError) as exc:
            _inspect(3, "2026-08-20")
        assert "已于 2026-05-10 摘牌" in exc.value.message and "第 3 季度" in exc.value.message
        covert.record_covert(None, {"window": "CD-SW-001", "inspected_on": "2026-06-01",
                                    "results": {"服务态度": True}})
        with pytest.raises(ValidationError, match="已于 2026-05-10 摘牌"):
            covert.record_covert(None, {"window": "CD-SW-001", "inspected_on": "2026-07-02",
                                        "results": {"服务态度": True}})


def test_a_candidate_is_inspected(db, district):
    with db():
        assert _inspect(3, "2026-08-20").passed
