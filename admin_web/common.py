"""What every feature blueprint shares: access by role, the signed-in user, one pagination helper,
one commit-or-flash helper, and the template globals."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from flask import Flask, Response, abort, flash, render_template, request
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from feedback_api.db import Session
from feedback_api.models import User
from feedback_api.models.reference import (
    AUDIT_ACTIONS,
    AUDIT_ENTITIES,
    CHANNELS,
    INDUSTRIES,
    OFFICE_NAME,
    RATINGS,
    REVIEW_STATES,
    ROLES,
    SENTIMENTS,
    TOPICS,
    WINDOW_STATUSES,
    label,
)
from feedback_api.services.errors import ServiceError
from feedback_api.services.feedback import LOCAL_TZ

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

PER_PAGE = 20
#: Far beyond any real listing, and inside every database's integer range.
MAX_PAGE = 100_000


def actor() -> User:
    """The signed-in user (the views behind ``login_required`` only)."""
    return current_user._get_current_object()  # type: ignore[no-any-return]


def role_required(*roles: str) -> Callable[[F], F]:
    """Sign-in required, and 403 for users of any other role."""
    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorator


def found_or_404(lookup: Callable[[], T]) -> T:
    """What ``lookup`` finds; its ServiceError (not found, or outside the user's scope) is a 404."""
    try:
        return lookup()
    except ServiceError:
        abort(404)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; ``_macros.html``'s ``pager`` links its neighbours."""

    items: Sequence[T]
    total: int
    number: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def paginate(listing: Callable[..., tuple[Sequence[T], int]], **filters: Any) -> Page[T]:
    """The page ``?page=`` asks for (clamped, never an error) of a service's listing, which takes
    ``page`` and ``per_page`` and returns ``(items, total)``."""
    number = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    items, total = listing(page=number, per_page=PER_PAGE, **filters)
    last = Page(items, total, number).pages
    if not items and number > last:  # past the end (the list shrank since): its last page
        number = last
        items, total = listing(page=number, per_page=PER_PAGE, **filters)
    return Page(items, total, number)


@dataclass(frozen=True)
class Done(Generic[T]):
    """A change that was committed, with what the service returned."""

    value: T


def commit_or_flash(change: Callable[[], T], *, form: FlaskForm | None = None) -> Done[T] | None:
    """Run one change as the request's unit of work: commit it and return ``Done``; or, when the
    service refuses it, roll back, flash its message (its field details go on ``form``) and
    return None, so the view shows the page again."""
    try:
        value = change()
    except ServiceError as exc:
        Session.rollback()
        if form is not None and isinstance(exc.details, dict):
            for name, message in exc.details.items():
                field = getattr(form, name, None)
                if field is not None:
                    field.errors = [*field.errors, message]
        flash(exc.message, "error")
        return None
    Session.commit()
    return Done(value)


def local_dt(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in the district's time."""
    if value is None:
        return "—"
    return value.astimezone(LOCAL_TZ).strftime(fmt)


def _citizens_page() -> bool:
    """The pages a citizen reaches without signing in: the rating form (/f/…, from the QR code
    or WeChat) and the public list (/public)."""
    path = request.path
    return path == "/f" or path.startswith("/f/") or path == "/public" or path.startswith("/public/")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


#: What the ASCII fallback keeps; any other run of characters becomes one "_".
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9._-]+")


def _saved_names(filename: str, fallback: str) -> tuple[str, str]:
    """The name and its ASCII fallback made safe in a header, whoever built them: control and
    format characters and line breaks (a window's name may hold one) become a space in the name;
    the fallback keeps letters, digits, ``.``, ``_`` and ``-`` (never a quote or backslash)."""
    plain = _NOT_PLAIN.sub("_", fallback).strip("._") or "download"
    name = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
                   for c in filename)
    return re.sub(r" {2,}", " ", name).strip() or plain, plain


def download(body: bytes | str, mimetype: str, filename: str, *, fallback: str) -> Response:
    """A file to save under its Chinese name (RFC 5987's ``filename*``), with an ASCII
    ``fallback`` for clients without it (Werkzeug's own would drop the Chinese and leave
    ".csv"). Both are cleaned here (:func:`_saved_names`), so no caller's name can break the
    header. Never stored: the files hold citizens' opinions and staff names."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    response = Response(data, mimetype=mimetype)
    name_file(response, filename, fallback=fallback)
    response.headers["Cache-Control"] = "no-store"
    return response


def name_file(response: Response, filename: str, *, fallback: str) -> Response:
    """Set the response's file name as :func:`download` does, keeping its disposition (an
    inline picture or PDF, else an attachment)."""
    name, plain = _saved_names(filename, fallback)
    kind = ("inline" if response.headers.get("Content-Disposition", "").startswith("inline")
            else "attachment")
    response.headers["Content-Disposition"] = (
        f'{kind}; filename="{plain}"; filename*=UTF-8\'\'{quote(name, safe="")}')
    return response


def error_page(status: int, message: str, details: Any = None) -> str:
    """The Chinese error page people see (the JSON API keeps its JSON errors); a citizen's
    points to the public list of windows, never to the staff's home."""
    template = "public/error.html" if _citizens_page() else "errors.html"
    return render_template(template, status=status, message=message, details=details)


def industry_choices(user: Any) -> dict[str, str]:
    """The industries ``user`` may narrow a list to: every one for the district's readers (the
    office, the agency), else those of its scope, none when there is only one to choose."""
    if user.role in ("office", "agency"):
        return dict(INDUSTRIES)
    own = sorted({s.industry for s in user.scopes if s.industry})
    return {k: INDUSTRIES.get(k, k) for k in own} if len(own) > 1 else {}


def init_templates(app: Flask) -> None:
    """The vocabularies and filters every template may use."""
    app.add_template_filter(local_dt, "local_dt")

    @app.context_processor
    def _vocabularies() -> dict[str, Any]:
        return {"INDUSTRIES": INDUSTRIES, "WINDOW_STATUSES": WINDOW_STATUSES, "ROLES": ROLES,
                "RATINGS": RATINGS, "CHANNELS": CHANNELS, "REVIEW_STATES": REVIEW_STATES,
                "TOPICS": TOPICS, "SENTIMENTS": SENTIMENTS, "AUDIT_ACTIONS": AUDIT_ACTIONS,
                "AUDIT_ENTITIES": AUDIT_ENTITIES, "OFFICE_NAME": OFFICE_NAME, "label": label,
                "filter_industries": industry_choices}
