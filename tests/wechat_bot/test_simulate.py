"""``window-watch simulate`` against a real HTTP server on loopback, in plain and safe mode."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from feedback_api.models import Feedback
from tests.wechat_bot.conftest import AES_KEY, APPID, TOKEN, configure


@pytest.fixture
def live_server(app, monkeypatch, mode) -> Iterator[str]:
    configure(app, monkeypatch, safe=mode == "safe")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    server.server_close()


def test_simulate_plays_a_citizen(live_server, runner, district, db, monkeypatch, mode):
    monkeypatch.setenv("WW_WECHAT_TOKEN", TOKEN)
    monkeypatch.setenv("WW_WECHAT_APPID", APPID)
    monkeypatch.setenv("WW_WECHAT_AES_KEY", AES_KEY if mode == "safe" else "")
    result = runner.invoke(args=["simulate", "--url", live_server, "--window", "CD-SW-001",
                                 "--rating", "2", "--opinion", "等了很久"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "综合办税窗口" in out and "2 分（不满意）" in out and "已收到您的意见建议" in out
    assert "您最近的评价" in out
    with db() as s:
        items = s.scalars(sa.select(Feedback).order_by(Feedback.id)).all()
        assert [(i.rating, i.text) for i in items] == [(2, None), (None, "等了很久")]
        assert all(i.receipt_no in out for i in items)


def test_simulate_with_a_wrong_token_fails(live_server, runner, district, monkeypatch, mode):
    monkeypatch.setenv("WW_WECHAT_TOKEN", "wrong-token")
    monkeypatch.setenv("WW_WECHAT_APPID", APPID)
    monkeypatch.setenv("WW_WECHAT_AES_KEY", AES_KEY if mode == "safe" else "")
    result = runner.invoke(args=["simulate", "--url", live_server, "--window", "CD-SW-001"])
    assert result.exit_code == 1 and "HTTP 403" in result.output


def test_concurrent_retries_store_once_and_answer_alike(live_server, district, db, mode):
    """WeChat's retries can overlap the first attempt: one feedback, one answer for all."""
    import requests

    from tests.wechat_bot.conftest import ACCOUNT
    from wechat_bot.simulator import WechatPeer

    peer = WechatPeer(token=TOKEN, aes_key=AES_KEY if mode == "safe" else "", appid=APPID,
                      account=ACCOUNT)
    openid = "oConcurrent0000000000000001"

    def post(xml: str) -> str:
        req = peer.sign(xml)
        resp = requests.post(f"{live_server}/wechat", params=req.query, data=req.body, timeout=10)
        assert resp.status_code == 200
        return peer.read_reply(resp.content)["Content"]

    post(peer.scan(openid, "CD-SW-001"))
    xml = peer.text(openid, "4")
    replies: list[str] = []
    threads = [threading.Thread(target=lambda: replies.append(post(xml))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(replies) == 4 and len(set(replies)) == 1 and "4 分（满意）" in replies[0]
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 1


def test_message_ids_differ_across_forked_processes():
    """The benchmark forks its clients from one parent; their messages must not share ids."""
    import multiprocessing as mp

    from wechat_bot.simulator import WechatPeer

    peer = WechatPeer(token="t")
    with mp.get_context("fork").Pool(2) as pool:
        ids = pool.map(_ids, [peer, peer])
    assert len(set(ids[0]) | set(ids[1])) == 400


def _ids(peer) -> list[str]:
    return [peer.new_msg_id() for _ in range(200)]


def test_a_chunked_message_without_a_length_is_answered(live_server, district, db, mode):
    """No Content-Length (chunked): the fast path leaves it to the Flask view, which reads it."""
    import requests

    from tests.wechat_bot.conftest import ACCOUNT
    from wechat_bot.simulator import WechatPeer

    peer = WechatPeer(token=TOKEN, aes_key=AES_KEY if mode == "safe" else "", appid=APPID,
                      account=ACCOUNT)
    req = peer.sign(peer.scan("oChunked00000000000000000001", "CD-SW-001"))
    body = req.body
    resp = requests.post(f"{live_server}/wechat", params=req.query, timeout=10,
                         data=(body[i:i + 100] for i in range(0, len(body), 100)))
    assert resp.request.headers.get("Transfer-Encoding") == "chunked"
    assert resp.status_code == 200
    assert "综合办税窗口" in peer.read_reply(resp.content)["Content"]
