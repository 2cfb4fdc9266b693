"""WeChat settings, read from the environment (WW_WECHAT_*, WW_PUBLIC_BASE_URL) into app.config."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from flask import Flask, current_app

from feedback_api.config import ConfigError

log = logging.getLogger(__name__)

#: Every variable wechat_bot reads, with its meaning.
ENV_VARS: dict[str, str] = {
    "WW_WECHAT_TOKEN": "token configured in the official account (signs every callback)",
    "WW_WECHAT_APPID": "AppID of the official account",
    "WW_WECHAT_SECRET": "AppSecret (for access tokens: QR codes and outbound messages)",
    "WW_WECHAT_AES_KEY": "43-character EncodingAESKey; when set, only safe mode is accepted",
    "WW_WECHAT_ACCOUNT": "the account's original ID (gh_...), the sender of replies",
    "WW_WECHAT_SESSION_MINUTES": "how long a scanned window stays chosen (default 30)",
    "WW_WECHAT_TEMPLATE_ID": "template for messages outside the 48-hour service window",
    "WW_WECHAT_STAFF_TEMPLATE_ID": "template of staff alerts (差评, new tickets) to bound staff; "
                                   "default WW_WECHAT_TEMPLATE_ID",
    "WW_WECHAT_API_BASE": "WeChat API base (default https://api.weixin.qq.com); tests use a fake",
    "WW_PUBLIC_BASE_URL": "public base URL of this site, for the H5 link on posters",
    "WW_H5_RATE_LIMIT": "H5 form submissions allowed per client IP per 10 minutes (default 20)",
    "WW_CITIZEN_RATE_LIMIT": "WeChat messages and H5 submissions allowed per citizen per 10 minutes "
                             "(default 30); more get a polite reply and are not stored",
    "WW_WINDOW_RATE_LIMIT": "WeChat messages and H5 submissions about one window allowed per 10 "
                            "minutes, all citizens together (default 300)",
    "WW_WECHAT_LOG_DAYS": "days the log of inbound messages (kept to answer WeChat's retries) is "
                          "kept (default 30)",
}

_DEFAULTS = {
    "WW_WECHAT_SESSION_MINUTES": "30",
    "WW_WECHAT_API_BASE": "https://api.weixin.qq.com",
    "WW_PUBLIC_BASE_URL": "http://127.0.0.1:8000",
    "WW_H5_RATE_LIMIT": "20",
    "WW_CITIZEN_RATE_LIMIT": "30",
    "WW_WINDOW_RATE_LIMIT": "300",
    "WW_WECHAT_LOG_DAYS": "30",
}


_POSITIVE_INTS = ("WW_WECHAT_SESSION_MINUTES", "WW_H5_RATE_LIMIT", "WW_WECHAT_LOG_DAYS",
                  "WW_CITIZEN_RATE_LIMIT", "WW_WINDOW_RATE_LIMIT")


def init_app(app: Flask) -> None:
    """Fill app.config from the environment; explicit config given to create_app wins."""
    # WeChat's servers send no cookies: the callback needs no session.
    app.extensions.setdefault("ww_sessionless_paths", set()).add("/wechat")
    for name in ENV_VARS:
        if name not in app.config:
            app.config[name] = os.environ.get(name) or _DEFAULTS.get(name, "")
    # Checked once at start-up: a bad number would otherwise fail every WeChat request.
    for name in _POSITIVE_INTS:
        raw = app.config[name]
        try:
            ok = int(raw) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ConfigError(f"{name} must be a positive integer, got {raw!r}")
    if (app.config.get("WW_ENV") == "production" and app.config["WW_WECHAT_TOKEN"]
            and not app.config["WW_WECHAT_AES_KEY"]
            and not app.extensions.get("ww_wechat_plain_warned")):  # two blueprints call this
        app.extensions["ww_wechat_plain_warned"] = True
        # Plain mode's signature does not cover the body: a signed URL seen by anyone can carry
        # their body for five minutes (refused by the replay guard only from its second use).
        log.warning("wechat: plain mode in production (WW_WECHAT_TOKEN set, no WW_WECHAT_AES_KEY): "
                    "message bodies are not signed; set WW_WECHAT_AES_KEY and choose safe mode "
                    "(安全模式) in the official account's settings")


@dataclass(frozen=True)
class WechatSettings:
    token: str
    appid: str
    secret: str
    aes_key: str
    account: str
    session_minutes: int
    template_id: str
    api_base: str
    public_base_url: str
    h5_rate_limit: int
    log_days: int
    citizen_rate_limit: int
    window_rate_limit: int
    #: The template of staff alerts (empty: ``template_id``).
    staff_template_id: str = ""

    @property
    def safe_mode(self) -> bool:
        return bool(self.aes_key)

    @property
    def can_call_api(self) -> bool:
        return bool(self.appid and self.secret)


def settings(app: Flask | None = None) -> WechatSettings:
    cfg = (app or current_app).config
    return WechatSettings(
        token=cfg.get("WW_WECHAT_TOKEN") or "",
        appid=cfg.get("WW_WECHAT_APPID") or "",
        secret=cfg.get("WW_WECHAT_SECRET") or "",
        aes_key=cfg.get("WW_WECHAT_AES_KEY") or "",
        account=cfg.get("WW_WECHAT_ACCOUNT") or "",
        session_minutes=int(cfg.get("WW_WECHAT_SESSION_MINUTES") or 30),
        template_id=cfg.get("WW_WECHAT_TEMPLATE_ID") or "",
        api_base=(cfg.get("WW_WECHAT_API_BASE") or _DEFAULTS["WW_WECHAT_API_BASE"]).rstrip("/"),
        public_base_url=(cfg.get("WW_PUBLIC_BASE_URL")
                         or _DEFAULTS["WW_PUBLIC_BASE_URL"]).rstrip("/"),
        h5_rate_limit=int(cfg.get("WW_H5_RATE_LIMIT") or 20),
        log_days=int(cfg.get("WW_WECHAT_LOG_DAYS") or 30),
        citizen_rate_limit=int(cfg.get("WW_CITIZEN_RATE_LIMIT") or 30),
        window_rate_limit=int(cfg.get("WW_WINDOW_RATE_LIMIT") or 300),
        staff_template_id=cfg.get("WW_WECHAT_STAFF_TEMPLATE_ID") or "",
    )
