"""The WeChat API client (wechatpy) built from config, and the outbox's transport."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import requests
from flask import Flask, current_app
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from feedback_api.redact import redact
from wechat_bot.config import WechatSettings, settings
from wechat_bot.outbox import SendError

log = logging.getLogger(__name__)

#: WeChat refuses a customer-service message: 45015 = 48 hours passed, 45047 = 5 sent already.
WINDOW_CLOSED_CODES = {45015, 45047}
#: WeChat's own "system busy" errcode: the API, not the message.
BUSY_CODES = {-1}
#: Seconds to wait for WeChat's API (the outbox retries later; nothing here blocks a reply).
API_TIMEOUT = 5


class ConfigurationError(RuntimeError):
    pass


class WatchWeChatClient(WeChatClient):
    """wechatpy's client with a configurable API base (the real one, or our loopback fake).

    wechatpy caches the access token in memory and fetches a new one 60 s before it expires,
    or when WeChat answers 40001/42001 (invalid or expired token) and then retries the call.
    """

    def __init__(self, appid: str, secret: str, *, api_base: str,
                 timeout: float = API_TIMEOUT) -> None:
        super().__init__(appid, secret, timeout=timeout)
        self.API_BASE_URL = f"{api_base.rstrip('/')}/cgi-bin/"

    def fetch_access_token(self) -> dict[str, Any]:
        # wechatpy hard-codes api.weixin.qq.com here and sets no timeout.
        log.info("wechat: fetching access token")
        try:
            res = self._http.get(self.API_BASE_URL + "token", timeout=self.timeout, params={
                "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
            res.raise_for_status()
            result = res.json()
        except (requests.RequestException, ValueError) as exc:
            raise WeChatClientException(errcode=None, errmsg=redact(str(exc)), client=self) from exc
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result


_lock = threading.Lock()


def get_client(app: Flask | None = None) -> WatchWeChatClient:
    """One client per app and credentials, so the access token is fetched once and reused."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cfg = settings(app)
    if not cfg.can_call_api:
        raise ConfigurationError("未配置 WW_WECHAT_APPID / WW_WECHAT_SECRET，无法调用微信接口")
    key = (cfg.appid, cfg.secret, cfg.api_base)
    with _lock:
        cache = app.extensions.setdefault("ww_wechat_clients", {})
        if key not in cache:
            cache[key] = WatchWeChatClient(cfg.appid, cfg.secret, api_base=cfg.api_base,
                                           timeout=API_TIMEOUT)
        return cache[key]


def describe(exc: Exception) -> str:
    """An API failure as we store, show and log it: never with the AppSecret or a token."""
    if isinstance(exc, WeChatClientException):
        return redact(f"errcode={exc.errcode} errmsg={exc.errmsg}")
    return redact(f"{type(exc).__name__}: {exc}")


def send_error(exc: Exception) -> SendError:
    """An API failure as the outbox sees it: WeChat refusing this message, or WeChat's API
    unavailable (unreachable, a server error, busy, a timeout), or maybe delivered (the request
    went out and the answer timed out)."""
    if isinstance(exc, WeChatClientException):
        if exc.errcode in WINDOW_CLOSED_CODES:
            return SendError(describe(exc), window_closed=True)
        # errcode None: wechatpy's wrapping of an HTTP error, or of the access-token fetch
        # failing (nothing was sent then).
        return SendError(describe(exc),
                         unavailable=exc.errcode is None or exc.errcode in BUSY_CODES)
    if isinstance(exc, requests.ReadTimeout):
        return SendError(describe(exc), uncertain=True)
    return SendError(describe(exc), unavailable=isinstance(exc, requests.RequestException))


class WechatSender:
    """The outbox transport: customer-service text, or a template message."""

    def __init__(self, client: WatchWeChatClient, cfg: WechatSettings) -> None:
        self.client = client
        self.template_id = cfg.template_id
        self.staff_template_id = cfg.staff_template_id or cfg.template_id

    def send_text(self, openid: str, text: str) -> None:
        try:
            self.client.message.send_text(openid, text)
        except (WeChatClientException, requests.RequestException) as exc:
            raise send_error(exc) from exc

    def send_template(self, openid: str, data: dict[str, Any], url: str | None, *,
                      staff: bool = False) -> None:
        """A template message; ``staff`` picks the staff alerts' template."""
        template_id = self.staff_template_id if staff else self.template_id
        if not template_id:
            raise SendError("WW_WECHAT_TEMPLATE_ID is not set: "
                            "cannot write outside the 48-hour window")
        try:
            self.client.message.send_template(openid, template_id, data, url=url)
        except (WeChatClientException, requests.RequestException) as exc:
            raise send_error(exc) from exc


def issue_qr(client: WatchWeChatClient, scene: str) -> tuple[str, str]:
    """A permanent string-scene QR code; returns (ticket, url)."""
    res = client.qrcode.create({
        "action_name": "QR_LIMIT_STR_SCENE",
        "action_info": {"scene": {"scene_str": scene}},
    })
    return res["ticket"], res["url"]
