"""The publicity page offers 命名为示范窗口 only where the award can be given: an entry with an
upheld objection, one with an objection not yet answered, or a window that is no longer a
candidate says why instead."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from feedback_api.models import Window
from feedback_api.services import cycle as svc
from feedback_api.services import users, windows
from tests.cycle_helpers import scored_recommendation

BUTTON = "命名为示范窗口</button>"


def _page(client, year: int) -> str:
    return client.get(f"/cycle/{year}/publicity").get_data(as_text=True)


def test_the_award_button_only_where_the_award_can_be_given(client, auth, db, district):
    today = svc.local_today()
    year = today.year
    with db():
        programme, _sub = scored_recommendation(year)
        office = users.get_user("office")
        p = svc.open_publicity(office, programme, today - timedelta(days=3), today,
                               not_before=today)
        entry = p.entries[0]
        objection = svc.record_objection(office, entry, "该窗口多次推诿", received_on=today)
        p.starts_on, p.ends_on = today - timedelta(days=8), today - timedelta(days=1)
        objection_id = objection.id
    auth.login("office")
    page = _page(client, year)
    assert BUTTON not in page and "尚有未答复的异议" in page
    with db() as s:
        svc.answer_objection(users.get_user("office"), svc.get_objection(objection_id), "upheld",
                             "经核实情况属实")
    page = _page(client, year)
    assert BUTTON not in page and "异议成立，不予命名" in page
    with db():
        svc.answer_objection(users.get_user("office"), svc.get_objection(objection_id),
                             "dismissed", "经核实不属实")
    assert BUTTON in _page(client, year)
    with db() as s:
        windows.update_window(users.get_user("office"), "CD-RMYY-001", {
            "status": "delisted", "status_reason": "重大安全事故"})
        assert s.scalars(sa.select(Window.status).where(Window.code == "CD-RMYY-001")).one() == (
            "delisted")
    page = _page(client, year)
    assert BUTTON not in page and "现为摘牌，不能命名" in page


def test_a_letter_received_in_the_period_is_recorded_after_it_closes(client, auth, db, district):
    """The last day's letter reaches the office the next morning: until the award it is still
    recorded (dated the day it was received); one received after the period is refused."""
    today = svc.local_today()
    with db():
        programme, _sub = scored_recommendation(today.year)
        p = svc.open_publicity(users.get_user("office"), programme, today - timedelta(days=3),
                               today, not_before=today)
        p.starts_on, p.ends_on = today - timedelta(days=8), today - timedelta(days=1)
        entry_id, ends_on = p.entries[0].id, p.ends_on
    auth.login("office")
    page = _page(client, today.year)
    assert "登记异议" in page and f'value="{ends_on.isoformat()}"' in page
    path = f"/cycle/entries/{entry_id}/objections"
    token = auth.csrf_token(f"/cycle/{today.year}/publicity")
    resp = client.post(path, follow_redirects=True, data={
        "csrf_token": token, "received_on": today.isoformat(), "channel": "来信",
        "text": "公示期满后才寄出的异议"})
    assert "异议须在公示期内" in resp.get_data(as_text=True)
    resp = client.post(path, follow_redirects=True, data={
        "csrf_token": token, "received_on": ends_on.isoformat(), "channel": "来信",
        "text": "公示期最后一天收到的来信"})
    page = resp.get_data(as_text=True)
    assert "异议已登记" in page and "公示期最后一天收到的来信" in page
    assert BUTTON not in page and "尚有未答复的异议" in page


def test_a_second_list_preselects_only_the_candidates_not_yet_publicized(client, auth, db,
                                                                         district):
    """After a first list (its one window's objection upheld), a candidate scored late goes on a
    second: the form offers both but ticks only the new one, so the rejected window is not put
    up again by default."""
    from feedback_api.services.standards import DEFAULT_INDICATORS
    from tests.feedback_api.test_cycle import rec

    today = svc.local_today()
    with db():
        office, health = users.get_user("office"), users.get_user("authority")
        programme, first_sub = scored_recommendation(today.year)
        p = svc.open_publicity(office, programme, today - timedelta(days=3), today,
                               not_before=today)
        objection = svc.record_objection(office, p.entries[0], "推诿", received_on=today)
        svc.answer_objection(office, objection, "upheld", "属实")
        p.starts_on, p.ends_on = today - timedelta(days=8), today - timedelta(days=1)
        late = svc.save_draft(health, programme, "recommendation", rec("CD-RMYY-002"))
        svc.accept(office, svc.submit(health, late))
        svc.assign_expert(office, late, users.get_user("expert1"))
        svc.score(users.get_user("expert1"), late,
                  {name: points * 0.8 for _, name, points, _ in DEFAULT_INDICATORS})
        first_id, late_id = first_sub.id, late.id
    auth.login("office")
    page = _page(client, today.year)
    assert f'<option value="{first_id}">' in page
    assert f'<option selected value="{late_id}">' in page
