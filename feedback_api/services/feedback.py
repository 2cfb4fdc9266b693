"""Feedback (评价): record it once per source message, list it within a user's scope."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from feedback_api.db import Session, utcnow
from feedback_api.models import Appeal, Citizen, Feedback, Unit, User, Window
from feedback_api.models.reference import CHANNELS, RATINGS
from feedback_api.services import scope
from feedback_api.services.citizens import CitizenRef
from feedback_api.services.errors import NotFound, ValidationError
from feedback_api.services.windows import WindowCard

#: Days and receipt numbers follow the district's clock.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
_RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols; no 0/O or 1/I to misread
MAX_TEXT = 5000


@dataclass
class Recorded:
    feedback: Feedback
    created: bool


def new_receipt_no(now: datetime | None = None) -> str:
    now = (now or utcnow()).astimezone(LOCAL_TZ)
    bits = secrets.randbits(30)  # 6 symbols of 5 bits: the alphabet has 32
    tail = "".join(_RECEIPT_ALPHABET[(bits >> shift) & 31] for shift in range(0, 30, 5))
    return f"PJ{now:%Y%m%d}-{tail}"


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=LOCAL_TZ)
    return start, start + timedelta(days=1)


def _clean(channel: str, rating: int | None, text: str | None) -> str | None:
    """Validate a feedback's channel and rating; the opinion text, trimmed (or None)."""
    if channel not in CHANNELS:
        raise ValidationError(f"未知渠道 {channel}")
    if rating is not None and (isinstance(rating, bool) or rating not in RATINGS):
        raise ValidationError("评分须为 1–5")
    text = (text or "").strip() or None
    if text is not None and len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    if rating is None and text is None:
        raise ValidationError("评价须有评分或意见")
    return text


def record_feedback(
    window: Window | WindowCard,
    *,
    citizen: Citizen | CitizenRef | None,
    channel: str,
    rating: int | None = None,
    text: str | None = None,
    source_msg_id: str | None = None,
    received_at: datetime | None = None,
    client_network_hash: str | None = None,
) -> Recorded:
    """Store one feedback; the same ``source_msg_id`` is stored once and returned again.

    Two deliveries of one source message at the same moment: the later flush or commit fails
    on the unique ``source_msg_id``, and the owner of the unit of work rolls back and runs again
    (this then returns the stored one)."""
    text = _clean(channel, rating, text)
    if source_msg_id:
        existing = Session.scalars(_BY_SOURCE, {"source_msg_id": source_msg_id}).first()
        if existing is not None:
            return Recorded(existing, False)
    received_at = received_at or utcnow()
    item = Feedback(
        receipt_no=new_receipt_no(received_at),
        window_id=window.id,
        citizen_id=citizen.id if citizen is not None else None,
        channel=channel,
        rating=rating,
        text=text,
        received_at=received_at,
        source_msg_id=source_msg_id,
        client_network_hash=client_network_hash,
    )
    Session.add(item)
    Session.flush()
    if rating is not None and citizen is not None:
        _supersede_same_day_ratings(item.id, item.citizen_id, item.window_id, received_at)
    return Recorded(item, True)


#: Built once, as the statement below: a citizen's every rating and opinion runs them.
_BY_SOURCE = sa.select(Feedback).where(Feedback.source_msg_id == sa.bindparam("source_msg_id"))
#: The session's loaded feedback learn the change from the rows the UPDATE returns ("fetch"):
#: evaluating the criteria in Python instead cost more than the statement, and sees no bound
#: parameters.
_SUPERSEDE = (sa.update(Feedback)
              .where(Feedback.citizen_id == sa.bindparam("by_citizen"),
                     Feedback.window_id == sa.bindparam("at_window"),
                     Feedback.rating.is_not(None), Feedback.rating_counts.is_(True),
                     Feedback.received_at >= sa.bindparam("day_start"),
                     Feedback.received_at < sa.bindparam("day_end"),
                     Feedback.id != sa.bindparam("newest_id"))
              .values(rating_counts=False)
              .execution_options(synchronize_session="fetch"))


def _supersede_same_day_ratings(feedback_id: int, citizen_id: int | None, window_id: int,
                                received_at: datetime) -> None:
    """One rating per citizen, window and day counts: the newest replaces earlier ones."""
    start, end = local_day_bounds(received_at.astimezone(LOCAL_TZ).date())
    Session.execute(_SUPERSEDE, {"by_citizen": citizen_id, "at_window": window_id,
                                 "day_start": start, "day_end": end, "newest_id": feedback_id})


#: The desk's sentiment bands over the model's score (0 negative … 1 positive); a reviewer's
#: verdict (0 negative, 1 positive), when present, decides instead of the score.
SENTIMENT_BANDS: dict[str, str] = {"negative": "负面", "neutral": "中性", "positive": "正面"}
NEGATIVE_BELOW = 0.4
POSITIVE_FROM = 0.6
MAX_KEYWORD = 100


def sentiment_clause(band: str) -> sa.ColumnElement[bool]:
    model, reviewed = Feedback.sentiment, Feedback.reviewed_sentiment
    if band == "negative":
        return sa.or_(reviewed == 0, sa.and_(reviewed.is_(None), model < NEGATIVE_BELOW))
    if band == "positive":
        return sa.or_(reviewed == 1, sa.and_(reviewed.is_(None), model >= POSITIVE_FROM))
    if band == "neutral":
        return sa.and_(reviewed.is_(None), model >= NEGATIVE_BELOW, model < POSITIVE_FROM)
    raise ValidationError(f"未知情感 {band}", details={"sentiment": "未知"})


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
    sentiment: str | None = None,
    rating: int | None = None,
    channel: str | None = None,
    review_state: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    q: str | None = None,
    duplicates: bool | None = None,
) -> sa.Select[tuple[Feedback]]:
    """The feedback ``user`` may see, filtered; every filter is optional. ``duplicates`` False
    leaves out feedback merged into another, True keeps only those.

    The statement selects from feedback alone: the window, unit and scope conditions are a
    subquery of window ids, so a count needs no join and the planner can walk the feedback
    index that fits the other filters."""
    stmt = sa.select(Feedback)
    windows: list[sa.ColumnElement[bool]] = []
    if window:
        windows.append(Window.code == window)
    if unit:
        windows.append(sa.or_(Unit.code == unit, Unit.name == unit))
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
        stmt = stmt.where(Feedback.main_topic == topic)
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


def list_feedback(
    user: User, *, page: int = 1, per_page: int = 50, sort: str | None = None, **filters: Any
) -> tuple[list[Feedback], int]:
    """One page, in ``sort`` order (newest first by default), and the total (counted from
    feedback alone: an index answers it where the filters allow; a page that is not full is
    the last, and gives the total without counting)."""
    stmt = feedback_query(user, **filters)
    order = [Feedback.received_at.desc(), Feedback.id.desc()]
    if sort == "uncertain":
        order = [Feedback.uncertainty.is_(None), Feedback.uncertainty.desc(), *order]
    elif sort not in (None, "", "newest"):
        raise ValidationError(f"排序方式“{sort}”无效")
    # The window, its unit and the citizen come in the page's one statement (many-to-one
    # joins), not one query a row nor a second pass.
    items = list(Session.scalars(
        stmt.options(joinedload(Feedback.window, innerjoin=True).joinedload(Window.unit,
                                                                           innerjoin=True),
                     joinedload(Feedback.citizen))
        .order_by(*order)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ))
    if len(items) < per_page and (items or page == 1):
        return items, (page - 1) * per_page + len(items)  # the last page: nothing to count
    # count(*), not count(id): SQLite then counts index entries without reading each one's
    # rowid (benchmarks/README.md, the desk).
    return items, Session.scalar(stmt.with_only_columns(sa.func.count(),
                                                        maintain_column_froms=True)) or 0


#: Ids are 32-bit integers on every engine; a larger number names nothing.
MAX_ID = 2**31 - 1


def get_feedback(user: User, feedback_id: int) -> Feedback:
    item = Session.get(Feedback, feedback_id) if 0 < feedback_id <= MAX_ID else None
    if item is None or not scope.can_see_window(user, item.window):
        raise NotFound(f"评价 {feedback_id} 不存在或无权查看")
    return item


def visible_text(item: Feedback, user: User) -> str | None:
    """The opinion as ``user`` may read it: masked for window units and authorities."""
    if item.text is None:
        return None
    if scope.sees_raw_opinions(user):
        return item.text
    return item.masked_text if item.masked_text is not None else "（意见待脱敏处理后可见）"


def citizen_alias(item: Feedback, user: User) -> str | None:
    """The complainant's pseudonym prefix, which links their feedback together: for the roles
    that follow complaints up, never for window units (they need not know who complained)."""
    if not scope.sees_citizen_alias(user) or item.citizen is None:
        return None
    return item.citizen.pseudonym[:12]


def get_by_receipt(receipt_no: str) -> Feedback:
    item = Session.scalars(sa.select(Feedback).where(Feedback.receipt_no == receipt_no)).first()
    if item is None:
        raise NotFound(f"受理编号 {receipt_no} 不存在")
    return item


def pending_analysis(limit: int = 500, *, model_version: str | None = None) -> list[Feedback]:
    """Opinions not analysed yet (or, given ``model_version``, analysed by another version)."""
    stmt = sa.select(Feedback).where(Feedback.text.is_not(None))
    if model_version is None:
        stmt = stmt.where(Feedback.analyzed_at.is_(None))
    else:
        stmt = stmt.where(sa.or_(Feedback.model_version.is_(None),
                                 Feedback.model_version != model_version))
    return list(Session.scalars(stmt.order_by(Feedback.id).limit(limit)))


def apply_analysis(
    item: Feedback,
    *,
    sentiment: float,
    topics: list[dict[str, Any]],
    keywords: list[str],
    masked_text: str,
    flags: list[str],
    model_version: str,
    uncertainty: float | None = None,
) -> None:
    """Store the NLP results of one opinion, with the model version that produced them."""
    item.sentiment = sentiment
    item.uncertainty = uncertainty
    item.topics = topics
    item.keywords = keywords
    item.masked_text = masked_text
    item.flags = flags
    item.model_version = model_version
    item.analyzed_at = utcnow()


@dataclass
class OpinionSummary:
    analyzed: int
    negative: int
    #: (topic code, opinions), most first; the reviewer's topics win over the model's.
    topics: list[tuple[str, int]]
    #: (word, opinions) among negative opinions: the hot words of complaints.
    complaint_words: list[tuple[str, int]]
    #: channel -> (analysed, negative): H5 and WeChat opinions shown apart.
    by_channel: dict[str, tuple[int, int]] = field(default_factory=dict)


def opinion_summary(window_id: int, *, days: int = 90, limit: int = 5000) -> OpinionSummary:
    """What a window's analysed opinions of the last ``days`` are about."""
    since = utcnow() - timedelta(days=days)
    rows = Session.execute(
        sa.select(Feedback.topics, Feedback.reviewed_topics, Feedback.keywords, Feedback.sentiment,
                  Feedback.reviewed_sentiment, Feedback.channel)
        .where(Feedback.window_id == window_id, Feedback.analyzed_at.is_not(None),
               Feedback.review_state != "invalid", Feedback.received_at >= since,
               Feedback.duplicate_of_id.is_(None),  # a merged duplicate is counted in its original
               # An upheld appeal (申诉) takes the feedback out of every count.
               Feedback.id.not_in(sa.select(Appeal.feedback_id).where(Appeal.state == "upheld")))
        .order_by(Feedback.received_at.desc())
        .limit(limit)
    ).all()
    topics: Counter[str] = Counter()
    words: Counter[str] = Counter()
    negative = 0
    by_channel: dict[str, tuple[int, int]] = {}
    for predicted, reviewed, keywords, sentiment, reviewed_sentiment, channel in rows:
        codes = reviewed or [t["topic"] for t in (predicted or [])[:1] if isinstance(t, dict)]
        topics.update(c for c in codes if c != "other")
        is_negative = (reviewed_sentiment == 0) if reviewed_sentiment is not None else (
            sentiment is not None and sentiment < 0.5)
        if is_negative:
            negative += 1
            words.update(set(keywords or []))
        seen, bad = by_channel.get(channel, (0, 0))
        by_channel[channel] = (seen + 1, bad + int(is_negative))
    return OpinionSummary(len(rows), negative, topics.most_common(), words.most_common(12),
                          by_channel)
