"""The admin's routes, discovered from ``app.url_map`` at run time (endpoint names change; the
URLs are what a browser, and an attacker, use)."""

from __future__ import annotations

from typing import Any

from flask import Flask

#: Outside the admin: the JSON API (its own tests), WeChat, static files, the citizens' H5 form.
NOT_ADMIN = ("/api/v1", "/wechat", "/static", "/f/")
#: Open to everyone by design: signing in, the health probe, the published public page.
PUBLIC = {"/login", "/healthz", "/public", "/favicon.ico"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def admin_rules(app: Flask) -> list[Any]:
    return sorted((r for r in app.url_map.iter_rules() if not r.rule.startswith(NOT_ADMIN)),
                  key=lambda r: (r.rule, sorted(r.methods or ())))


def build(rule: Any, values: dict[str, Any]) -> str:
    """The path of ``rule`` with ``values`` in its arguments (no app context needed)."""
    path = rule.rule
    import re

    def sub(m: re.Match[str]) -> str:
        return str(values[m.group(2)])

    return re.sub(r"<(?:([^:<>]+(?:\([^)]*\))?):)?([^<>]+)>", sub, path)
