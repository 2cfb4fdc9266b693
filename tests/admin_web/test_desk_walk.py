"""The agency's morning at the desk (wave 13 walkthrough): one ticket for several feedback asks
before a second running ticket on the window and topic, as opening from one feedback does."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from feedback_api.models import Feedback, Ticket
from feedback_api.services import feedback as fb
from tests.admin_web.test_desk_pages import DAY, _seed, _token
from tests.admin_web.test_desk_selection import _ticked


def test_one_ticket_for_several_asks_before_a_second_running_ticket(client, auth, db, district):
    ids = _seed(db)
    auth.login("agency")
    token = _token(client, "/feedback")
    first = client.post("/feedback/desk/ticket", data={"csrf_token": token, "ids": [ids["a"][0]]})
    assert first.status_code == 302 and "/tickets/" in first.headers["Location"]
    with db() as s:
        running = s.scalars(sa.select(Ticket)).one()
        number, topic = running.number, running.topic
    chosen = [ids["b"][0], ids["c"][0]]
    resp = client.post("/feedback/desk/ticket", data={
        "csrf_token": token, "ids": chosen, "topic": topic, "filters": "sort=uncertain"})
    assert resp.status_code == 302 and "/tickets/" not in resp.headers["Location"]
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert number in html and "仍然新建" in html
    assert _ticked(html) == set(chosen)
    assert re.search(rf'<option value="{topic}" selected>', html)  # the topic chosen is kept
    with db() as s:
        assert s.scalar(sa.select(sa.func.count(Ticket.id))) == 1
    confirm = re.search(r'name="force" value="([^"]+)"', html).group(1)
    assert confirm == f"CD-SW-001|{topic}"
    resp = client.post("/feedback/desk/ticket", data={
        "csrf_token": token, "ids": chosen, "topic": topic, "force": confirm})
    assert resp.status_code == 302 and "/tickets/" in resp.headers["Location"]
    with db() as s:
        assert s.scalar(sa.select(sa.func.count(Ticket.id))) == 2


def test_dates_the_wrong_way_round_are_said_not_listed_as_nothing(client, auth, db, district):
    _seed(db)
    auth.login("agency")
    html = client.get("/feedback?date_from=2026-05-09&date_to=2026-05-06").get_data(as_text=True)
    assert "起始日期 2026-05-09 晚于截止日期 2026-05-06" in html
    # The two dates are kept in the form for the reviewer to correct.
    assert 'value="2026-05-09"' in html and 'value="2026-05-06"' in html


def test_one_ticket_for_several_carries_an_opinion_when_the_first_has_none(client, auth, db, district):
    ids = _seed(db)
    with db() as s:
        window = s.get(Feedback, ids["a"][0]).window
        bare = fb.record_feedback(window, citizen=None, channel="h5", rating=1, text=None,
                                  received_at=DAY + timedelta(hours=60)).feedback.id
    auth.login("agency")
    resp = client.post("/feedback/desk/ticket", data={
        "csrf_token": _token(client, "/feedback"), "ids": [bare, ids["c"][0]]})
    assert resp.status_code == 302 and "/tickets/" in resp.headers["Location"]
    with db() as s:
        problem = s.scalars(sa.select(Ticket)).one().problem
    assert "群众意见：窗口没人" in problem and "李四" not in problem
