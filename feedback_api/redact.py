"""Keys and personal identifiers out of every error text we store, show or log.

A connection error's text carries the request URL, and WeChat's API puts the AppSecret
(``secret=``) or the access token (``access_token=``) in the query string; callbacks carry the
citizen's ``openid=``. ``redact`` replaces those values; ``RedactingFilter`` does it for every log
record that passes a handler it is installed on (the app factory installs it on the root
logger's handlers).
"""

from __future__ import annotations

import logging
import re

_SECRET_VALUES = re.compile(
    r"(?i)\b(secret|appsecret|access_token|openid|signature|msg_signature|password)"
    r"(=|%3D|\"?\s*:\s*\"?)([^&\s'\",)}]+)")


def redact(text: str) -> str:
    """``text`` with the values of secret-bearing parameters replaced by ``***``."""
    return _SECRET_VALUES.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of ``logger`` (the root logger), once."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
