"""``window-watch assessment run`` and the scheduler's nightly job: compute a period now, and
store each quarter once it has ended (version 1 of a published period, by the scheduler). The
command does both; the job only the second.

Run twice at once (two scheduler hosts, or the job beside the command) the quarter is stored
once: ``snapshots.publish`` serialises the writers and the second finds the first's version."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from analytics import snapshots
from analytics.assessment import Period, assess, current_quarter
from analytics.periods import previous
from feedback_api.models import AssessmentSnapshot
from feedback_api.services.feedback import LOCAL_TZ

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    period: Period
    assessed: int  # windows assessed
    scored: int  # windows with a composite
    ended: Period  # the quarter that ended last
    stored: AssessmentSnapshot | None  # its version 1 when this run stored it


def ended_quarter(today: date | None = None) -> Period:
    """The quarter that ended last (before today's)."""
    return previous(current_quarter(today or datetime.now(LOCAL_TZ).date()))


def snapshot_ended_quarter(today: date | None = None) -> tuple[Period, AssessmentSnapshot | None]:
    """Store the quarter that ended last unless it is stored already (then nothing is computed)."""
    period = ended_quarter(today)
    if snapshots.latest(period) is not None:
        return period, None
    snap = snapshots.publish(None, period, trigger="schedule")
    if snap is not None:
        log.info("assessment: stored %s version 1", period.code)
    return period, snap


def run(period: Period | None = None, today: date | None = None) -> RunResult:
    """Compute ``period`` (this quarter by default) now, and store the quarter that ended."""
    ended, snap = snapshot_ended_quarter(today)
    chosen = period or current_quarter(today)
    result = assess(chosen)
    scored = sum(1 for r in result.rows if r.composite is not None)
    return RunResult(chosen, len(result.rows), scored, ended, snap)


def nightly() -> AssessmentSnapshot | None:
    """The scheduler's job (02:15 every night): store the quarter that ended, once. Open
    periods are not stored (their pages compute them live), so a night that finds the ended
    quarter stored reads one row; the night after a quarter ends computes and stores it."""
    return snapshot_ended_quarter()[1]
