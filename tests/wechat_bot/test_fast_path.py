"""The callback's fast path in front of Flask: it answers signed messages itself and hands
everything else, body included, to the Flask view."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from feedback_api.models import Feedback, WechatInboundMessage
from wechat_bot import views

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2F"


@pytest.fixture
def flask_view_calls(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The requests the Flask view answered (the fast path handed them on)."""
    calls: list[str] = []
    original: Callable[..., Any] = app.view_functions["wechat_bot.callback"]

    @functools.wraps(original)  # keeps the view's name, and so its CSRF exemption
    def counting() -> Any:
        from flask import request
        calls.append(request.method)
        return original()

    monkeypatch.setitem(app.view_functions, "wechat_bot.callback", counting)
    return calls


def inbound_count(db) -> int:
    with db() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(WechatInboundMessage))


def test_a_signed_message_is_answered_without_the_flask_view(wechat, district, flask_view_calls):
    resp = wechat.post(wechat.peer.scan(OPENID, "CD-SW-001"))
    assert resp.status_code == 200
    assert resp.mimetype == "application/xml" and resp.mimetype_params == {"charset": "utf-8"}
    assert int(resp.headers["Content-Length"]) == len(resp.get_data())
    assert "综合办税窗口" in wechat.peer.read_reply(resp.get_data())["Content"]
    # The same security headers as every Flask response, once each.
    for name, value in (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "SAMEORIGIN"),
                        ("Referrer-Policy", "same-origin")):
        assert resp.headers.getlist(name) == [value]
    resp = wechat.post(wechat.peer.event(OPENID, "unsubscribe"))  # nothing to say: ``success``
    assert resp.get_data() == b"success" and resp.mimetype == "text/plain"
    assert flask_view_calls == []


def test_refused_requests_reach_the_flask_view_and_its_answers(wechat, flask_view_calls, db):
    req = wechat.peer.sign(wechat.peer.text(OPENID, "5"))
    forged = {**req.query, "signature": "0" * 40}
    assert wechat.client.post("/wechat", query_string=forged, data=req.body).status_code == 403
    nul = {**req.query, "nonce": req.query["nonce"] + "\x00"}
    resp = wechat.client.post("/wechat", query_string=nul, data=req.body)
    assert resp.status_code == 400 and "NUL" in resp.get_data(as_text=True)
    big = wechat.post(wechat.peer.text(OPENID, "很" * 30000))
    assert big.status_code == 413
    # URL verification is the Flask view's too.
    query = wechat.peer.verify_query("echo-42")
    assert wechat.client.get("/wechat", query_string=query).get_data(as_text=True) == "echo-42"
    # The NUL was refused by the app's own hook, before any view.
    assert flask_view_calls == ["POST", "POST", "GET"]
    assert inbound_count(db) == 0


def test_the_flask_view_gets_the_body_the_fast_path_read(wechat, district, flask_view_calls,
                                                         monkeypatch, db):
    # A signed message the fast path cannot answer (here: no callback token at the moment the
    # fast path looks) is answered by the view, from the same body.
    real_settings = views.settings
    seen: list[int] = []

    def settings_missing_once() -> Any:
        cfg = real_settings()
        if not seen:
            seen.append(1)
            return type(cfg)(**{**cfg.__dict__, "token": ""})
        return cfg

    monkeypatch.setattr(views, "settings", settings_missing_once)
    reply = wechat.scan(OPENID, "CD-SW-001")
    assert "综合办税窗口" in reply
    assert flask_view_calls == ["POST"] and inbound_count(db) == 1


def test_an_error_after_storing_is_answered_by_the_view_with_the_stored_reply(
        wechat, district, flask_view_calls, monkeypatch, db, caplog):
    real_reply = views._reply
    calls: list[int] = []

    def reply_failing_on_the_rating(*args: Any) -> tuple[str, str]:
        calls.append(1)
        if len(calls) == 2:  # the rating's first rendering, after it was stored
            raise RuntimeError("rendering failed")
        return real_reply(*args)

    monkeypatch.setattr(views, "_reply", reply_failing_on_the_rating)
    wechat.scan(OPENID, "CD-SW-001")
    reply = wechat.say(OPENID, "5")
    # The fast path stored the rating and failed; the view found the stored reply.
    assert "5 分（非常满意）" in reply and "受理编号" in reply
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 1
    assert flask_view_calls == ["POST"]
    assert "fast path failed" in caplog.text
    assert inbound_count(db) == 2
