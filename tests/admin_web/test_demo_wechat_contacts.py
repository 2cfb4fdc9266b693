"""The demo's WeChat citizens carry plausible (fake) openids, so the demo shows the call-back
path: an answer to a WeChat complaint is queued to the citizen. H5 citizens are browsers: they
get none, and the demo's past answers queue nothing."""

from __future__ import annotations

import re

import sqlalchemy as sa

from feedback_api.models import Feedback, User
from feedback_api.services import answers
from wechat_bot.models import CitizenContact, OutboundMessage

OPENID = re.compile(r"o[A-Za-z0-9_-]{27}")


def test_demo_wechat_citizens_can_be_called_back(runner, db):
    result = runner.invoke(args=["demo", "--feedback-per-window", "5"])
    assert result.exit_code == 0, result.output
    with db() as s:
        contacts = dict(s.execute(sa.select(CitizenContact.citizen_id, CitizenContact.openid)).all())
        wechat = set(s.scalars(sa.select(Feedback.citizen_id).where(Feedback.channel == "wechat")))
        h5 = set(s.scalars(sa.select(Feedback.citizen_id).where(Feedback.channel == "h5")))
        assert wechat and h5 and not wechat & h5
        assert set(contacts) == wechat  # every WeChat citizen, no browser
        assert all(OPENID.fullmatch(o) for o in contacts.values()), list(contacts.values())[:3]
        assert len(set(contacts.values())) == len(contacts)
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0
        complaint = s.scalars(sa.select(Feedback).where(Feedback.channel == "wechat",
                                                        Feedback.rating <= 2).limit(1)).one()
        assert answers.reachable(complaint)
        office = s.scalars(sa.select(User).where(User.role == "office")).first()
        done = answers.answer_feedback(office, complaint.id, "已核实并整改，感谢监督")
        assert done.message is not None and done.message.status == "pending"
    again = runner.invoke(args=["demo", "--feedback-per-window", "5"])
    assert again.exit_code == 0 and "新增 0 条评价" in again.output
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CitizenContact)) == len(contacts)
