"""A fake of WeChat's API on loopback: a real HTTP server (werkzeug) in a thread.

Serves /cgi-bin/token, /cgi-bin/qrcode/create, /cgi-bin/message/custom/send (with the 48-hour
and 5-message rules) and /cgi-bin/message/template/send. ``fail()`` makes the next calls to a
path fail (HTTP error or WeChat errcode) to test retries; ``expire_tokens()`` invalidates every
access token so the client must fetch a new one. ``outage()`` makes every call fail (WeChat's API
down) until ``recover()``; ``delay`` slows every answer (the API slow): the call is still carried
out after the delay, as a slow server would, even if the client gave up waiting.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

SERVICE_WINDOW = 48 * 3600
SERVICE_LIMIT = 5


@dataclass
class Failure:
    times: int
    status: int = 200
    errcode: int = 45009
    errmsg: str = "reach max api daily quota limit"


@dataclass
class FakeWechatState:
    tokens: dict[str, float] = field(default_factory=dict)
    token_fetches: int = 0
    qrcodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    custom_sent: list[dict[str, Any]] = field(default_factory=list)
    template_sent: list[dict[str, Any]] = field(default_factory=list)
    last_inbound: dict[str, float] = field(default_factory=dict)
    custom_count: dict[str, int] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    #: Temporary media (media_id -> (content type, bytes)), as media/get serves it.
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    #: Called with the media id while media/get serves it (to let something happen meanwhile).
    media_hooks: dict[str, Callable[[str], None]] = field(default_factory=dict)


class FakeWechatServer:
    def __init__(self, appid: str, secret: str, *, token_ttl: int = 7200) -> None:
        self.appid, self.secret, self.token_ttl = appid, secret, token_ttl
        self.state = FakeWechatState()
        self.clock = time.time
        self._lock = threading.Lock()
        self._ids = itertools.count(1000)
        #: Seconds each call waits before it is carried out (the API slow); 0: at once.
        self.delay = 0.0
        self.delay_paths: set[str] | None = None
        #: Calls being held by ``delay`` right now.
        self.in_flight = 0
        #: While non-zero, every call answers this HTTP status (the API down).
        self.down_status = 0
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- control ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> FakeWechatServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def reset(self) -> None:
        with self._lock:
            self.state = FakeWechatState()
            self.clock = time.time
            self.delay, self.delay_paths, self.down_status = 0.0, None, 0

    def add_media(self, media_id: str, content: bytes, content_type: str = "image/jpeg", *,
                  while_serving: Callable[[str], None] | None = None) -> None:
        """A citizen sent an image: WeChat keeps it as temporary media."""
        with self._lock:
            self.state.media[media_id] = (content_type, content)
            if while_serving is not None:
                self.state.media_hooks[media_id] = while_serving

    def _media_get(self, request: Request) -> Response:
        found = self.state.media.get(request.args.get("media_id", ""))
        if found is None:
            return self._err(40007, "invalid media_id")
        content_type, content = found
        hook = self.state.media_hooks.get(request.args.get("media_id", ""))
        if hook is not None:
            hook(request.args.get("media_id", ""))
        return Response(content, mimetype=content_type, headers={
            "Content-Disposition": 'attachment; filename="image.jpg"'})

    def user_messaged(self, openid: str, at: float | None = None) -> None:
        """The citizen wrote to the account: the 48-hour, 5-message allowance starts again."""
        with self._lock:
            self.state.last_inbound[openid] = at if at is not None else self.clock()
            self.state.custom_count[openid] = 0

    def outage(self, status: int = 503) -> None:
        """Every call fails with ``status`` until ``recover()`` (the API down)."""
        with self._lock:
            self.down_status = status

    def slow(self, seconds: float, paths: set[str] | None = None) -> None:
        """Every call (or those to ``paths``) waits ``seconds`` before it is carried out."""
        with self._lock:
            self.delay, self.delay_paths = seconds, paths

    def recover(self) -> None:
        with self._lock:
            self.down_status = 0
            self.delay, self.delay_paths = 0.0, None

    def fail(self, path: str, times: int = 1, *, status: int = 200, errcode: int = 45009,
             errmsg: str = "reach max api daily quota limit") -> None:
        """Make the next ``times`` calls to ``path`` fail with an HTTP status or an errcode."""
        with self._lock:
            self.state.failures[path] = Failure(times, status, errcode, errmsg)

    def expire_tokens(self) -> None:
        with self._lock:
            for token in self.state.tokens:
                self.state.tokens[token] = 0

    # -- WSGI ---------------------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if self.delay and (self.delay_paths is None or request.path in self.delay_paths):
            with self._lock:
                self.in_flight += 1
            try:
                time.sleep(self.delay)  # outside the lock: slow calls overlap, as on a real server
            finally:
                with self._lock:
                    self.in_flight -= 1
        with self._lock:
            self.state.calls.append(request.path)
            if self.down_status:
                response = Response("service unavailable", status=self.down_status)
            else:
                response = self._dispatch(request)
        return response(environ, start_response)

    def _json(self, data: dict[str, Any], status: int = 200) -> Response:
        return Response(json.dumps(data, ensure_ascii=False), status=status,
                        mimetype="application/json")

    def _err(self, errcode: int, errmsg: str) -> Response:
        return self._json({"errcode": errcode, "errmsg": errmsg})

    def _dispatch(self, request: Request) -> Response:
        failure = self.state.failures.get(request.path)
        if failure is not None and failure.times > 0:
            failure.times -= 1
            if failure.status != 200:
                return Response("upstream error", status=failure.status)
            return self._err(failure.errcode, failure.errmsg)
        routes = {
            "/cgi-bin/token": self._token,
            "/cgi-bin/qrcode/create": self._qrcode_create,
            "/cgi-bin/message/custom/send": self._custom_send,
            "/cgi-bin/message/template/send": self._template_send,
            "/cgi-bin/media/get": self._media_get,
        }
        handler = routes.get(request.path)
        if handler is None:
            return self._err(48001, "api unauthorized")
        if request.path != "/cgi-bin/token":
            problem = self._check_token(request.args.get("access_token", ""))
            if problem is not None:
                return problem
        return handler(request)

    def _check_token(self, token: str) -> Response | None:
        expires = self.state.tokens.get(token)
        if expires is None:
            return self._err(40001, "invalid credential, access_token is invalid or not latest")
        if expires <= self.clock():
            return self._err(42001, "access_token expired")
        return None

    def _token(self, request: Request) -> Response:
        args = request.args
        if args.get("grant_type") != "client_credential":
            return self._err(40002, "invalid grant_type")
        if args.get("appid") != self.appid:
            return self._err(40013, "invalid appid")
        if args.get("secret") != self.secret:
            return self._err(40125, "invalid appsecret")
        token = secrets.token_hex(16)
        self.state.tokens[token] = self.clock() + self.token_ttl
        self.state.token_fetches += 1
        return self._json({"access_token": token, "expires_in": self.token_ttl})

    def _body(self, request: Request) -> dict[str, Any] | None:
        try:
            data = json.loads(request.get_data(as_text=True))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _qrcode_create(self, request: Request) -> Response:
        data = self._body(request)
        if data is None:
            return self._err(47001, "data format error")
        action = data.get("action_name")
        if action not in ("QR_LIMIT_STR_SCENE", "QR_STR_SCENE"):
            return self._err(40053, "invalid action info")
        expire = data.get("expire_seconds")
        if action == "QR_STR_SCENE" and not (isinstance(expire, int)
                                             and 60 <= expire <= 2592000):
            return self._err(40053, "invalid expire_seconds")
        scene = ((data.get("action_info") or {}).get("scene") or {}).get("scene_str")
        if not isinstance(scene, str) or not 1 <= len(scene) <= 64:
            return self._err(40053, "invalid scene_str")
        if scene not in self.state.qrcodes:
            ticket = "gQ" + secrets.token_urlsafe(24)
            self.state.qrcodes[scene] = {"ticket": ticket,
                                         "url": f"http://weixin.qq.com/q/{secrets.token_urlsafe(12)}"}
        if action == "QR_STR_SCENE":  # temporary: a new code each time, with its lifetime
            self.state.qrcodes[scene] = {
                "ticket": "gQ" + secrets.token_urlsafe(24), "expire_seconds": expire,
                "url": f"http://weixin.qq.com/q/{secrets.token_urlsafe(12)}"}
        return self._json(dict(self.state.qrcodes[scene]))

    def _custom_send(self, request: Request) -> Response:
        data = self._body(request)
        if data is None or data.get("msgtype") != "text" or not data.get("touser"):
            return self._err(47001, "data format error")
        openid = data["touser"]
        last = self.state.last_inbound.get(openid)
        if last is None or self.clock() - last > SERVICE_WINDOW:
            return self._err(45015, "response out of time limit or subscription is canceled")
        if self.state.custom_count.get(openid, 0) >= SERVICE_LIMIT:
            return self._err(45047, "out of response count limit")
        self.state.custom_count[openid] = self.state.custom_count.get(openid, 0) + 1
        self.state.custom_sent.append({"touser": openid, "content": data["text"]["content"]})
        return self._json({"errcode": 0, "errmsg": "ok"})

    def _template_send(self, request: Request) -> Response:
        data = self._body(request)
        if data is None or not data.get("touser") or not data.get("template_id"):
            return self._err(47001, "data format error")
        msgid = next(self._ids)
        self.state.template_sent.append({**data, "msgid": msgid})
        return self._json({"errcode": 0, "errmsg": "ok", "msgid": msgid})
