"""查询 through the webhook: where each complaint stands (受理 → 督办中 → 单位已答复，待核验 → 待评价 →
办结; 已整改 only once the agency verified the fix),
and five long lines still fit one passive reply (2,048 bytes)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Feedback, Window
from feedback_api.services import (
    answers,
    progress,
    review,
    ticket_jobs,
    ticket_links,
    ticket_loop,
    tickets,
    users,
)

OPENID = "oProgress00000000000000001"


def _line_of(reply: str, receipt: str) -> str:
    lines = reply.splitlines()
    i = next(n for n, ln in enumerate(lines) if receipt in ln)
    end = next((n for n in range(i + 1, len(lines)) if not lines[n].startswith("   ")), len(lines))
    return "\n".join(lines[i:end])


@pytest.mark.parametrize("mode", ["plain"], indirect=True)
def test_query_follows_a_complaint_through_every_stage(app, fake_wechat, wechat, district):
    wechat.scan(OPENID, "CD-SW-001")
    wechat.say(OPENID, "1")
    with app.app_context():
        [(fid, receipt)] = Session.execute(sa.select(Feedback.id, Feedback.receipt_no)).all()
    reply = wechat.say(OPENID, "查询")
    assert "评分 1 分（非常不满意）｜受理（待审核）" in _line_of(reply, receipt)
    assert "办理进度" not in reply  # no ticket yet: no legend

    with app.app_context():
        assert ticket_jobs.auto_open() == "1 tickets opened"
        Session.commit()
        tid = tickets.ticket_of_feedback(fid).id
    reply = wechat.say(OPENID, "查询")
    assert "｜督办中" in _line_of(reply, receipt) and "第2轮" not in reply
    assert "办理进度：受理→督办中→单位已答复，待核验→待评价→办结" in reply

    with app.app_context():
        ticket_loop.respond(users.get_user("unit"), tid, "已提醒窗口人员")
        Session.commit()
    reply = wechat.say(OPENID, "查询")
    # The unit answered; the agency has not checked it: not yet fixed as far as anyone knows.
    assert "｜单位已答复，待核验" in _line_of(reply, receipt)
    assert "已整改" not in reply and "已提醒窗口人员" not in reply

    with app.app_context():
        ticket_loop.send_back(users.get_user("agency"), tid, "请说明具体整改措施")
        Session.commit()
    assert "｜督办中（第2轮）" in _line_of(wechat.say(OPENID, "查询"), receipt)

    fake_wechat.user_messaged(OPENID)
    with app.app_context():
        ticket_loop.respond(users.get_user("unit"), tid, "已增设导办员")
        Session.commit()
        assert ticket_loop.verify(users.get_user("agency"), tid, "整改到位").rerating_requested == [fid]
        Session.commit()
    line = _line_of(wechat.say(OPENID, "查询"), receipt)
    assert "｜待评价" in line and "问题已整改，请回复 CD-SW-001 后再评分" in line
    assert "单位答复：已增设导办员" in line

    # The citizen rates the window again: the complaint is done; the new rating is received.
    wechat.scan(OPENID, "CD-SW-001")
    wechat.say(OPENID, "5")
    reply = wechat.say(OPENID, "查询")
    assert "｜办结" in _line_of(reply, receipt) and "｜待评价" not in reply
    assert "评分 5 分（非常满意）｜受理（待审核）" in reply


@pytest.mark.parametrize("mode", ["plain"], indirect=True)
def test_a_rating_of_another_window_does_not_finish_the_rerating(app, fake_wechat, wechat,
                                                                 district):
    wechat.scan(OPENID, "CD-SW-001")
    wechat.say(OPENID, "2")
    fake_wechat.user_messaged(OPENID)
    with app.app_context():
        ticket_jobs.auto_open()
        [fid] = Session.scalars(sa.select(Feedback.id)).all()
        tid = tickets.ticket_of_feedback(fid).id
        ticket_loop.respond(users.get_user("unit"), tid, "已整改")
        ticket_loop.verify(users.get_user("agency"), tid)
        Session.commit()
    wechat.scan(OPENID, "CD-SW-002")
    wechat.say(OPENID, "5")
    assert "｜待评价" in wechat.say(OPENID, "查询")


@pytest.mark.parametrize("mode", ["plain"], indirect=True)
def test_five_long_lines_fit_one_passive_reply(app, fake_wechat, wechat, district):
    with app.app_context():
        for window in Session.scalars(sa.select(Window)):
            window.name = "超长窗口名称" * 30  # 180 characters
        Session.commit()
    fake_wechat.user_messaged(OPENID)
    for code in ("CD-SW-001", "CD-SW-002", "CD-SW-001", "CD-SW-002", "CD-SW-001"):
        wechat.scan(OPENID, code)
        wechat.say(OPENID, "1")
        wechat.say(OPENID, "排队太久" * 40)
    with app.app_context():
        ticket_jobs.auto_open()
        for fid in Session.scalars(sa.select(Feedback.id)):
            answers.answer_feedback(users.get_user("agency"), fid, "答复" * 200)
        Session.commit()
        receipts = Session.scalars(sa.select(Feedback.receipt_no)
                                   .order_by(Feedback.id.desc()).limit(5)).all()
    reply = wechat.say(OPENID, "查询")
    assert len(reply.encode("utf-8")) <= 2048
    assert all(r in reply for r in receipts)
    assert "…" in reply


@pytest.mark.parametrize("mode", ["plain"], indirect=True)
def test_a_cancelled_ticket_never_reads_as_fixed(app, fake_wechat, wechat, district):
    """The office cancels a ticket: its citizen reads 已撤销 with what to do, not 办结; a
    feedback the agency marks invalid leaves its ticket (cancelled with it) and reads 不予受理."""
    other = "oProgress00000000000000002"
    for openid in (OPENID, other):
        wechat.scan(openid, "CD-SW-001" if openid == OPENID else "CD-RMYY-001")
        wechat.say(openid, "1")
    with app.app_context():
        assert ticket_jobs.auto_open() == "2 tickets opened"
        Session.commit()
        receipts = dict(Session.execute(
            sa.select(Window.code, Feedback.receipt_no).join(Feedback.window)).all())
        fids = dict(Session.execute(sa.select(Window.code, Feedback.id).join(Feedback.window)).all())
        mine = tickets.ticket_of_feedback(fids["CD-SW-001"]).id
    assert "｜督办中" in _line_of(wechat.say(OPENID, "查询"), receipts["CD-SW-001"])

    with app.app_context():
        ticket_links.cancel_ticket(users.get_user("office"), mine, "同一问题已由上级督办")
        Session.commit()
    reply = wechat.say(OPENID, "查询")
    line = _line_of(reply, receipts["CD-SW-001"])
    assert "｜已撤销" in line and "办结" not in reply and "已整改" not in reply
    assert "如问题仍在，欢迎再次扫码评价" in line
    assert "同一问题已由上级督办" not in reply  # the office's reason is internal
    assert "办理进度" not in reply  # the legend is the path it left

    with app.app_context():
        review.review_feedback(users.get_user("agency"), fids["CD-RMYY-001"],
                               {"valid": False})
        Session.commit()
        assert tickets.ticket_of_feedback(fids["CD-RMYY-001"]) is None
    line = _line_of(wechat.say(other, "查询"), receipts["CD-RMYY-001"])
    assert "｜不予受理" in line and "办结" not in line and "撤销" not in line


def test_stages_in_order():
    assert progress.STAGES == ("受理", "督办中", "单位已答复，待核验", "待评价", "办结")
    assert progress.stage(None, rerate_requested=False, rerated=False) == "受理"
    assert progress.stage("open", rerate_requested=False, rerated=False) == "督办中"
    assert progress.stage("responded", rerate_requested=False, rerated=False) == "单位已答复，待核验"
    assert progress.stage("closed", rerate_requested=True, rerated=False) == "待评价"
    assert progress.stage("closed", rerate_requested=True, rerated=True) == "办结"
    assert progress.stage("closed", rerate_requested=False, rerated=False) == "办结"
    assert progress.stage("cancelled", rerate_requested=False, rerated=False) == "已撤销"
