"""The ticket API's detail gives, per linked feedback, the citizen's rating of the fix (整改评价),
as the ticket page shows it: null before the citizen was asked, then the invitation's time, then
their rating with its time. Worked out for all linked feedback at once, and only in scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Window
from feedback_api.services import ticket_loop, ticket_open, users
from feedback_api.services.feedback import record_feedback
from wechat_bot.contacts import get_or_create_citizen

DAYS_AGO = datetime.now(UTC) - timedelta(days=3)  # a rating today must not replace the complaint


def _complaint(db, openid: str, code: str = "CD-SW-001") -> int:
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
        return record_feedback(window, citizen=get_or_create_citizen(openid), channel="wechat",
                               rating=1, text="窗口人员态度很差", received_at=DAYS_AGO).feedback.id


def _fix_ratings(client, headers, tid: int) -> dict[int, object]:
    resp = client.get(f"/api/v1/tickets/{tid}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return {f["id"]: f["fix_rating"] for f in resp.get_json()["feedback"]}


def test_the_ticket_detail_gives_the_citizens_rating_of_the_fix(client, db, district, token_for):
    openids = [f"oFixRatingApi000000000000{i}" for i in range(3)]
    fids = [_complaint(db, o) for o in openids]
    with db():
        agency = users.get_user("agency")
        tid = ticket_open.open_from_feedback(agency, fids[0]).id
        for fid in fids[1:]:
            ticket_open.attach_feedback(agency, tid, fid)
        ticket_loop.respond(users.get_user("unit"), tid, "已提醒窗口人员")
    tokens = {name: token_for(name) for name in ("agency", "office", "unit")}
    for h in tokens.values():  # not asked yet
        assert _fix_ratings(client, h, tid) == dict.fromkeys(fids), h

    with db():
        asked = ticket_loop.verify(users.get_user("agency"), tid)
    assert sorted(asked.rerating_requested) == sorted(fids)
    for h in tokens.values():
        got = _fix_ratings(client, h, tid)
        assert set(got) == set(fids)
        for fr in got.values():
            assert fr["rating"] is None and fr["rated_at"] is None, fr
            assert datetime.fromisoformat(fr["asked_at"]) > DAYS_AGO, fr

    # The first citizen rates the window again (4: 满意); another window's rating is not it.
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        other = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-002")).one()
        record_feedback(other, citizen=get_or_create_citizen(openids[1]), channel="wechat", rating=2)
        rated = record_feedback(window, citizen=get_or_create_citizen(openids[0]), channel="wechat",
                                rating=4).feedback.received_at
    for h in tokens.values():
        got = _fix_ratings(client, h, tid)
        assert got[fids[0]]["rating"] == 4
        assert datetime.fromisoformat(got[fids[0]]["rated_at"]) == rated
        assert got[fids[1]]["rating"] is None and got[fids[2]]["rating"] is None, got


def test_a_rating_of_the_fix_marked_invalid_is_none(client, db, district, token_for):
    """The rating of the fix is the citizen's first counted rating since the invitation
    (``counted_feedback``): one the agency's review marked invalid is not it."""
    from feedback_api.services import review

    openid = "oFixRatingInvalid00000001"
    fid = _complaint(db, openid)
    with db():
        agency = users.get_user("agency")
        tid = ticket_open.open_from_feedback(agency, fid).id
        ticket_loop.respond(users.get_user("unit"), tid, "已提醒窗口人员")
        ticket_loop.verify(agency, tid)
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        rerated = record_feedback(window, citizen=get_or_create_citizen(openid), channel="wechat",
                                  rating=5).feedback.id
    h = token_for("agency")
    assert _fix_ratings(client, h, tid)[fid]["rating"] == 5
    with db():
        review.review_feedback(users.get_user("agency"), rerated, {"valid": False})
    got = _fix_ratings(client, h, tid)[fid]
    assert got["rating"] is None and got["rated_at"] is None and got["asked_at"], got
    with db():
        review.review_feedback(users.get_user("agency"), rerated, {"valid": True})
    assert _fix_ratings(client, h, tid)[fid]["rating"] == 5


def test_the_detail_costs_the_same_queries_for_1_or_3_linked_feedback(app, client, db, district,
                                                                      token_for):
    h = token_for("office")
    client.get("/api/v1/me", headers=h)  # the token's first use is recorded once, apart
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    engine = app.extensions["ww_engine"]
    runs = []
    for n, prefix in ((1, "oFixRatingOne"), (3, "oFixRatingThree")):
        fids = [_complaint(db, f"{prefix}{i:012d}") for i in range(n)]
        with db():
            office = users.get_user("office")
            tid = ticket_open.open_from_feedback(office, fids[0]).id
            for fid in fids[1:]:
                ticket_open.attach_feedback(office, tid, fid)
            ticket_loop.respond(office, tid, "已提醒窗口人员")
            ticket_loop.verify(office, tid)
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            assert len(_fix_ratings(client, h, tid)) == n
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        runs.append(len(statements))
    assert runs[0] == runs[1], runs


def test_a_unit_never_sees_another_units_ticket(client, db, district, token_for):
    fid = _complaint(db, "oFixRatingOther00000000001", code="CD-RMYY-001")
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid).id
    assert client.get(f"/api/v1/tickets/{tid}", headers=token_for("unit")).status_code == 404
    assert _fix_ratings(client, token_for("authority"), tid) == {fid: None}
