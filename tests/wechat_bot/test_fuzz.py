"""The WeChat callback fuzzed with hypothesis: whatever a signed request carries, no 500, and a
refused request stores nothing.

Signed requests reach the parser, so these are the inputs that matter: an unsigned one is
refused before its body is read. Counts are read with plain SQL so that the test does not
depend on where the WeChat models live.
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from wechat_bot.protocol import cdata

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
TABLES = ("wechat_inbound_messages", "citizens", "feedback_items")


def counts(db) -> tuple[int, ...]:
    with db() as s:
        return tuple(s.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in TABLES)  # noqa: S608


def post(wechat, body: bytes | str):
    resp = wechat.post(body)
    assert resp.status_code != 500 and resp.status_code < 500, resp.status_code
    text = resp.get_data()
    assert b"Traceback" not in text
    return resp


xml_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=300)
msg_types = st.sampled_from(["text", "voice", "image", "event", "location", "link", "video",
                             "shortvideo", "file", "", "TEXT", "unknown"])
events = st.sampled_from(["subscribe", "unsubscribe", "SCAN", "CLICK", "VIEW", "LOCATION", "", "x"])
numbers = st.one_of(st.integers(min_value=-2**70, max_value=2**70).map(str), xml_text)


@st.composite
def wechat_shaped(draw) -> str:
    """A message of WeChat's shape whose every field has an arbitrary type, length and value."""
    fields = {
        "ToUserName": draw(st.one_of(st.just("gh_0123456789ab"), xml_text)),
        "FromUserName": draw(st.one_of(st.just("o6_bmjrPTlm6_2sgVt7hMZOPfL2M"), xml_text)),
        "CreateTime": draw(st.one_of(st.just(str(int(time.time()))), numbers)),
        "MsgType": draw(msg_types),
        "Content": draw(xml_text),
        "MsgId": draw(numbers),
        "Event": draw(events),
        "EventKey": draw(st.one_of(st.just("qrscene_CD-SW-001"), st.just("CD-SW-001"), xml_text)),
        "Recognition": draw(xml_text),
        "MediaId": draw(xml_text),
        "PicUrl": draw(xml_text),
    }
    # The envelope fields are kept more often than not, so that most messages reach the handler.
    envelope = ["ToUserName", "FromUserName", "CreateTime", "MsgType"]
    optional = [f for f in sorted(fields) if f not in envelope]
    keep = ([f for f in envelope if draw(st.integers(0, 9)) > 0]
            + draw(st.lists(st.sampled_from(optional), unique=True, max_size=len(optional))))
    nested = draw(st.booleans())
    parts = []
    for name in keep:
        value = cdata(fields[name]) if draw(st.booleans()) else fields[name].replace(
            "&", "&amp;").replace("<", "&lt;")
        parts.append(f"<{name}><x>{value}</x></{name}>" if nested and name == "Content"
                     else f"<{name}>{value}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


HOSTILE = [
    # billion laughs
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><Content>&lol3;</Content></xml>",
    # external entity
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>a</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>",
    # parameter entity and external DTD
    '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><xml></xml>',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p">%p;]><xml/>',
    # quadratic blowup: one large entity used many times
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "' + "a" * 5000 + '">]><xml><Content>'
    + "&a;" * 10 + "</Content></xml>",
    # processing instructions, comments, deep nesting
    "<?xml-stylesheet href='x'?><xml><!-- c --><Content>hi</Content></xml>",
    "<xml>" + "<a>" * 5000 + "</a>" * 5000 + "</xml>",
    "<xml><Content>unterminated",
    "",
    "<xml/>",
    "<notxml><MsgType>text</MsgType></notxml>",
]


@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_xml_is_refused_and_stores_nothing(wechat, district, db, body):
    before = counts(db)
    resp = post(wechat, body)
    assert resp.status_code in {200, 400, 403, 413}
    assert counts(db) == before


@pytest.mark.parametrize("size", [64 * 1024 + 1, 1024 * 1024])
def test_huge_bodies_are_refused_and_store_nothing(wechat, district, db, size):
    before = counts(db)
    body = "<xml><Content>" + "长" * (size // 3) + "</Content></xml>"
    resp = post(wechat, body)
    assert resp.status_code in {400, 413}
    assert counts(db) == before


@SETTINGS
@given(body=st.binary(max_size=2048))
def test_arbitrary_bytes_never_fail_the_server(wechat_plain, district, db, body):
    before = counts(db)
    resp = post(wechat_plain, body)
    event(f"HTTP {resp.status_code}")  # --hypothesis-show-statistics: how many reached the handler
    if resp.status_code != 200:
        assert counts(db) == before


@SETTINGS
@given(body=wechat_shaped())
def test_wechat_shaped_messages_with_odd_fields_never_fail(wechat, district, db, body):
    before = counts(db)
    resp = post(wechat, body)
    event(f"HTTP {resp.status_code}")
    after = counts(db)
    if resp.status_code != 200:
        assert after == before
    else:
        # One message stores at most one log row, one citizen and one feedback.
        assert all(0 <= a - b <= 1 for a, b in zip(after, before, strict=True))
        reply = wechat.peer.read_reply(resp.get_data()) if resp.get_data() not in (b"", b"success") else None
        assert reply is None or reply["MsgType"] == "text"


@pytest.fixture
def wechat_plain(app, monkeypatch):
    """Plain mode only: random bytes cannot be put in safe mode's envelope as WeChat would."""
    from tests.wechat_bot.conftest import ACCOUNT, AES_KEY, APPID, TOKEN, WechatTester, configure
    from wechat_bot.simulator import WechatPeer

    del AES_KEY
    configure(app, monkeypatch, safe=False)
    return WechatTester(app.test_client(), WechatPeer(token=TOKEN, appid=APPID, account=ACCOUNT),
                        "plain")
