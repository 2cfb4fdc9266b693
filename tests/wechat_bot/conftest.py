"""WeChat fixtures: a ``wechat`` helper that signs and encrypts (plain/safe mode), the fake API."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fakes.wechat_server import FakeWechatServer
from wechat_bot.simulator import WechatPeer

TOKEN = "ww-test-token"
APPID = "wx1234567890abcdef"
SECRET = "test-app-secret"
ACCOUNT = "gh_0123456789ab"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
TEMPLATE_ID = "tpl-progress-notice"
assert len(AES_KEY) == 43


class WechatTester:
    """Sends messages as WeChat would (signed; encrypted in safe mode) and reads the replies."""

    def __init__(self, client: FlaskClient, peer: WechatPeer, mode: str) -> None:
        self.client, self.peer, self.mode = client, peer, mode

    def post(self, xml: str | bytes, **sign_args: Any) -> Any:
        req = self.peer.sign(xml, **sign_args)
        return self.client.post(f"/wechat?{req.query_string}", data=req.body,
                                content_type="text/xml")

    def send(self, xml: str) -> str | None:
        """The reply's Content, or None for ``success``."""
        resp = self.post(xml)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        reply = self.peer.read_reply(resp.get_data())
        if reply is None:
            return None
        assert reply["MsgType"] == "text"
        return reply["Content"]

    def say(self, openid: str, text: str, msg_id: str | None = None) -> str:
        reply = self.send(self.peer.text(openid, text, msg_id))
        assert reply is not None
        return reply

    def scan(self, openid: str, code: str, subscribe: bool = False) -> str:
        xml = self.peer.subscribe(openid, code) if subscribe else self.peer.scan(openid, code)
        reply = self.send(xml)
        assert reply is not None
        return reply


def configure(app: Flask, monkeypatch: pytest.MonkeyPatch, *, safe: bool,
              api_base: str = "http://127.0.0.1:9") -> None:
    for key, value in {
        "WW_WECHAT_TOKEN": TOKEN, "WW_WECHAT_APPID": APPID, "WW_WECHAT_SECRET": SECRET,
        "WW_WECHAT_ACCOUNT": ACCOUNT, "WW_WECHAT_AES_KEY": AES_KEY if safe else "",
        "WW_WECHAT_TEMPLATE_ID": TEMPLATE_ID, "WW_WECHAT_API_BASE": api_base,
        "WW_WECHAT_SESSION_MINUTES": 30, "WW_PUBLIC_BASE_URL": "https://ww.example.cn",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    app.extensions.pop("ww_wechat_clients", None)


@pytest.fixture(params=["plain", "safe"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def wechat(app: Flask, monkeypatch: pytest.MonkeyPatch, mode: str) -> WechatTester:
    configure(app, monkeypatch, safe=mode == "safe")
    peer = WechatPeer(token=TOKEN, aes_key=AES_KEY if mode == "safe" else "", appid=APPID,
                      account=ACCOUNT)
    return WechatTester(app.test_client(), peer, mode)


@pytest.fixture(scope="session")
def fake_wechat_server() -> Iterator[FakeWechatServer]:
    server = FakeWechatServer(APPID, SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def fake_wechat(fake_wechat_server: FakeWechatServer, app: Flask,
                monkeypatch: pytest.MonkeyPatch) -> FakeWechatServer:
    """The fake WeChat API, reset, with the app pointed at it (plain mode)."""
    fake_wechat_server.reset()
    configure(app, monkeypatch, safe=False, api_base=fake_wechat_server.base_url)
    return fake_wechat_server
