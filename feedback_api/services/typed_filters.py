"""What staff type into a list's unit or window filter, as SQL, the same on every list (the desk,
the tickets list and its export, the windows list; the appeals, inspections, covert-inspection
and incidents lists): part of a code or name, in any case.

Case is ignored by ILIKE on PostgreSQL and by lower() LIKE lower() on SQLite (SQLAlchemy's
rendering of ``ilike``), both sides in SQL; Chinese has no case. ``%`` and ``_`` are characters
(window codes may hold ``_``), not wildcards."""

from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Unit, Window

#: The longest term a filter reads (the boxes take 100 characters).
MAX_TYPED = 100
_ESCAPE = "/"


def _literal(term: str) -> str:
    """``term`` as a LIKE pattern that matches only itself."""
    return (term.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%")
            .replace("_", _ESCAPE + "_"))


def _clean(term: str) -> str:
    return term.strip()[:MAX_TYPED]


def _forms(term: str) -> list[str]:
    """``term`` as typed and, if a Chinese input method typed it in full width (ＣＤ－ＳＷ), in
    the plain letters and digits stored; names keep their full-width brackets, so both."""
    term = _clean(term)
    return sorted({term, unicodedata.normalize("NFKC", term)})


def contains(term: str, *columns: Any) -> sa.ColumnElement[bool]:
    """Any of ``columns`` contains ``term``, ignoring case."""
    return sa.or_(*(column.ilike(f"%{_literal(form)}%", escape=_ESCAPE)
                    for form in _forms(term) for column in columns))


def _equals(term: str, columns: list[Any]) -> sa.ColumnElement[bool]:
    """A column is ``term`` in upper, lower or the typed case: codes are ASCII (the models' code
    patterns), so this is ignoring case for them, and equality keeps the columns' unique indexes
    (a window page's link finds its window by index, not by reading every window)."""
    values = sorted({v for form in _forms(term) for v in (form, form.upper(), form.lower())})
    return sa.or_(*(column == value for column in columns for value in values))


def _named(entity: Any, term: str, whole: tuple[str, ...]) -> sa.ColumnElement[bool]:
    """The rows of ``entity`` that ``term`` names: when it is a row's whole value of a column in
    ``whole`` (``_equals``), that row alone, so a full code still names one window (CD-SW-001,
    not also CD-SW-0010: the window page's links to the lists carry its code); else every row
    whose code or name contains it."""
    table = entity.__table__
    # One small indexed look-up first, so the list's own query stays a plain equality on the id
    # when a whole code or name was typed (the usual case: the window page's links).
    whole_ids = Session.scalars(sa.select(table.c.id)
                                .where(_equals(term, [table.c[c] for c in whole]))).all()
    if whole_ids:
        return table.c.id.in_(whole_ids)
    return contains(term, table.c.code, table.c.name)


def window_clause(term: str) -> sa.ColumnElement[bool]:
    """The windows ``term`` (a window's code or name, or part of one) names."""
    return _named(Window, term, ("code",))


def unit_clause(term: str) -> sa.ColumnElement[bool]:
    """The units ``term`` (a unit's code or name, or part of one) names; the statement must
    join the unit."""
    return _named(Unit, term, ("code", "name"))
