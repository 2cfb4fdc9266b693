"""The desk's list of feedback: the filters, the page (plain rows, not ORM objects) and its total,
within a user's scope."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Citizen, Feedback, Unit, User, Window
from feedback_api.models.reference import TOPICS
from feedback_api.services import scope, typed_filters
from feedback_api.services.errors import ValidationError
from feedback_api.services.feedback import local_day_bounds

#: The desk's sentiment bands over the model's score (0 negative … 1 positive); a reviewer's
#: verdict (0 negative, 1 positive), when present, decides instead of the score.
SENTIMENT_BANDS: dict[str, str] = {"negative": "负面", "neutral": "中性", "positive": "正面"}
NEGATIVE_BELOW = 0.4
POSITIVE_FROM = 0.6
MAX_KEYWORD = 100


def sentiment_band(score: float | None) -> str | None:
    """The band (a key of ``SENTIMENT_BANDS``) of the model's score, by the bounds the desk's
    filter (``sentiment_clause``) uses, so a page names a score as the filter finds it."""
    if score is None:
        return None
    if score < NEGATIVE_BELOW:
        return "negative"
    return "positive" if score >= POSITIVE_FROM else "neutral"


def band_label(score: float | None) -> str | None:
    """The band's name as the desk's filter shows it (负面, 中性, 正面)."""
    band = sentiment_band(score)
    return None if band is None else SENTIMENT_BANDS[band]


def sentiment_clause(band: str) -> sa.ColumnElement[bool]:
    model, reviewed = Feedback.sentiment, Feedback.reviewed_sentiment
    if band == "negative":
        return sa.or_(reviewed == 0, sa.and_(reviewed.is_(None), model < NEGATIVE_BELOW))
    if band == "positive":
        return sa.or_(reviewed == 1, sa.and_(reviewed.is_(None), model >= POSITIVE_FROM))
    if band == "neutral":
        return sa.and_(reviewed.is_(None), model >= NEGATIVE_BELOW, model < POSITIVE_FROM)
    raise ValidationError(f"未知情感 {band}", details={"sentiment": "未知"})


def topic_clause(topic: str) -> sa.ColumnElement[bool]:
    """The opinion is about ``topic`` as its row shows it: any of the reviewer's topics when it
    was reviewed, else any of the model's (not only the first, ``main_topic``); nothing for a
    code that is not a topic.

    Read from the lists' JSON text, the same on SQLite and PostgreSQL: the reviewer's list holds
    topic codes, the model's ``{"topic": code, "confidence": number}``, so a code quoted (a plain
    word, no LIKE wildcard) is in a list's text exactly when the list names it. Only "was it
    reviewed" reads a list by position (its first element), and only in rows whose model list
    names the topic: reading every position parsed the JSON text once per position, 3x the time
    on PostgreSQL (benchmarks/README.md, the desk's topic filter)."""
    if topic not in TOPICS:
        return sa.false()
    quoted = f'%"{topic}"%'
    return sa.or_(Feedback.main_topic == topic,  # the reviewer's first, else the model's
                  sa.cast(Feedback.reviewed_topics, sa.Text).like(quoted),
                  sa.and_(sa.cast(Feedback.topics, sa.Text).like(quoted),
                          Feedback.reviewed_topics[0].as_string().is_(None)))


def keyword_clause(user: User, keyword: str) -> sa.ColumnElement[bool]:
    """The opinion contains ``keyword`` as ``user`` may read it: the raw text for the roles that
    read raw opinions, the masked text for everyone else (so a unit's search never reveals what
    masking hid). ``%`` and ``_`` are literal."""
    column = Feedback.text if scope.sees_raw_opinions(user) else Feedback.masked_text
    return column.contains(keyword[:MAX_KEYWORD], autoescape=True)


def feedback_query(
    user: User,
    *,
    window: str | None = None,
    unit: str | None = None,
    industry: str | None = None,
    topic: str | None = None,
    main_topic: str | None = None,
    sentiment: str | None = None,
    rating: int | None = None,
    channel: str | None = None,
    review_state: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    q: str | None = None,
    duplicates: bool | None = None,
) -> sa.Select[tuple[Feedback]]:
    """The feedback ``user`` may see, filtered; every filter is optional. ``topic``: any topic
    the desk's row shows (``topic_clause``); ``main_topic``: the first only (the API's, as
    documented). ``duplicates`` False
    leaves out feedback merged into another, True keeps only those.

    The statement selects from feedback alone: the window, unit and scope conditions are a
    subquery of window ids, so a count needs no join and the planner can walk the feedback
    index that fits the other filters."""
    stmt = sa.select(Feedback)
    windows: list[sa.ColumnElement[bool]] = []
    if window:
        windows.append(typed_filters.window_clause(window))
    if unit:
        windows.append(typed_filters.unit_clause(unit))
    if industry:
        windows.append(Unit.industry == industry)
    if user.role not in scope.GLOBAL_ROLES:
        windows.append(scope.window_clause(user))
    if windows:
        ids = sa.select(Window.id).where(*windows)
        if unit or industry:  # only those name the unit
            ids = ids.join(Window.unit)
        stmt = stmt.where(Feedback.window_id.in_(ids))
    if topic:
        stmt = stmt.where(topic_clause(topic))
    if main_topic:
        stmt = stmt.where(Feedback.main_topic == main_topic)
    if sentiment:
        stmt = stmt.where(sentiment_clause(sentiment))
    if date_from:
        stmt = stmt.where(Feedback.received_at >= local_day_bounds(date_from)[0])
    if date_to:
        stmt = stmt.where(Feedback.received_at < local_day_bounds(date_to)[1])
    if rating is not None:
        stmt = stmt.where(Feedback.rating == rating)
    if channel:
        stmt = stmt.where(Feedback.channel == channel)
    if review_state:
        stmt = stmt.where(Feedback.review_state == review_state)
    if q and q.strip():
        stmt = stmt.where(keyword_clause(user, q.strip()))
    if duplicates is not None:
        stmt = stmt.where(Feedback.duplicate_of_id.is_not(None) if duplicates
                          else Feedback.duplicate_of_id.is_(None))
    return stmt


#: How the desk orders feedback: newest first, or the opinions the model is least sure of first
#: (a reviewer's correction teaches most there); unanalysed ones come last in that order.
SORTS: dict[str, str] = {"newest": "最新在前", "uncertain": "模型最没把握的在前"}


@dataclass(slots=True)
class UnitRef:
    code: str
    name: str


@dataclass(slots=True)
class WindowRef:
    code: str
    name: str
    unit: UnitRef


@dataclass(slots=True)
class CitizenRef:
    pseudonym: str


@dataclass(slots=True)
class FeedbackRow:
    """One feedback as the desk's list, the home and window pages and the API list show it: the
    stored columns under the model's names, with ``window`` (and its ``unit``) and ``citizen``
    as small references, so templates and schemas read it as they read the ORM object."""
    id: int
    receipt_no: str
    channel: str
    rating: int | None
    rating_counts: bool
    text: str | None
    masked_text: str | None
    received_at: datetime
    review_state: str
    sentiment: float | None
    topics: list[dict[str, Any]] | None
    keywords: list[str] | None
    flags: list[str] | None
    model_version: str | None
    uncertainty: float | None
    reviewed_topics: list[str] | None
    reviewed_sentiment: int | None
    reviewed_at: datetime | None
    duplicate_of_id: int | None
    window: WindowRef
    citizen: CitizenRef | None


_F = Feedback.__table__.c
#: FeedbackRow's own columns, in its field order, then the window's, the unit's and the citizen's.
_ROW_COLUMNS = (
    *(_F[f.name] for f in fields(FeedbackRow) if f.name not in ("window", "citizen")),
    Window.__table__.c.code, Window.__table__.c.name, Unit.__table__.c.code,
    Unit.__table__.c.name, Citizen.__table__.c.pseudonym)
_ROW_WIDTH = len(_ROW_COLUMNS) - 5
_ROW_FROM = (Feedback.__table__
             .join(Window.__table__, Window.__table__.c.id == _F.window_id)
             .join(Unit.__table__, Unit.__table__.c.id == Window.__table__.c.unit_id)
             .outerjoin(Citizen.__table__, Citizen.__table__.c.id == _F.citizen_id))


def _rows(result: sa.Result[Any]) -> list[FeedbackRow]:
    windows: dict[str, WindowRef] = {}  # one reference per window on the page
    rows = []
    for r in result:
        own = r[:_ROW_WIDTH]
        code, name, unit_code, unit_name, pseudonym = r[_ROW_WIDTH:]
        window = windows.get(code)
        if window is None:
            window = windows[code] = WindowRef(code, name, UnitRef(unit_code, unit_name))
        rows.append(FeedbackRow(*own, window=window,
                                citizen=CitizenRef(pseudonym) if pseudonym is not None else None))
    return rows


def list_feedback(
    user: User, *, page: int = 1, per_page: int = 50, sort: str | None = None, **filters: Any
) -> tuple[list[FeedbackRow], int]:
    """One page, in ``sort`` order (newest first by default), and the total (counted from
    feedback alone: an index answers it where the filters allow; a page that is not full is
    the last, and gives the total without counting).

    The page is plain rows of one Core statement (feedback joined to its window, unit and
    citizen), not ORM objects: a list shows and changes nothing, and building 50 objects with
    their relations cost several times the query where an index answers it (benchmarks/README.md,
    the desk). One feedback with its relations is ``feedback.get_feedback``."""
    stmt = feedback_query(user, **filters)
    order = [_F.received_at.desc(), _F.id.desc()]
    if sort == "uncertain":
        order = [_F.uncertainty.is_(None), _F.uncertainty.desc(), *order]
    elif sort not in (None, "", "newest"):
        raise ValidationError(f"排序方式“{sort}”无效")
    page_stmt = sa.select(*_ROW_COLUMNS).select_from(_ROW_FROM)
    if stmt.whereclause is not None:
        page_stmt = page_stmt.where(stmt.whereclause)
    items = _rows(Session.execute(
        page_stmt.order_by(*order).offset((page - 1) * per_page).limit(per_page)))
    if len(items) < per_page and (items or page == 1):
        return items, (page - 1) * per_page + len(items)  # the last page: nothing to count
    # count(*), not count(id): SQLite then counts index entries without reading each one's
    # rowid (benchmarks/README.md, the desk).
    return items, Session.scalar(stmt.with_only_columns(sa.func.count(),
                                                        maintain_column_froms=True)) or 0
