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
from wechat_bot.models import WechatCallbackNonce, WechatInboundMessage
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


def test_a_stale_remembered_query_does_not_block_and_is_purged(app, plain, district, db,
                                                               monkeypatch):
    from wechat_bot.jobs import purge_inbound_log

    plain.scan(OPENID, "CD-SW-001")
    ts, nonce = int(time.time()), "55555"
    assert plain.post(plain.peer.text(OPENID, "5"), timestamp=ts, nonce=nonce).status_code == 200
    with db() as s:
        row = s.scalars(sa.select(WechatCallbackNonce)).all()
        assert len(row) == 2  # the scan's and the rating's
        for r in row:
            r.expires_at = utcnow() - timedelta(seconds=1)  # the window is over
    # (A request so old would fail the timestamp check; a stale row is ignored, not trusted.)
    assert plain.post(plain.peer.text(OPENID, "好"), timestamp=ts, nonce=nonce).status_code == 200
    with db() as s:
        s.execute(sa.update(WechatCallbackNonce).values(expires_at=utcnow() - timedelta(hours=1)))
    monkeypatch.setitem(app.config, "WW_WECHAT_LOG_DAYS", "30")
    with db():
        assert "2 callback nonces" in purge_inbound_log()
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(WechatCallbackNonce)) == 0


def test_safe_mode_remembers_nothing(app, monkeypatch, district, db):
    configure(app, monkeypatch, safe=True)
    safe = WechatTester(app.test_client(),
                        WechatPeer(token=TOKEN, aes_key=AES_KEY, appid=APPID, account=ACCOUNT),
                        "safe")
    safe.scan(OPENID, "CD-SW-001")
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(WechatCallbackNonce)) == 0


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
