"""Messages to citizens through the fake WeChat API: 48-hour/5-message rules, templates, retries."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from tests.wechat_bot.conftest import TEMPLATE_ID
from wechat_bot import outbox
from wechat_bot.client import WechatSender, get_client
from wechat_bot.config import settings
from wechat_bot.contacts import get_or_create_citizen
from wechat_bot.models import CitizenContact, OutboundMessage, WechatConversation

OPENID = "oOutbox00000000000000000001"


def make_citizen(app, fake, *, hours_ago: float = 1) -> int:
    """A citizen whose last message was ``hours_ago`` hours ago (in our DB and at the fake)."""
    with app.app_context():
        citizen = get_or_create_citizen(OPENID)
        contact = Session.get(CitizenContact, citizen.id)
        contact.last_message_at = utcnow() - timedelta(hours=hours_ago)
        Session.commit()
        cid = citizen.id
    fake.user_messaged(OPENID, at=fake.clock() - hours_ago * 3600)
    return cid


def queue(app, cid: int, text: str = "您反映的问题已整改，欢迎再次评价。", n: int = 1) -> list[int]:
    with app.app_context():
        from feedback_api.models import Citizen

        citizen = Session.get(Citizen, cid)
        ids = [outbox.queue_message(citizen, f"{text}{i}", kind="answer").id for i in range(n)]
        Session.commit()
        return ids


def deliver(app, now=None) -> outbox.DeliveryReport:
    with app.app_context():
        sender = WechatSender(get_client(), settings())
        report = outbox.deliver_pending(sender, now=now, after_each=Session.commit)
        Session.commit()
        return report


def rows(app) -> list[OutboundMessage]:
    with app.app_context():
        return list(Session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)))


def test_customer_service_message_within_48_hours(app, fake_wechat):
    cid = make_citizen(app, fake_wechat, hours_ago=47)
    queue(app, cid)
    report = deliver(app)
    assert (report.sent_custom, report.sent_template) == (1, 0)
    assert fake_wechat.state.custom_sent == [
        {"touser": OPENID, "content": "您反映的问题已整改，欢迎再次评价。0"}]
    [row] = rows(app)
    assert (row.status, row.sent_via, row.attempts) == ("sent", "custom", 1)


def test_template_message_after_48_hours(app, fake_wechat):
    cid = make_citizen(app, fake_wechat, hours_ago=49)
    queue(app, cid)
    report = deliver(app)
    assert (report.sent_custom, report.sent_template) == (0, 1)
    [sent] = fake_wechat.state.template_sent
    assert sent["template_id"] == TEMPLATE_ID and sent["touser"] == OPENID
    assert sent["data"]["keyword2"]["value"].startswith("您反映的问题已整改")
    assert fake_wechat.state.custom_sent == []


def test_at_most_five_customer_service_messages_then_templates(app, fake_wechat):
    cid = make_citizen(app, fake_wechat)
    queue(app, cid, n=7)
    report = deliver(app)
    assert (report.sent_custom, report.sent_template) == (5, 2)
    assert [r.sent_via for r in rows(app)] == ["custom"] * 5 + ["template"] * 2
    with app.app_context():
        assert Session.get(WechatConversation, cid).service_messages_sent == 5


def test_wechat_refusing_a_service_message_falls_back_to_a_template(app, fake_wechat):
    cid = make_citizen(app, fake_wechat)
    fake_wechat.user_messaged(OPENID, at=fake_wechat.clock() - 50 * 3600)  # WeChat knows better
    queue(app, cid)
    report = deliver(app)
    assert report.sent_template == 1
    [row] = rows(app)
    assert row.sent_via == "template"


def test_failed_send_is_retried_later_and_logged_never_lost(app, fake_wechat, caplog):
    cid = make_citizen(app, fake_wechat)
    queue(app, cid)
    fake_wechat.fail("/cgi-bin/message/custom/send", times=1, status=502)
    report = deliver(app)
    assert report.retried == 1
    [row] = rows(app)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "custom" in row.last_error and row.next_attempt_at > utcnow()
    assert any("retry" in r.message for r in caplog.records)
    # Not yet due: nothing happens.
    assert deliver(app).sent_custom == 0
    report = deliver(app, now=utcnow() + timedelta(minutes=2))
    assert report.sent_custom == 1
    [row] = rows(app)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_errcode_failure_is_retried(app, fake_wechat):
    cid = make_citizen(app, fake_wechat, hours_ago=60)
    queue(app, cid)
    fake_wechat.fail("/cgi-bin/message/template/send", times=1, errcode=45009)
    deliver(app)
    [row] = rows(app)
    assert row.status == "pending" and "45009" in row.last_error
    deliver(app, now=utcnow() + timedelta(minutes=5))
    assert rows(app)[0].status == "sent"


def test_gives_up_after_max_attempts_but_keeps_the_message(app, fake_wechat):
    cid = make_citizen(app, fake_wechat, hours_ago=60)
    queue(app, cid)
    fake_wechat.fail("/cgi-bin/message/template/send", times=100, status=500)
    when = utcnow()
    for _ in range(outbox.MAX_ATTEMPTS):
        deliver(app, now=when)
        when += timedelta(hours=2)
    [row] = rows(app)
    assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    fake_wechat.fail("/cgi-bin/message/template/send", times=0)
    with app.app_context():
        assert outbox.requeue_failed() == 1
        Session.commit()
    deliver(app)
    assert rows(app)[0].status == "sent"


def test_without_template_id_messages_wait(app, fake_wechat, monkeypatch):
    monkeypatch.setitem(app.config, "WW_WECHAT_TEMPLATE_ID", "")
    cid = make_citizen(app, fake_wechat, hours_ago=60)
    queue(app, cid)
    deliver(app)
    [row] = rows(app)
    assert row.status == "pending" and "WW_WECHAT_TEMPLATE_ID" in row.last_error


def test_access_token_is_cached_and_refreshed(app, fake_wechat):
    cid = make_citizen(app, fake_wechat)
    queue(app, cid, n=3)
    deliver(app)
    assert fake_wechat.state.token_fetches == 1
    fake_wechat.expire_tokens()
    queue(app, cid, n=1)
    deliver(app)
    assert fake_wechat.state.token_fetches == 2
    assert len(fake_wechat.state.custom_sent) == 4


def test_inbound_message_reopens_the_allowance(app, fake_wechat, wechat, district, monkeypatch):
    monkeypatch.setitem(app.config, "WW_WECHAT_API_BASE", fake_wechat.base_url)
    cid = make_citizen(app, fake_wechat)
    queue(app, cid, n=5)
    deliver(app)
    with app.app_context():
        assert Session.get(WechatConversation, cid).service_messages_sent == 5
    wechat.say(OPENID, "查询")
    fake_wechat.user_messaged(OPENID)
    with app.app_context():
        assert Session.get(WechatConversation, cid).service_messages_sent == 0
    queue(app, cid)
    assert deliver(app).sent_custom == 1


def test_cli_deliver(app, fake_wechat, runner):
    cid = make_citizen(app, fake_wechat)
    queue(app, cid, n=2)
    result = runner.invoke(args=["wechat", "deliver"])
    assert result.exit_code == 0, result.output
    assert "客服消息 2 条" in result.output
    fake_wechat.fail("/cgi-bin/message/custom/send", times=5, status=500)
    queue(app, cid)
    result = runner.invoke(args=["wechat", "deliver"])
    assert result.exit_code == 1 and "待重试 1 条" in result.output


def test_cli_deliver_needs_credentials(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "WW_WECHAT_APPID", "")
    result = runner.invoke(args=["wechat", "deliver"])
    assert result.exit_code == 1 and "WW_WECHAT_APPID" in result.output


def test_the_appsecret_and_access_tokens_never_reach_errors_or_logs(app, fake_wechat, monkeypatch, caplog):
    """A connection error's text holds the request URL, with ``secret=`` (token request) or
    ``access_token=`` (every other call): neither may be stored, shown or logged."""
    from tests.wechat_bot.conftest import SECRET

    cid = make_citizen(app, fake_wechat)
    queue(app, cid)
    # The token is fetched, then WeChat goes away: the send's URL carries access_token=.
    with app.app_context():
        token = get_client().access_token
    monkeypatch.setitem(app.config, "WW_WECHAT_API_BASE", "http://127.0.0.1:9")
    app.extensions.pop("ww_wechat_clients", None)
    deliver(app)  # the token request fails: its URL carries secret=
    with app.app_context():
        client = get_client()
        client.session.set(client.access_token_key, token, 7200)
    deliver(app, now=utcnow() + timedelta(minutes=5))  # the send fails: access_token=
    [row] = rows(app)
    assert row.status == "pending" and row.attempts == 2 and row.last_error
    # (The fake WeChat server's own request log, werkzeug's, is not ours.)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "werkzeug")
    assert "127.0.0.1" in row.last_error + logged  # the errors are there, only redacted
    for leaked in (SECRET, token):
        assert leaked not in row.last_error and leaked not in logged
