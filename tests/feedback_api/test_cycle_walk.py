"""The programme year walked as its users meet it, past the happy path: a window put on
publicity again after its award, a delisted window's leftover publicity entry, and a year whose
publicity runs past New Year."""

from __future__ import annotations

from datetime import date

import pytest

from feedback_api.services import cycle as svc
from feedback_api.services import users, windows
from feedback_api.services.errors import Conflict
from tests.cycle_helpers import scored_recommendation


def test_a_window_no_longer_a_candidate_is_neither_publicized_again_nor_awarded(db, district):
    """Awarded from a first publicity, the window is not put on a second one (the public would
    see a titled window as a candidate); delisted later, a leftover entry cannot give the title
    back."""
    with db():
        office = users.get_user("office")
        programme, sub = scored_recommendation(2026)
        first = svc.open_publicity(office, programme, date(2026, 7, 16), date(2026, 7, 25),
                                   not_before=date(2026, 7, 16))
        entry = first.entries[0]
        # The office's second list (the first is over) still offers the other candidates only.
        svc.award(office, entry, today=date(2026, 7, 26))
        assert [r.submission.id for r in svc.publicity_candidates(programme)] == []
        with pytest.raises(Exception, match="没有已评分的候选窗口可以公示"):
            svc.open_publicity(office, programme, date(2026, 8, 1), date(2026, 8, 10),
                               not_before=date(2026, 8, 1))
        with pytest.raises(Conflict, match="已命名"):
            svc.open_publicity(office, programme, date(2026, 8, 1), date(2026, 8, 10),
                               [sub.id], not_before=date(2026, 8, 1))


def test_a_delisted_window_is_not_awarded_from_a_leftover_entry(db, district):
    with db():
        office = users.get_user("office")
        programme, _sub = scored_recommendation(2026)
        p = svc.open_publicity(office, programme, date(2026, 7, 16), date(2026, 7, 25),
                               not_before=date(2026, 7, 16))
        entry = p.entries[0]
        # Before the award, a major incident: the office takes the window out of the programme.
        windows.update_window(office, entry.window.code, {
            "status": "delisted", "status_date": "2026-07-20", "status_reason": "重大安全事故"})
        with pytest.raises(Conflict, match="现为摘牌"):
            svc.award(office, entry, today=date(2026, 7, 26))
        assert entry.window.status == "delisted" and entry.awarded_on is None


def test_a_publicity_running_past_new_year_stays_in_the_navs_deadline(db, district):
    """The office may let the year's publicity run into January (the reminder job looks at last
    year's cycle too); the nav's next deadline then still names it."""
    with db():
        office, health = users.get_user("office"), users.get_user("authority")
        svc.create_cycle(office, 2026, dates={
            "recommendation": (date(2026, 10, 1), date(2026, 11, 1)),
            "review": (date(2026, 11, 2), date(2026, 12, 10)),
            "publicity": (date(2026, 12, 20), date(2027, 1, 10))})
        assert svc.next_deadline(office, date(2026, 12, 25)) == ("publicity", date(2027, 1, 10))
        assert svc.next_deadline(office, date(2027, 1, 5)) == ("publicity", date(2027, 1, 10))
        assert svc.next_deadline(health, date(2027, 1, 5)) == ("publicity", date(2027, 1, 10))
        assert svc.next_deadline(office, date(2027, 1, 11)) is None


def test_an_objection_is_not_dated_after_today(db, district):
    """A typo in 收到日期 (tomorrow, still within the period) is refused, not stored as a letter
    received in the future."""
    from datetime import timedelta

    from feedback_api.services.errors import ValidationError

    today = svc.local_today()
    with db():
        office = users.get_user("office")
        programme, _sub = scored_recommendation(today.year)
        p = svc.open_publicity(office, programme, today - timedelta(days=1),
                               today + timedelta(days=5), not_before=today)
        with pytest.raises(ValidationError, match="收到日期不能晚于今天"):
            svc.record_objection(office, p.entries[0], "推诿", received_on=today + timedelta(days=1))
        assert svc.record_objection(office, p.entries[0], "推诿", received_on=today).id
