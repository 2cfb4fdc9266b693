"""Windows whose composite scores are equal as shown (one decimal) share a rank: standard
competition ranking (1, 2, 2, 4), computed in one place (``analytics.ranking``) for the table,
its exports, the reports and the API, and for the agency report's industries."""

from __future__ import annotations

from analytics import ranking
from analytics.assessment import WindowAssessment


def _row(code: str, composite: float | None, industry: str = "tax") -> WindowAssessment:
    return WindowAssessment(0, code, code, 0, "", industry, "candidate", composite=composite)


def test_scores_equal_as_shown_share_a_rank():
    rows = [_row("A", 91.23), _row("B", 90.04), _row("C", 89.96), _row("D", 89.94),
            _row("E", None), _row("F", 80.0, "health")]
    assert ranking.rank_windows(rows) == 5
    got = {r.code: (r.rank_district, r.rank_industry, r.industry_ranked) for r in rows}
    # 90.04 and 89.96 both show 90.0: ranks 2 and 2, then 4 (89.94 shows 89.9).
    assert got == {"A": (1, 1, 4), "B": (2, 2, 4), "C": (2, 2, 4), "D": (4, 4, 4),
                   "E": (None, None, 4), "F": (5, 1, 1)}


def test_shown_is_what_the_pages_print():
    for x in (89.95, 89.949999, 0.05, 72.25, 100.0):
        assert ranking.shown(x) == float(f"{x:.1f}")


def test_industries_rank_by_their_mean_as_shown():
    items = [{"m": 80.04}, {"m": 79.96}, {"m": None}, {"m": 70.0}]
    assert [rank for _i, rank in ranking.competition_ranks(items, lambda i: i["m"])] == [1, 1, 3]
