"""A unit's answer to a feedback, and asking the citizen to rate again: rules and messages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import AuditLog, Citizen, FeedbackAnswer, Window
from feedback_api.services import answers, users
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from feedback_api.services.feedback import record_feedback
from wechat_bot.contacts import get_or_create_citizen
from wechat_bot.models import OutboundMessage


def make_feedback(db, code: str = "CD-SW-001", *, wechat: bool = True, rating: int = 1) -> int:
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
        if wechat:
            citizen = get_or_create_citizen("oAnswers000000000000000001")
            channel = "wechat"
        else:  # an H5 citizen: pseudonymous, no openid to write to
            citizen = Citizen(pseudonym="h5-" + "0" * 61)
            Session.add(citizen)
            Session.flush()
            channel = "h5"
        return record_feedback(window, citizen=citizen, channel=channel, rating=rating).feedback.id


def test_answer_is_stored_queued_to_the_citizen_and_audited(app, district, db):
    fid = make_feedback(db)
    with db():
        done = answers.answer_feedback(users.get_user("unit"), fid, "  已加开窗口，感谢监督  ")
        assert done.answer.text == "已加开窗口，感谢监督"
        assert done.message is not None and done.message.kind == "answer"
        assert done.message.status == "pending" and "已加开窗口，感谢监督" in done.message.text
    with db():
        [answer] = answers.answers_of(fid)
        assert answer.author_id == users.get_user("unit").id
        [message] = answers.messages_of(fid)
        assert message.feedback_id == fid
        entry = Session.scalars(sa.select(AuditLog).where(AuditLog.action == "answer")).one()
        assert entry.entity_id == str(fid)


def test_a_citizen_we_cannot_write_to_keeps_the_answer_without_a_message(app, district, db):
    fid = make_feedback(db, wechat=False)
    with db():
        done = answers.answer_feedback(users.get_user("office"), fid, "已核实处理")
        assert done.message is None
    with db():
        assert len(answers.answers_of(fid)) == 1
        assert Session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0


@pytest.mark.parametrize("text, message", [("", "不能为空"), ("   ", "不能为空"), (None, "不能为空"),
                                           ("长" * 501, "不能超过 500 字"), ("a\x00b", "非法字符")])
def test_bad_answers_are_refused_and_nothing_is_stored(app, district, db, text, message):
    fid = make_feedback(db)
    with db():
        with pytest.raises(ValidationError, match=message):
            answers.answer_feedback(users.get_user("unit"), fid, text)
    with db():
        assert Session.scalar(sa.select(sa.func.count()).select_from(FeedbackAnswer)) == 0


def test_who_may_answer(app, district, db):
    own, other = make_feedback(db, "CD-SW-001"), make_feedback(db, "CD-RMYY-001")
    with db():
        # The unit answers its own windows; another unit's feedback does not exist for it.
        with pytest.raises(NotFound):
            answers.answer_feedback(users.get_user("unit"), other, "不是我们的窗口")
        # The health authority sees its industry's feedback but does not answer citizens.
        with pytest.raises(PermissionDenied):
            answers.answer_feedback(users.get_user("authority"), other, "主管部门答复")
        answers.answer_feedback(users.get_user("agency"), other, "第三方机构回访")
        answers.answer_feedback(users.get_user("unit"), own, "单位答复")
    with db():
        assert Session.scalar(sa.select(sa.func.count()).select_from(FeedbackAnswer)) == 2


def test_rerating_request_rules(app, district, db):
    fid = make_feedback(db)
    agency = lambda: users.get_user("agency")  # noqa: E731
    with db():
        with pytest.raises(ValidationError, match="请先答复"):
            answers.request_rerating(agency(), fid)
        answers.answer_feedback(users.get_user("unit"), fid, "已整改")
    with db():
        with pytest.raises(PermissionDenied):
            answers.request_rerating(users.get_user("unit"), fid)
        message = answers.request_rerating(agency(), fid)
        assert message.kind == "rerate" and "CD-SW-001" in message.text
    with db():
        with pytest.raises(Conflict, match="正在发送"):
            answers.request_rerating(agency(), fid)
        # Once delivered, it may be asked again.
        Session.get(OutboundMessage, message.id).status = "sent"
    with db():
        answers.request_rerating(agency(), fid)
    h5 = make_feedback(db, wechat=False)
    with db():
        answers.answer_feedback(users.get_user("office"), h5, "已整改")
        with pytest.raises(ValidationError, match="不是通过微信公众号"):
            answers.request_rerating(users.get_user("office"), h5)


def test_api_answers_and_rerating(client, district, db, token_for):
    fid = make_feedback(db)
    unit, agency = token_for("unit"), token_for("agency")
    resp = client.post(f"/api/v1/feedback/{fid}/answers", json={"text": "已加开窗口"}, headers=unit)
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["text"] == "已加开窗口" and body["author"] == "unit"
    assert body["message"]["kind"] == "answer" and body["message"]["status"] == "pending"
    assert "openid" not in str(body)
    # Bad input: a JSON error, nothing stored.
    for payload, code in (({"text": ""}, "invalid"), ({"text": "x", "extra": 1}, "invalid"),
                          ({"text": "长" * 501}, "invalid")):
        resp = client.post(f"/api/v1/feedback/{fid}/answers", json=payload, headers=unit)
        assert resp.status_code == 400 and resp.get_json()["error"]["code"] == code
    resp = client.post(f"/api/v1/feedback/{fid}/answers", data="text", headers=unit)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "not_json"
    assert client.post(f"/api/v1/feedback/{fid}/answers", json={"text": "x"},
                       headers=token_for("authority")).status_code == 404  # health only
    # Rerating: the unit may not; the agency may, once.
    assert client.post(f"/api/v1/feedback/{fid}/rerate", headers=unit).status_code == 403
    resp = client.post(f"/api/v1/feedback/{fid}/rerate", headers=agency)
    assert resp.status_code == 201 and resp.get_json()["kind"] == "rerate"
    resp = client.post(f"/api/v1/feedback/{fid}/rerate", headers=agency)
    assert resp.status_code == 409 and "正在发送" in resp.get_json()["error"]["message"]
    listed = client.get(f"/api/v1/feedback/{fid}/answers", headers=unit).get_json()
    assert [a["text"] for a in listed["answers"]] == ["已加开窗口"]
    assert [m["kind"] for m in listed["messages"]] == ["answer", "rerate"]
    assert client.get("/api/v1/feedback/999999/answers", headers=unit).status_code == 404


def _token(page: str) -> str:
    import re

    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def wechat_configured(app, monkeypatch) -> None:
    """The pages say a message goes through WeChat only when an account is configured (the
    outbox keeps it queued otherwise: tests/admin_web/test_demo_wechat_outbox.py)."""
    monkeypatch.setitem(app.config, "WW_WECHAT_APPID", "wx0123456789abcdef")
    monkeypatch.setitem(app.config, "WW_WECHAT_SECRET", "s" * 32)


def test_answer_page_for_the_unit(app, client, auth, district, db, monkeypatch):
    wechat_configured(app, monkeypatch)
    fid = make_feedback(db)
    auth.login("unit")
    page = client.get(f"/feedback/{fid}").get_data(as_text=True)
    assert "单位答复" in page and "尚无答复" in page and "提交答复" in page
    assert "整改评价" not in page  # the agency's and the office's
    token = _token(page)
    bad = client.post(f"/feedback/{fid}/answer", data={"csrf_token": token, "text": "  "})
    assert bad.status_code == 200 and "请填写答复内容" in bad.get_data(as_text=True)
    long = client.post(f"/feedback/{fid}/answer", data={"csrf_token": token, "text": "长" * 501})
    assert "答复内容不能超过 500 字" in long.get_data(as_text=True)
    stale = client.post(f"/feedback/{fid}/answer", data={"text": "没有令牌"})
    assert stale.status_code == 400  # CSRF
    resp = client.post(f"/feedback/{fid}/answer", data={"csrf_token": token, "text": "已加开窗口"},
                       follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "答复已保存，将通过微信发送给群众" in page and "已加开窗口" in page
    assert "待发送" in page and "unit（窗口单位）" in page
    assert client.post(f"/feedback/{fid}/rerate", data={"csrf_token": token}).status_code == 403
    with db():
        assert len(answers.answers_of(fid)) == 1


def test_the_agency_asks_for_a_new_rating_from_the_page(app, client, auth, district, db, monkeypatch):
    wechat_configured(app, monkeypatch)
    fid = make_feedback(db)
    auth.login("agency")
    page = client.get(f"/feedback/{fid}").get_data(as_text=True)
    assert "整改评价" not in page  # not before an answer
    client.post(f"/feedback/{fid}/answer", data={"csrf_token": _token(page), "text": "已整改"})
    page = client.get(f"/feedback/{fid}").get_data(as_text=True)
    assert "问题已整改，请群众进行整改评价" in page
    import re
    ids = re.findall(r' id="([^"]+)"', page)  # three forms on one page, each with a CSRF token
    assert len(ids) == len(set(ids))
    assert client.post(f"/feedback/{fid}/rerate").status_code == 400  # no CSRF token
    with db():
        assert [m.kind for m in answers.messages_of(fid)] == ["answer"]
    resp = client.post(f"/feedback/{fid}/rerate", data={"csrf_token": _token(page)},
                       follow_redirects=True)
    assert "已通过微信请群众进行整改评价" in resp.get_data(as_text=True)
    again = client.post(f"/feedback/{fid}/rerate", data={"csrf_token": _token(page)},
                        follow_redirects=True)
    assert "已请群众进行整改评价，消息正在发送" in again.get_data(as_text=True)
    with db():
        assert [m.kind for m in answers.messages_of(fid)] == ["answer", "rerate"]


def test_an_h5_feedback_answer_says_it_cannot_be_pushed(client, auth, district, db):
    fid = make_feedback(db, wechat=False)
    auth.login("office")
    page = client.get(f"/feedback/{fid}").get_data(as_text=True)
    resp = client.post(f"/feedback/{fid}/answer", data={"csrf_token": _token(page), "text": "已核实"},
                       follow_redirects=True)
    assert "无法推送给群众" in resp.get_data(as_text=True)
