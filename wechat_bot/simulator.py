"""WeChat's side of the callback: build signed (and, in safe mode, encrypted) requests and read
the replies. Used by ``window-watch simulate`` and by the tests."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from wechatpy.crypto import WeChatCrypto

from wechat_bot import protocol
from wechat_bot.protocol import cdata


@dataclass
class SignedRequest:
    query: dict[str, str]
    body: bytes

    @property
    def query_string(self) -> str:
        return urlencode(self.query)


@dataclass
class WechatPeer:
    """Plays WeChat's server: signs with the token; encrypts when ``aes_key`` is set."""

    token: str
    aes_key: str = ""
    appid: str = ""
    account: str = "gh_windowwatch"
    clock_offset: int = 0
    sent: list[str] = field(default_factory=list)

    # -- messages -------------------------------------------------------------------------
    def new_msg_id(self) -> str:
        """A random 62-bit id (WeChat's are 64-bit): unique across processes, also ones forked
        from one parent, as the benchmark's clients are (a shared counter repeated itself in
        each, and the webhook took the repeats for WeChat's retries)."""
        return str(secrets.randbits(62))

    def now(self) -> int:
        return int(time.time()) + self.clock_offset

    def _xml(self, openid: str, msg_type: str, fields: dict[str, str],
             create_time: int | None) -> str:
        created = create_time if create_time is not None else self.now()
        parts = [f"<ToUserName>{cdata(self.account)}</ToUserName>",
                 f"<FromUserName>{cdata(openid)}</FromUserName>",
                 f"<CreateTime>{created}</CreateTime>",
                 f"<MsgType>{cdata(msg_type)}</MsgType>"]
        for name, value in fields.items():
            parts.append(f"<{name}>{cdata(value)}</{name}>" if name != "MsgId"
                         else f"<MsgId>{value}</MsgId>")
        return "<xml>" + "".join(parts) + "</xml>"

    def text(self, openid: str, content: str, msg_id: str | None = None,
             create_time: int | None = None) -> str:
        return self._xml(openid, "text", {"Content": content, "MsgId": msg_id or self.new_msg_id()},
                         create_time)

    def voice(self, openid: str, recognition: str, msg_id: str | None = None) -> str:
        return self._xml(openid, "voice", {"MediaId": "media-voice", "Format": "amr",
                                           "Recognition": recognition,
                                           "MsgId": msg_id or self.new_msg_id()}, None)

    def image(self, openid: str, media_id: str = "media-image-1",
              pic_url: str = "http://mmbiz.example/pic.jpg", msg_id: str | None = None) -> str:
        return self._xml(openid, "image", {"PicUrl": pic_url, "MediaId": media_id,
                                           "MsgId": msg_id or self.new_msg_id()}, None)

    def location(self, openid: str) -> str:
        return self._xml(openid, "location", {"Location_X": "23.1", "Location_Y": "113.3",
                                              "Scale": "15", "Label": "某地",
                                              "MsgId": self.new_msg_id()}, None)

    def link(self, openid: str) -> str:
        return self._xml(openid, "link", {"Title": "链接", "Description": "d",
                                          "Url": "http://example.com", "MsgId": self.new_msg_id()},
                         None)

    def video(self, openid: str) -> str:
        return self._xml(openid, "video", {"MediaId": "m", "ThumbMediaId": "t",
                                           "MsgId": self.new_msg_id()}, None)

    def event(self, openid: str, event: str, key: str | None = None,
              create_time: int | None = None) -> str:
        fields = {"Event": event}
        if key is not None:
            fields["EventKey"] = key
        return self._xml(openid, "event", fields, create_time)

    def subscribe(self, openid: str, scene: str | None = None,
                  create_time: int | None = None) -> str:
        return self.event(openid, "subscribe", f"qrscene_{scene}" if scene else "", create_time)

    def scan(self, openid: str, scene: str, create_time: int | None = None) -> str:
        return self.event(openid, "SCAN", scene, create_time)

    # -- signing ----------------------------------------------------------------------------
    def sign(self, xml: str | bytes, *, timestamp: int | None = None, nonce: str | None = None,
             openid: str | None = None) -> SignedRequest:
        """The query and body WeChat would send for ``xml``."""
        ts = str(timestamp if timestamp is not None else self.now())
        nonce = nonce or str(secrets.randbelow(10**9))
        query = {"timestamp": ts, "nonce": nonce,
                 "signature": protocol.sign(self.token, ts, nonce)}
        if openid:
            query["openid"] = openid
        body = xml.encode("utf-8") if isinstance(xml, str) else xml
        if self.aes_key:
            envelope = self._crypto().encrypt_message(body.decode("utf-8"), nonce, ts)
            encrypt = protocol.parse_xml(envelope)["Encrypt"]
            query["encrypt_type"] = "aes"
            query["msg_signature"] = protocol.sign(self.token, ts, nonce, encrypt)
            body = (f"<xml><ToUserName>{cdata(self.account)}</ToUserName>"
                    f"<Encrypt>{cdata(encrypt)}</Encrypt></xml>").encode()
        return SignedRequest(query, body)

    def verify_query(self, echostr: str, timestamp: int | None = None) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else self.now())
        nonce = str(secrets.randbelow(10**9))
        return {"timestamp": ts, "nonce": nonce, "echostr": echostr,
                "signature": protocol.sign(self.token, ts, nonce)}

    def read_reply(self, body: bytes | str) -> dict[str, Any] | None:
        """The reply as a dict (Content, MsgType, ...), or None for ``success``/empty.

        In safe mode the envelope's signature is checked and the reply decrypted, as WeChat does.
        """
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        if text.strip() in ("", "success"):
            return None
        data = protocol.parse_xml(text.encode("utf-8"))
        if self.aes_key:
            if "Encrypt" not in data:
                raise AssertionError("safe mode reply is not encrypted")
            inner = protocol.decrypt(data, token=self.token, aes_key=self.aes_key,
                                     appid=self.appid, msg_signature=data.get("MsgSignature", ""),
                                     timestamp=data.get("TimeStamp", ""),
                                     nonce=data.get("Nonce", ""))
            data = protocol.parse_xml(inner.encode("utf-8"))
        return data

    def _crypto(self) -> WeChatCrypto:
        return WeChatCrypto(self.token, self.aes_key, self.appid)
