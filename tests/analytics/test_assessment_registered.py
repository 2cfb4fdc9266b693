"""A window listed (挂牌) after a quarter's end is not in that quarter, though entered into the
system before it ended: not in its live table, its ranking, nor the reports index
(``assessment.assessed_in`` is the one rule)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from analytics import reports
from analytics.assessment import Period, assess
from feedback_api.models import Window
from feedback_api.services import windows
from tests.assessment_helpers import add_feedback, user

Q3 = Period("quarter", 2026, 3)


def test_a_window_listed_after_the_quarter_is_not_in_it(db, district):
    with db() as s:
        windows.create_window(None, {"code": "CD-SW-009", "name": "新设窗口", "unit": "CD-SW"})
        late = s.scalars(sa.select(Window).where(Window.code == "CD-SW-009")).one()
        # Entered in Q2, listed on the district's first day of Q4.
        late.created_at = datetime(2026, 5, 1, tzinfo=UTC)
        late.listed_on = date(2026, 10, 1)
        add_feedback("CD-SW-009", [5] * 5)  # rated in Q3 (a stray, back-dated row)
        add_feedback("CD-SW-001", [4] * 5)
    with db():
        result = assess(Q3)
        assert "CD-SW-009" not in {r.code for r in result.rows}
        assert result.district_ranked == 1
        listed = {w.code: has for _u, ws in reports.report_choices(user("office"), Q3)
                  for w, has in ws}
        assert listed["CD-SW-009"] is False and listed["CD-SW-001"] is True
        assert "CD-SW-009" in {r.code for r in assess(Period("quarter", 2026, 4)).rows}
