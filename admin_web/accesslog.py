"""gunicorn's access log, without what would identify a citizen.

WeChat calls ``/wechat?signature=…&timestamp=…&nonce=…&openid=…``: the raw openid and a signed
query string would otherwise land in every access-log line. For those paths the line keeps the
method, the path and the protocol, and drops the query string; every other line is gunicorn's own.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

#: Paths whose query strings name a citizen or carry a signature.
PRIVATE_QUERY_PATHS = ("/wechat",)


class AccessLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        path = environ.get("PATH_INFO", "")
        if path.startswith(PRIVATE_QUERY_PATHS):
            atoms["q"] = ""
            atoms["r"] = f"{environ.get('REQUEST_METHOD', '-')} {path} {environ.get('SERVER_PROTOCOL', '-')}"
        return atoms
