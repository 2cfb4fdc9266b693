"""WeChat's callback protocol: signatures, freshness, safe XML parsing, AES, escaped replies.

Untrusted XML is only ever parsed with defusedxml (no DTD, no entities); wechatpy is used for
the signature and AES primitives, never to parse raw request bodies.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.utils import WeChatSigner

#: WeChat's callbacks are small; anything bigger is not from WeChat.
MAX_BODY = 64 * 1024
#: A signed request older or newer than this is refused (replay protection).
MAX_CLOCK_SKEW = 300

_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class ProtocolError(Exception):
    """A request WeChat would never send; ``status`` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 over the sorted parts (token, timestamp, nonce[, Encrypt])."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def check_signature(token: str, signature: str, timestamp: str, nonce: str,
                    encrypt: str | None = None) -> None:
    parts = [token, timestamp, nonce] + ([encrypt] if encrypt is not None else [])
    if not signature or not hmac.compare_digest(sign(*parts), signature.lower()):
        raise ProtocolError(403, "bad signature")


def check_timestamp(timestamp: str, now: float | None = None) -> None:
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        raise ProtocolError(403, "missing timestamp") from None
    if abs((now if now is not None else time.time()) - ts) > MAX_CLOCK_SKEW:
        raise ProtocolError(403, "stale timestamp")


def parse_xml(body: bytes | str) -> dict[str, Any]:
    """Parse a WeChat XML document into a dict; DTDs and entities are refused, never followed."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ProtocolError(400, "forbidden XML construct") from None
    except (ParseError, ValueError, TypeError):
        raise ProtocolError(400, "malformed XML") from None
    if root.tag != "xml":
        raise ProtocolError(400, "not a WeChat message")
    return _element_dict(root)


#: WeChat's deepest message (an event's SendPicsInfo > PicList > item > PicMd5Sum) is four
#: levels under <xml>; deeper nesting is not from WeChat (and would exhaust the recursion).
MAX_DEPTH = 6


def _element_dict(elem: Element, depth: int = 0) -> dict[str, Any]:
    if depth >= MAX_DEPTH:
        raise ProtocolError(400, "XML nested too deeply")
    out: dict[str, Any] = {}
    for child in elem:
        out[child.tag] = _element_dict(child, depth + 1) if len(child) else (child.text or "").strip()
    return out


def decrypt(envelope: dict[str, Any], *, token: str, aes_key: str, appid: str,
            msg_signature: str, timestamp: str, nonce: str) -> str:
    """Check ``msg_signature`` over the Encrypt field, then decrypt it to the inner XML."""
    encrypt = envelope.get("Encrypt")
    if not isinstance(encrypt, str) or not encrypt:
        raise ProtocolError(400, "no Encrypt element")
    check_signature(token, msg_signature, timestamp, nonce, encrypt)
    try:
        return PrpCrypto(_aes_key_bytes(aes_key)).decrypt(encrypt, appid)
    except Exception:  # bad base64, padding or AppID: a forged or corrupt message
        raise ProtocolError(400, "cannot decrypt") from None


def _aes_key_bytes(aes_key: str) -> bytes:
    import base64

    return base64.b64decode(aes_key + "=")


def crypto_for(token: str, aes_key: str, appid: str) -> WeChatCrypto:
    return WeChatCrypto(token, aes_key, appid)


def cdata(value: str) -> str:
    """A CDATA section holding ``value`` exactly: ``]]>`` is split across two sections and
    characters XML forbids are dropped, so citizen text can never break the reply."""
    value = _XML_INVALID.sub("", value)
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_text_reply(*, to_user: str, from_user: str, content: str, now: int | None = None) -> str:
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(now if now is not None else time.time())}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )


def encrypt_reply(xml: str, *, token: str, aes_key: str, appid: str,
                  now: int | None = None) -> str:
    """The safe-mode envelope (Encrypt, MsgSignature, TimeStamp, Nonce) around a reply."""
    nonce = str(secrets.randbelow(10**10))  # our own nonce: nothing from the request is echoed
    timestamp = str(int(now if now is not None else time.time()))
    return crypto_for(token, aes_key, appid).encrypt_message(xml, nonce, timestamp)


@dataclass
class InboundMessage:
    """A parsed message or event, with only the fields the bot uses (all strings)."""

    to_user: str
    from_user: str
    create_time: str
    msg_type: str
    msg_id: str = ""
    event: str = ""
    event_key: str = ""
    content: str = ""
    recognition: str = ""
    media_id: str = ""
    pic_url: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_event(self) -> bool:
        return self.msg_type == "event"


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    return value if isinstance(value, str) else ""


def to_message(data: dict[str, Any]) -> InboundMessage:
    from_user = _text(data, "FromUserName")
    msg_type = _text(data, "MsgType").lower()
    if not from_user or not msg_type or len(from_user) > 128:
        raise ProtocolError(400, "incomplete message")
    return InboundMessage(
        to_user=_text(data, "ToUserName"),
        from_user=from_user,
        create_time=_text(data, "CreateTime"),
        msg_type=msg_type,
        msg_id=_text(data, "MsgId") or _text(data, "MsgID"),
        event=_text(data, "Event").lower(),
        event_key=_text(data, "EventKey"),
        content=_text(data, "Content"),
        recognition=_text(data, "Recognition"),
        media_id=_text(data, "MediaId"),
        pic_url=_text(data, "PicUrl"),
        raw=data,
    )
