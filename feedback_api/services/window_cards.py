"""Window cards: what the citizen's channels read of a window on every message (a name and
status), cached per process and forgotten when a window or unit changes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context

from feedback_api.db import Session
from feedback_api.models import Unit, Window


@dataclass(frozen=True)
class WindowCard:
    """What the citizen's channels need of a window (a name and status, read on every message)."""

    id: int
    code: str
    name: str
    status: str
    unit_name: str


_w, _u = Window.__table__, Unit.__table__
_CARD = sa.select(_w.c.id, _w.c.code, _w.c.name, _w.c.status, _u.c.name).join_from(
    _w, _u, _w.c.unit_id == _u.c.id)
_CARDS = "ww_window_cards"


def window_card(*, code: str | None = None, window_id: int | None = None) -> WindowCard | None:
    """The window with ``code`` (or id), for the citizen's channels; None when there is none.

    Cards are kept per process for ``WW_WINDOW_CACHE_SECONDS`` (a rating then reads no
    window row); a change to a window or unit in this process forgets them at once, one made
    by another process shows within that time."""
    app = current_app
    ttl = app.config["WW_WINDOW_CACHE_SECONDS"]
    key = ("code", code) if code is not None else ("id", window_id)
    cards: dict[tuple[str, Any], tuple[float, WindowCard]] = app.extensions.setdefault(_CARDS, {})
    now = time.monotonic()
    hit = cards.get(key)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    row = Session.execute(_CARD.where(_w.c.code == code if code is not None
                                      else _w.c.id == window_id)).first()
    if row is None:
        return None  # not cached: a window created meanwhile must be found
    card = WindowCard(*row)
    if len(cards) > 10_000:
        cards.clear()
    cards[("code", card.code)] = cards[("id", card.id)] = (now, card)
    return card


def forget_window_cards() -> None:
    """Drop this process's window cards (after a change made without the ORM)."""
    current_app.extensions.pop(_CARDS, None)


@sa.event.listens_for(Session, "after_flush")
def _forget_changed_windows(session: Any, _context: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, Window | Unit) for obj in changed) and has_app_context():
        forget_window_cards()
