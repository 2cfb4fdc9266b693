"""Where a citizen's complaint stands (受理 → 督办中 → 单位已答复，待核验 → 待评价 → 办结), as the citizen
is told; or 已撤销 when the office cancelled its ticket (nothing was fixed, so it never reads 办结).
The unit's answer is not a fix until the agency verified it (it may send it back: 督办中 again), so
the citizen reads 已整改 only after verification (the 待评价 invitation says so).

Derived, never stored: from the feedback's supervision ticket and whether the citizen was asked
to rate the fix and has rated the window since.
"""

from __future__ import annotations

#: The stages in order, as the citizen reads them.
STAGES: tuple[str, ...] = ("受理", "督办中", "单位已答复，待核验", "待评价", "办结")
#: Off that path: the ticket was cancelled (已撤销) while the feedback stayed on it. A feedback
#: excluded from its ticket (invalid, merged, appeal upheld) has no ticket any more and reads 受理
#: with its review state.
CANCELLED = "已撤销"


def stage(ticket_state: str | None, *, rerate_requested: bool, rerated: bool) -> str:
    """The stage of one feedback.

    ``ticket_state`` is its ticket's state (None without a ticket); ``rerate_requested`` whether
    the citizen was asked to rate the fix; ``rerated`` whether they rated the window since."""
    if ticket_state is None:
        return "受理"
    if ticket_state == "open":
        return "督办中"
    if ticket_state == "responded":  # the unit reports the fix; the agency has yet to verify it
        return STAGES[2]
    if ticket_state == "cancelled":
        return CANCELLED
    if rerate_requested and not rerated:
        return "待评价"
    return "办结"
