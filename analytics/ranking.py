"""THE ranking of the assessment: by composite score, highest first, where scores equal as
shown (one decimal, as every page, export, report and the API print them) share a rank:
standard competition ranking (1, 2, 2, 4). A window without a composite has no rank.

The table, its Excel, the rating reports (page, Excel, PDF), the agency report and the API all
read the ranks stored on the rows by ``rank_windows``; the agency report ranks its industries
by their mean with ``competition_ranks`` too."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


def shown(score: float) -> float:
    """A score as it is shown: one decimal, rounded as ``f"{score:.1f}"`` prints it."""
    return float(f"{score:.1f}")


def competition_ranks(items: Iterable[T], score: Callable[[T], float | None]) -> list[tuple[T, int]]:
    """The items that have a score with their ranks, highest first (ties in their given order)."""
    scored = sorted(((item, shown(s)) for item in items if (s := score(item)) is not None),
                    key=lambda pair: -pair[1])
    out: list[tuple[T, int]] = []
    previous: float | None = None
    rank = 0
    for position, (item, value) in enumerate(scored, start=1):
        if value != previous:
            rank, previous = position, value
        out.append((item, rank))
    return out


def _assign(rows: list[Any], attr: str) -> int:
    ranked = competition_ranks(rows, lambda r: r.composite)
    for r, rank in ranked:
        setattr(r, attr, rank)
    return len(ranked)


def rank_windows(rows: list[Any]) -> int:
    """Set each row's district and industry rank and its industry's count ranked; return the
    district's count ranked."""
    by_industry: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        by_industry[r.industry].append(r)
    for members in by_industry.values():
        n = _assign(members, "rank_industry")
        for r in members:
            r.industry_ranked = n
    return _assign(rows, "rank_district")
