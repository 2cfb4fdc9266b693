"""The conversation: scan, rate, write, image, 查询, retries; in plain and safe mode."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from feedback_api.db import utcnow
from feedback_api.models import Feedback, FeedbackEvidence, Window
from tests.wechat_bot.conftest import WechatTester
from wechat_bot import replies
from wechat_bot.handlers import dispatcher, parse_rating
from wechat_bot.models import CitizenContact, WechatConversation, WechatInboundMessage

OPENID = "oCitizen0000000000000000001"


def feedback_rows(db) -> list[Feedback]:
    with db() as s:
        return list(s.scalars(sa.select(Feedback).options(joinedload(Feedback.window))
                              .order_by(Feedback.id)))


def receipt_in(reply: str) -> str:
    line = next(ln for ln in reply.splitlines() if ln.startswith("受理编号"))
    return line.split("：", 1)[1].strip()


def test_scan_greets_with_window_unit_and_how_to_rate(wechat, district):
    reply = wechat.scan(OPENID, "CD-SW-001")
    assert "综合办税窗口" in reply and "城东区税务局办税服务厅" in reply
    for word in ("5", "非常满意", "基本满意", "非常不满意", "文字或语音", "30 分钟"):
        assert word in reply


def test_subscribe_with_scene_selects_the_window(wechat, district, db):
    reply = wechat.scan(OPENID, "CD-RMYY-002", subscribe=True)
    assert "住院结算窗口" in reply and "城东区人民医院" in reply
    assert "住院结算窗口" in wechat.say(OPENID, "5")
    assert feedback_rows(db)[0].window.code == "CD-RMYY-002"


def test_plain_subscribe_welcomes(wechat, district):
    assert wechat.send(wechat.peer.subscribe(OPENID)) == replies.WELCOME


def test_unknown_and_delisted_scenes_get_a_clear_answer(wechat, district, db):
    assert "没有找到编号为“NOPE-404”的窗口" in wechat.scan(OPENID, "NOPE-404")
    with db() as s:
        s.scalars(sa.select(Window).where(Window.code == "CD-SW-002")).one().status = "delisted"
    reply = wechat.scan(OPENID, "CD-SW-002")
    assert "已被摘除" in reply and "发票领用窗口" in reply
    # Nothing was selected: a rating asks to choose a window.
    assert wechat.say(OPENID, "5") == replies.CHOOSE_WINDOW
    assert feedback_rows(db) == []


@pytest.mark.parametrize("text,rating", [
    ("5", 5), ("４", 4), ("三", 3), ("五分", 5), ("非常满意", 5), ("满意", 4), ("基本满意", 3),
    ("不满意！", 2), ("非常不满意", 1), ("1分", 1),
])
def test_parse_rating(text, rating):
    assert parse_rating(text) == rating


@pytest.mark.parametrize("text", ["6", "满意度一般", "十分满意的服务", "", "12", "CD-SW-001"])
def test_parse_rating_leaves_opinions_alone(text):
    assert parse_rating(text) is None


def test_rating_is_recorded_with_a_receipt_number(wechat, district, db):
    wechat.scan(OPENID, "CD-SW-001")
    reply = wechat.say(OPENID, "非常满意")
    assert "感谢您的评价" in reply and "5 分（非常满意）" in reply
    [item] = feedback_rows(db)
    assert (item.rating, item.text, item.channel) == (5, None, "wechat")
    assert receipt_in(reply) == item.receipt_no
    assert item.source_msg_id.startswith("wx:")


@pytest.mark.parametrize("text", ["2", "1", "不满意"])
def test_bad_rating_asks_what_went_wrong_and_promises_an_answer(wechat, district, text):
    wechat.scan(OPENID, "CD-SW-001")
    reply = wechat.say(OPENID, text)
    assert "哪里做得不好" in reply and "核实" in reply and "答复" in reply
    assert "受理编号" in reply


def test_opinion_is_recorded(wechat, district, db):
    wechat.scan(OPENID, "CD-SW-001")
    reply = wechat.say(OPENID, "  排队太久了，只开了一个窗口  ")
    assert "已收到您的意见建议" in reply
    [item] = feedback_rows(db)
    assert item.rating is None and item.text == "排队太久了，只开了一个窗口"
    assert receipt_in(reply) == item.receipt_no


def test_voice_recognition_counts_as_text(wechat, district, db):
    wechat.scan(OPENID, "CD-SW-001")
    assert "5 分" in wechat.send(wechat.peer.voice(OPENID, "非常满意。"))
    assert "意见建议" in wechat.send(wechat.peer.voice(OPENID, "大厅里太热了。"))
    assert wechat.send(wechat.peer.voice(OPENID, "")) == replies.VOICE_NOT_RECOGNISED
    items = feedback_rows(db)
    assert [(i.rating, i.text) for i in items] == [(5, None), (None, "大厅里太热了。")]


def test_image_is_kept_as_evidence_of_latest_feedback(wechat, district, db):
    assert wechat.send(wechat.peer.image(OPENID)) == replies.NO_FEEDBACK_FOR_IMAGE
    wechat.scan(OPENID, "CD-SW-001")
    receipt = receipt_in(wechat.say(OPENID, "1"))
    reply = wechat.send(wechat.peer.image(OPENID, media_id="MEDIA-1", pic_url="http://p/1.jpg"))
    assert receipt in reply
    with db() as s:
        [ev] = s.scalars(sa.select(FeedbackEvidence)).all()
        assert (ev.feedback.receipt_no, ev.media_id, ev.pic_url) == (receipt, "MEDIA-1", "http://p/1.jpg")


def test_text_without_window_helps_choose_and_a_code_selects(wechat, district, db):
    assert wechat.say(OPENID, "服务很好") == replies.CHOOSE_WINDOW
    assert "没有找到" in wechat.say(OPENID, "XX-999")
    reply = wechat.say(OPENID, "cd-rmyy-001")
    assert "门诊挂号收费处" in reply
    wechat.say(OPENID, "4")
    assert feedback_rows(db)[0].window.code == "CD-RMYY-001"


def test_typing_another_code_mid_conversation_switches_window(wechat, district, db):
    wechat.scan(OPENID, "CD-SW-001")
    assert "发票领用窗口" in wechat.say(OPENID, "CD-SW-002")
    wechat.say(OPENID, "3")
    assert feedback_rows(db)[0].window.code == "CD-SW-002"


def test_choice_lapses_after_the_configured_time(wechat, district, db, app, monkeypatch):
    wechat.scan(OPENID, "CD-SW-001")
    with db() as s:
        conv = s.scalars(sa.select(WechatConversation)).one()
        conv.window_chosen_at = utcnow() - timedelta(minutes=31)
    assert wechat.say(OPENID, "5") == replies.CHOOSE_WINDOW
    monkeypatch.setitem(app.config, "WW_WECHAT_SESSION_MINUTES", 60)
    assert "5 分" in wechat.say(OPENID, "5")


def test_query_lists_recent_feedback_and_its_state(wechat, district, db):
    assert "还没有评价记录" in wechat.say(OPENID, "查询")
    wechat.scan(OPENID, "CD-SW-001")
    r1 = receipt_in(wechat.say(OPENID, "2"))
    r2 = receipt_in(wechat.say(OPENID, "叫号系统出错"))
    with db() as s:
        s.scalars(sa.select(Feedback).where(Feedback.receipt_no == r1)).one().review_state = "valid"
    reply = wechat.say(OPENID, "查询")
    assert r1 in reply and r2 in reply
    assert "评分 2 分（不满意）｜受理（有效）" in reply and "意见建议｜受理（待审核）" in reply
    assert reply.index(r2) < reply.index(r1)  # newest first
    menu = wechat.send(wechat.peer.event(OPENID, "CLICK", "QUERY"))
    assert r1 in menu and r2 in menu


def test_the_units_answer_reaches_the_citizen_and_shows_under_query(
        app, fake_wechat, wechat, district, db, monkeypatch):
    from feedback_api.services import answers, users
    from tests.wechat_bot.test_outbox import deliver

    monkeypatch.setitem(app.config, "WW_WECHAT_API_BASE", fake_wechat.base_url)
    wechat.scan(OPENID, "CD-SW-001")
    wechat.say(OPENID, "1")
    fake_wechat.user_messaged(OPENID)
    [item] = feedback_rows(db)
    with db():
        answers.answer_feedback(users.get_user("unit"), item.id, "已加开窗口，感谢监督")
    assert deliver(app).sent_custom == 1
    [sent] = fake_wechat.state.custom_sent
    assert sent["touser"] == OPENID and item.receipt_no in sent["content"]
    assert "综合办税窗口" in sent["content"] and "已加开窗口，感谢监督" in sent["content"]
    assert "单位答复：已加开窗口，感谢监督" in wechat.say(OPENID, "查询")
    # A newer answer replaces the shown one; a long one is cut to fit WeChat's reply limit.
    with db():
        answers.answer_feedback(users.get_user("agency"), item.id, "复核：" + "已整改" * 40)
    reply = wechat.say(OPENID, "查询")
    assert "单位答复：复核：已整改" in reply and "已加开窗口" not in reply and "…" in reply
    assert len(reply.encode("utf-8")) < 2048


def test_a_rerating_request_leads_the_citizen_back_to_the_window(
        app, fake_wechat, wechat, district, db, monkeypatch):
    from feedback_api.services import answers, users
    from tests.wechat_bot.test_outbox import deliver

    monkeypatch.setitem(app.config, "WW_WECHAT_API_BASE", fake_wechat.base_url)
    monkeypatch.setitem(app.config, "WW_WECHAT_SESSION_MINUTES", 1)
    wechat.scan(OPENID, "CD-SW-001")
    wechat.say(OPENID, "2")
    fake_wechat.user_messaged(OPENID)
    [item] = feedback_rows(db)
    with db():
        answers.answer_feedback(users.get_user("unit"), item.id, "已培训窗口人员")
        answers.request_rerating(users.get_user("agency"), item.id)
    assert deliver(app).sent_custom == 2
    request_text = fake_wechat.state.custom_sent[1]["content"]
    assert "CD-SW-001" in request_text and "再次评价" in request_text
    # Days later (the window choice has long expired) the citizen follows the instructions.
    from datetime import timedelta

    from feedback_api.db import utcnow
    with db() as s:
        conv = s.get(WechatConversation, item.citizen_id)
        conv.window_chosen_at = utcnow() - timedelta(days=3)
    assert "综合办税窗口" in wechat.say(OPENID, "CD-SW-001")
    wechat.say(OPENID, "5")
    rated = [(i.rating, i.rating_counts) for i in feedback_rows(db) if i.rating]
    assert rated[-1] == (5, True)


def test_second_rating_the_same_day_replaces_the_first_opinions_kept(wechat, district, db):
    wechat.scan(OPENID, "CD-SW-001")
    wechat.say(OPENID, "2")
    wechat.say(OPENID, "态度差")
    wechat.say(OPENID, "4")
    wechat.say(OPENID, "后来解决了")
    items = feedback_rows(db)
    assert [(i.rating, i.rating_counts) for i in items if i.rating] == [(2, False), (4, True)]
    assert [i.text for i in items if i.text] == ["态度差", "后来解决了"]


def test_retried_message_is_stored_once_and_answered_the_same(wechat, district, db):
    wechat.scan(OPENID, "CD-SW-001")
    xml = wechat.peer.text(OPENID, "5", msg_id="880001")
    first = wechat.send(xml)
    # Between WeChat's retries the conversation moves on; the retry still gets the first answer.
    wechat.say(OPENID, "CD-SW-002")
    assert wechat.send(xml) == first
    assert wechat.send(xml) == first
    assert len(feedback_rows(db)) == 1


def test_retried_event_is_stored_once(wechat, district, db):
    xml = wechat.peer.scan(OPENID, "CD-SW-001", create_time=1764300000)
    first = wechat.send(xml)
    assert wechat.send(xml) == first
    with db() as s:
        rows = s.scalars(sa.select(WechatInboundMessage)).all()
    assert len(rows) == 1 and rows[0].event == "scan"
    assert OPENID not in rows[0].dedup_key  # the openid is kept only in citizen_contacts


def test_other_messages_and_events_answer_200(wechat, district, db):
    for xml in (wechat.peer.location(OPENID), wechat.peer.link(OPENID), wechat.peer.video(OPENID)):
        assert wechat.send(xml) == replies.UNSUPPORTED
    for xml in (wechat.peer.event(OPENID, "unsubscribe"),
                wechat.peer.event(OPENID, "VIEW", "http://example.com"),
                wechat.peer.event(OPENID, "LOCATION"),
                wechat.peer.event(OPENID, "TEMPLATESENDJOBFINISH"),
                wechat.peer.event(OPENID, "brand_new_event", "k"),
                wechat.peer._xml(OPENID, "brand_new_type", {"MsgId": "9"}, None)):
        resp = wechat.post(xml)
        assert resp.status_code == 200 and resp.get_data(as_text=True) == "success"
    assert feedback_rows(db) == []


def test_inbound_message_updates_last_message_time(wechat, district, db):
    wechat.scan(OPENID, "CD-SW-001")
    with db() as s:
        contact = s.scalars(sa.select(CitizenContact)).one()
        assert contact.openid == OPENID
        assert utcnow() - contact.last_message_at < timedelta(seconds=30)


def test_long_opinion_is_stored_and_answered(wechat, district, db):
    wechat.scan(OPENID, "CD-SW-001")
    reply = wechat.say(OPENID, "长" * 6000)
    assert len(feedback_rows(db)[0].text) == 5000
    # What was not stored is said, so the citizen can send the rest as another message.
    assert "已收到" in reply and "已记录前 5000 字" in reply and "其余 1000 字请另发一条" in reply
    assert "已记录前" not in wechat.say(OPENID, "长" * 5000)


def test_a_write_failing_at_commit_gets_busy_and_stores_nothing(wechat, district, db):
    """A message's rows are committed together; if one fails (here the image's message id is
    already taken by stored evidence), the citizen is asked to retry and none of the message's
    rows stay."""
    wechat.scan(OPENID, "CD-SW-001")
    wechat.say(OPENID, "4")
    with db() as s:
        [item] = s.scalars(sa.select(Feedback)).all()
        s.add(FeedbackEvidence(feedback_id=item.id, media_id="m", source_msg_id="wx:777"))
        inbound_before = s.scalar(sa.select(sa.func.count()).select_from(WechatInboundMessage))
    assert wechat.send(wechat.peer.image(OPENID, msg_id="777")) == replies.BUSY
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(WechatInboundMessage)) == inbound_before
        assert s.scalar(sa.select(sa.func.count()).select_from(FeedbackEvidence)) == 1
    assert "受理编号" in wechat.say(OPENID, "非常满意")  # the conversation goes on


def test_two_messages_handled_at_once_keep_each_others_changes(wechat, district, db, app,
                                                                monkeypatch):
    """A scan and a rating of one citizen arrive at the same moment: the rating waits for the
    scan's transaction (the citizen's row lock; SQLite's write lock), so it goes to the window
    just scanned, and the conversation keeps both changes."""
    import threading
    import time

    wechat.scan(OPENID, "CD-SW-001")
    handle = dispatcher.handle
    scanning = threading.Event()

    def slow_scan(ctx):
        if ctx.message.is_event:
            scanning.set()
            time.sleep(0.3)  # the rating arrives meanwhile
        return handle(ctx)

    monkeypatch.setattr(dispatcher, "handle", slow_scan)
    replies_ = {}
    scan_xml, rating_xml = wechat.peer.scan(OPENID, "CD-SW-002"), wechat.peer.text(OPENID, "4")
    other = WechatTester(app.test_client(), wechat.peer, wechat.mode)  # another worker
    scan = threading.Thread(target=lambda: replies_.setdefault("scan", other.send(scan_xml)))
    scan.start()
    assert scanning.wait(5)
    replies_["rating"] = wechat.send(rating_xml)
    scan.join(5)
    assert "发票领用窗口" in replies_["scan"] and "发票领用窗口" in replies_["rating"]
    with db() as s:
        [item] = s.scalars(sa.select(Feedback)).all()
        conv = s.scalars(sa.select(WechatConversation)).one()
        window = s.get(Window, conv.window_id)
        assert window.code == "CD-SW-002" and item.window_id == window.id
        assert conv.latest_receipt_no == item.receipt_no


@pytest.mark.parametrize("text", ["", "   ", "\n", "。。。", "！", "\u200b\u200b", "\ufeff \u200d"])
def test_a_blank_message_gets_the_prompt_again_not_busy(wechat, district, db, text):
    wechat.scan(OPENID, "CD-SW-001")
    reply = wechat.say(OPENID, text)
    assert reply != replies.BUSY
    assert "综合办税窗口" in reply and "请回复数字评分" in reply
    assert feedback_rows(db) == []
    with db() as s:  # the message itself is stored, with its reply, like any other
        assert s.scalar(sa.select(sa.func.count()).select_from(WechatInboundMessage)) == 2


@pytest.mark.parametrize("text", ["0", "6", "9", "10", "-1", "100分", "4.5", "９"])
def test_a_rating_out_of_range_asks_for_one_to_five_and_stores_no_opinion(wechat, district, db,
                                                                        text):
    wechat.scan(OPENID, "CD-SW-001")
    reply = wechat.say(OPENID, text)
    assert reply == replies.RATING_OUT_OF_RANGE and "1–5" in reply
    assert feedback_rows(db) == []
    assert "感谢您的评价" in wechat.say(OPENID, "4")  # the choice of window still stands
    assert [item.rating for item in feedback_rows(db)] == [4]


def test_a_mistyped_code_mid_conversation_is_not_taken_as_an_opinion(wechat, district, db):
    """The citizen meant another window: the next rating must not go to the one before."""
    wechat.scan(OPENID, "CD-SW-001")
    assert "没有找到编号为“CD-SW-999”的窗口" in wechat.say(OPENID, "CD-SW-999")
    assert feedback_rows(db) == []
    # A number alone (a phone number, a ticket number) is still an opinion.
    assert "已收到您的意见建议" in wechat.say(OPENID, "13812345678")
