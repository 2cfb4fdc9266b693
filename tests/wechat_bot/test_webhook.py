"""The /wechat callback: signatures, freshness, size, safe XML, safe mode; plain and safe mode."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from feedback_api.models import Citizen, Feedback
from wechat_bot.models import WechatInboundMessage
from wechat_bot.protocol import cdata, parse_xml, render_text_reply

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


def stored_counts(db) -> tuple[int, int, int]:
    with db() as s:
        return (s.scalar(sa.select(sa.func.count()).select_from(WechatInboundMessage)),
                s.scalar(sa.select(sa.func.count()).select_from(Citizen)),
                s.scalar(sa.select(sa.func.count()).select_from(Feedback)))


def test_url_verification_echoes_echostr(wechat):
    query = wechat.peer.verify_query("echo-1234567890")
    resp = wechat.client.get("/wechat", query_string=query)
    assert resp.status_code == 200
    assert resp.get_data(as_text=True) == "echo-1234567890"


def test_url_verification_refuses_bad_signature_and_stale_timestamp(wechat):
    query = wechat.peer.verify_query("echo")
    forged = {**query, "signature": "0" * 40}
    assert wechat.client.get("/wechat", query_string=forged).status_code == 403
    stale = wechat.peer.verify_query("echo", timestamp=int(time.time()) - 301)
    assert wechat.client.get("/wechat", query_string=stale).status_code == 403
    missing = {k: v for k, v in query.items() if k != "signature"}
    assert wechat.client.get("/wechat", query_string=missing).status_code == 403


def test_bad_or_missing_signature_is_refused_and_stores_nothing(wechat, district, db):
    req = wechat.peer.sign(wechat.peer.text(OPENID, "5"))
    for key in ("signature", "msg_signature"):
        if key in req.query:
            bad = {**req.query, key: "f" * 40}
            resp = wechat.client.post("/wechat", query_string=bad, data=req.body)
            assert resp.status_code == 403
            missing = {k: v for k, v in req.query.items() if k != key}
            resp = wechat.client.post("/wechat", query_string=missing, data=req.body)
            assert resp.status_code == 403
    assert stored_counts(db) == (0, 0, 0)


def test_stale_or_future_timestamp_is_refused(wechat, db):
    for offset in (-301, 301):
        resp = wechat.post(wechat.peer.text(OPENID, "你好"), timestamp=int(time.time()) + offset)
        assert resp.status_code == 403
    assert wechat.post(wechat.peer.text(OPENID, "你好"),
                       timestamp=int(time.time()) - 200).status_code == 200
    assert stored_counts(db)[0] == 1


def test_encryption_mode_must_match_configuration(wechat, app, monkeypatch, db):
    # A message in the other mode than configured is refused.
    monkeypatch.setitem(app.config, "WW_WECHAT_AES_KEY",
                        "" if wechat.mode == "safe" else wechat.peer.aes_key or "A" * 43)
    resp = wechat.post(wechat.peer.text(OPENID, "5"))
    assert resp.status_code == 403
    assert stored_counts(db) == (0, 0, 0)


def test_oversized_body_is_refused(wechat, db):
    resp = wechat.post(wechat.peer.text(OPENID, "很" * 30000))
    assert resp.status_code == 413
    assert stored_counts(db) == (0, 0, 0)


BOMB = """<?xml version="1.0"?>
<!DOCTYPE xml [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&c;</Content><MsgId>1</MsgId></xml>"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&x;</Content><MsgId>2</MsgId></xml>"""
DTD_ONLY = """<?xml version="1.0"?>
<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd">
<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>hi</Content><MsgId>3</MsgId></xml>"""
INTERNAL_ENTITY = """<!DOCTYPE xml [<!ENTITY e "5">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&e;</Content><MsgId>4</MsgId></xml>"""


def test_dtds_entities_and_bombs_are_refused_never_followed(wechat, db):
    for doc in (BOMB, EXTERNAL, DTD_ONLY, INTERNAL_ENTITY, "<xml><unclosed></xml>", "not xml",
                "<other/>", "<xml><Content>no sender</Content></xml>"):
        resp = wechat.post(doc)
        assert 400 <= resp.status_code < 500, doc
    assert stored_counts(db) == (0, 0, 0)


def test_safe_mode_outer_envelope_is_parsed_safely(wechat, db):
    if wechat.mode != "safe":
        return
    req = wechat.peer.sign(wechat.peer.text(OPENID, "5"))
    evil = b'<!DOCTYPE xml [<!ENTITY e "x">]>' + req.body
    resp = wechat.client.post(f"/wechat?{req.query_string}", data=evil)
    assert resp.status_code == 400
    assert stored_counts(db) == (0, 0, 0)


def test_safe_mode_reply_is_encrypted_and_signed(wechat, district):
    if wechat.mode != "safe":
        return
    resp = wechat.post(wechat.peer.scan(OPENID, "CD-SW-001"))
    envelope = parse_xml(resp.get_data())
    assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert "综合办税窗口" not in resp.get_data(as_text=True)
    assert "综合办税窗口" in wechat.peer.read_reply(resp.get_data())["Content"]


def test_unconfigured_account_answers_404(client):
    assert client.get("/wechat").status_code == 404


def test_reply_text_cannot_break_the_xml():
    hostile = "a]]></Content><MsgType>image</MsgType><Content><![CDATA[b]]>\x00\x07 c"
    xml = render_text_reply(to_user="o1", from_user="gh_1", content=hostile, now=1)
    data = parse_xml(xml.encode())
    assert data["MsgType"] == "text"
    assert data["Content"] == "a]]></Content><MsgType>image</MsgType><Content><![CDATA[b]]> c"
    assert cdata("]]>") == "<![CDATA[]]]]><![CDATA[>]]>"


def test_hostile_scene_is_answered_with_well_formed_xml(wechat, district):
    scene = "x]]></Content><MsgType>news</MsgType>"
    reply = wechat.send(wechat.peer.scan(OPENID, scene))
    assert scene in reply
    assert "没有找到" in reply


def test_reply_is_fast(wechat, district):
    start = time.perf_counter()
    wechat.scan(OPENID, "CD-SW-001")
    wechat.say(OPENID, "5")
    wechat.say(OPENID, "窗口人员态度很好")
    assert time.perf_counter() - start < 1.5  # three round trips, far inside WeChat's 5 s


def test_the_inbound_log_is_purged_after_its_days(app, wechat, district, db, monkeypatch):
    from datetime import timedelta

    from feedback_api.db import utcnow
    from wechat_bot.jobs import purge_inbound_log

    wechat.scan("oPurge0000000000000000000001", "CD-SW-001")
    wechat.say("oPurge0000000000000000000001", "5")
    with db() as s:
        old, new = s.scalars(sa.select(WechatInboundMessage).order_by(WechatInboundMessage.id)).all()
        old.received_at = utcnow() - timedelta(days=31)
    monkeypatch.setitem(app.config, "WW_WECHAT_LOG_DAYS", "30")
    with db():
        assert purge_inbound_log().startswith("1 inbound log rows older than 30 days deleted")
    with db() as s:
        assert s.scalars(sa.select(WechatInboundMessage.id)).all() == [new.id]
        assert s.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 1  # feedback stays
    # The same by hand, as the scheduler's job does it: nothing more is old enough.
    result = app.test_cli_runner().invoke(args=["wechat", "purge-log"])
    assert result.exit_code == 0 and "0 inbound log rows older than 30 days deleted" in result.output


@pytest.mark.parametrize("name,value", [("WW_WECHAT_LOG_DAYS", "abc"), ("WW_H5_RATE_LIMIT", "0"),
                                        ("WW_WECHAT_SESSION_MINUTES", "-5")])
def test_a_bad_number_in_the_wechat_settings_stops_start_up_clearly(app_config, name, value):
    from admin_web.app import create_app
    from feedback_api.config import ConfigError

    with pytest.raises(ConfigError, match=f"{name} must be a positive integer"):
        create_app({**app_config, name: value})
