"""The citizen's rating of the fix (整改评价) on the ticket page: once the agency verified the fix
the citizen is asked to rate the window again; the page shows their rating with its time, or
未评价 while they have not, to the agency, the office and the unit alike."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from admin_web.common import local_dt
from feedback_api.db import Session
from feedback_api.models import Feedback, Window
from feedback_api.services import ticket_loop, ticket_open, users
from feedback_api.services.feedback import record_feedback
from tests.admin_web.test_tickets_pages import bad_review, signed_in
from wechat_bot.contacts import get_or_create_citizen

OPENID = "oFixRating0000000000000001"


def _row(app, name: str, tid: int, receipt: str) -> str:
    client, _ = signed_in(app, name)
    page = client.get(f"/tickets/{tid}").get_data(as_text=True)
    linked = page.split('id="linked"')[1].split("</section>")[0]
    assert "<th>整改评价</th>" in linked, linked  # the GLOSSARY's re-rating
    row = next(r for r in linked.split("<tr>") if receipt in r)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))


def test_the_ticket_page_shows_the_citizens_rating_of_the_fix(app, district, db):
    # Days ago: a new rating today must not replace the complaint (one rating a day counts).
    fid = bad_review(db, openid=OPENID, received_at=datetime.now(UTC) - timedelta(days=3))
    with db():
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid).id
        receipt = Session.get(Feedback, fid).receipt_no
        ticket_loop.respond(users.get_user("unit"), tid, "已提醒窗口人员")
    for name in ("agency", "office", "unit"):  # not asked yet: nothing to wait for
        row = _row(app, name, tid, receipt)
        assert "未评价" not in row and "满意（" not in row, (name, row)

    with db():
        assert ticket_loop.verify(users.get_user("agency"), tid).rerating_requested == [fid]
    for name in ("agency", "office", "unit"):
        assert "未评价" in _row(app, name, tid, receipt), name

    # The citizen rates the window again in WeChat (4: 满意); a later, other citizen's rating and
    # one of another window are not theirs.
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        other = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-002")).one()
        record_feedback(other, citizen=get_or_create_citizen(OPENID), channel="wechat", rating=1)
        rated = record_feedback(window, citizen=get_or_create_citizen(OPENID), channel="wechat",
                                rating=4).feedback.received_at
        record_feedback(window, citizen=get_or_create_citizen("oFixRating0000000000000002"),
                        channel="wechat", rating=1)
    for name in ("agency", "office", "unit"):
        row = _row(app, name, tid, receipt)
        assert f" 满意 （{local_dt(rated)}）" in row and "未评价" not in row, (name, row)
        assert "非常不满意" in row  # the complaint's own rating stays as it was
