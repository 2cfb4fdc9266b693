"""Plain mode: a signed query reused with another body is a forgery (issue 12, item 2)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback_api.db import utcnow
from feedback_api.models import Citizen, Feedback
from tests.wechat_bot.conftest import ACCOUNT, AES_KEY, APPID, TOKEN, WechatTester, configure
from wechat_bot import replay
from wechat_bot.models import WechatInboundMessage
from wechat_bot.simulator import WechatPeer

OPENID = "oReplay00000000000000000001"


@pytest.fixture
def plain(app, monkeypatch) -> WechatTester:
    configure(app, monkeypatch, safe=False)
    return WechatTester(app.test_client(), WechatPeer(token=TOKEN, appid=APPID, account=ACCOUNT),
                        "plain")


def counts(db) -> tuple[int, int, int]:
    with db() as s:
        return tuple(s.scalar(sa.select(sa.func.count()).select_from(model))  # type: ignore[return-value]
                     for model in (WechatInboundMessage, Feedback, Citizen))


def test_a_signed_query_reused_with_another_body_is_refused_and_stores_nothing(plain, district, db):
    plain.scan(OPENID, "CD-SW-001")
    ts, nonce = int(time.time()), "123456789"
    first = plain.post(plain.peer.text(OPENID, "5"), timestamp=ts, nonce=nonce)
    assert first.status_code == 200
    before = counts(db)
    assert before == (2, 1, 1)
    # Someone who saw the signed URL sends their own message under it: another citizen's
    # rating, or the same citizen's with other words.
    for forged in (plain.peer.text("oForger0000000000000000001", "1"),
                   plain.peer.text(OPENID, "窗口人员态度恶劣")):
        resp = plain.post(forged, timestamp=ts, nonce=nonce)
        assert resp.status_code == 403
    assert counts(db) == before


def test_wechats_retry_with_the_same_body_gets_the_same_reply_once(plain, district, db):
    plain.scan(OPENID, "CD-SW-001")
    ts, nonce, xml = int(time.time()), "987654321", plain.peer.text(OPENID, "4")
    replies = [plain.post(xml, timestamp=ts, nonce=nonce) for _ in range(3)]
    assert {r.status_code for r in replies} == {200}
    assert len({plain.peer.read_reply(r.get_data())["Content"] for r in replies}) == 1
    assert counts(db) == (2, 1, 1)


def test_the_query_is_remembered_in_the_messages_log_row_and_goes_with_it(app, plain, district,
                                                                          db, monkeypatch):
    from wechat_bot.jobs import purge_inbound_log

    ts, nonce = int(time.time()), "55555"
    xml = plain.peer.text(OPENID, "你好")
    assert plain.post(xml, timestamp=ts, nonce=nonce).status_code == 200
    req = plain.peer.sign(xml, timestamp=ts, nonce=nonce)
    with db() as s:
        row = s.scalars(sa.select(WechatInboundMessage)).one()
        assert row.query_key == replay.query_key(nonce, req.query["signature"])
        assert row.body_sha256 == replay.body_hash(req.body)
        row.received_at = utcnow() - timedelta(days=31)
    monkeypatch.setitem(app.config, "WW_WECHAT_LOG_DAYS", "30")
    with db():
        assert purge_inbound_log().startswith("1 inbound log rows")
    assert counts(db)[0] == 0


def test_safe_mode_remembers_nothing(app, monkeypatch, district, db):
    configure(app, monkeypatch, safe=True)
    safe = WechatTester(app.test_client(),
                        WechatPeer(token=TOKEN, aes_key=AES_KEY, appid=APPID, account=ACCOUNT),
                        "safe")
    safe.scan(OPENID, "CD-SW-001")
    with db() as s:
        row = s.scalars(sa.select(WechatInboundMessage)).one()
        assert (row.query_key, row.body_sha256) == (None, None)


@pytest.mark.parametrize("aes_key,warned", [("", True), (AES_KEY, False)])
def test_production_warns_at_start_when_plain_mode_is_configured(app_config, monkeypatch, caplog,
                                                                 aes_key, warned):
    from admin_web.app import create_app
    from feedback_api.db import dispose_engines

    monkeypatch.setenv("WW_WECHAT_TOKEN", TOKEN)
    monkeypatch.setenv("WW_WECHAT_AES_KEY", aes_key)
    with caplog.at_level(logging.WARNING):
        prod = create_app({**app_config, "WW_ENV": "production",
                           "WW_CITIZEN_HASH_KEY": "citizen-key-" + "x" * 40})
    dispose_engines(prod)
    warnings = [r for r in caplog.records
                if "plain mode" in r.getMessage() and "WW_WECHAT_AES_KEY" in r.getMessage()]
    assert len(warnings) == (1 if warned else 0)
