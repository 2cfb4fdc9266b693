"""A ticket opened from a 差评 before its opinion was masked (the agency opening it from the desk
before the scheduler's analysis, or the demo seeding its tickets): once the analysis stores the
masked text, the unit reads it in the ticket's requirement instead of the placeholder."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Feedback, Ticket, Window
from feedback_api.services import opinions, ticket_open, tickets, users
from feedback_api.services.feedback import record_feedback
from wechat_bot.contacts import get_or_create_citizen

PLACEHOLDER = "（意见待脱敏处理后可见）"


def _bad_review(db, text: str, openid: str = "oMaskProblem000000000001") -> int:
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        return record_feedback(window, citizen=get_or_create_citizen(openid), channel="wechat",
                               rating=1, text=text).feedback.id


def _analyse(item: Feedback, masked: str) -> None:
    opinions.apply_analysis(item, sentiment=0.05, topics=[], keywords=[], masked_text=masked,
                            flags=[], model_version="test")


def test_the_requirement_shows_the_masked_opinion_once_it_is_analysed(app, district, db):
    fid = _bad_review(db, "窗口的王某某态度差，电话13812345678")
    with db():
        ticket_open.open_from_feedback(users.get_user("agency"), fid)
        Session.commit()
    with db():
        assert PLACEHOLDER in tickets.ticket_of_feedback(fid).problem
    with db():
        _analyse(Session.get(Feedback, fid), "窗口的***态度差，电话***")
        Session.commit()
    with db():
        problem = tickets.ticket_of_feedback(fid).problem
        assert PLACEHOLDER not in problem
        assert "群众意见：窗口的***态度差，电话***" in problem
        assert "13812345678" not in problem and "非常不满意" in problem


def test_a_requirement_written_by_staff_is_left_as_it_is(app, district, db):
    fid = _bad_review(db, "收费不公示", openid="oMaskProblem000000000002")
    with db():
        office = users.get_user("office")
        ticket = ticket_open.open_from_feedback(office, fid, problem="请核查收费公示情况")
        tid = ticket.id
        Session.commit()
    with db():
        _analyse(Session.get(Feedback, fid), "收费不公示")
        Session.commit()
    with db():
        assert Session.get(Ticket, tid).problem == "请核查收费公示情况"
