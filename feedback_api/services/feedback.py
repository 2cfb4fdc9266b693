"""Feedback (评价): record it once per source message, find one within a user's scope.

The desk's list is in feedback_list.py, the NLP results and a window's opinion summary in
opinions.py."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Citizen, Feedback, User, Window
from feedback_api.models.reference import CHANNELS, RATINGS
from feedback_api.services import scope
from feedback_api.services.citizens import CitizenRef
from feedback_api.services.errors import NotFound, ValidationError
from feedback_api.services.window_cards import WindowCard

if TYPE_CHECKING:
    from feedback_api.services.feedback_list import FeedbackRow

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


#: The days whose local bounds convert to UTC and back: a filter typed as 0001-01-01 or
#: 9999-12-31 is taken as one of these (no feedback lies beyond them) instead of overflowing.
_FIRST_DAY, _LAST_DAY = date(1, 1, 2), date(9999, 12, 30)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(min(max(day, _FIRST_DAY), _LAST_DAY), time.min, tzinfo=LOCAL_TZ)
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




#: Ids are 32-bit integers on every engine; a larger number names nothing.
MAX_ID = 2**31 - 1


def get_feedback(user: User, feedback_id: int) -> Feedback:
    item = Session.get(Feedback, feedback_id) if 0 < feedback_id <= MAX_ID else None
    if item is None or not scope.can_see_window(user, item.window):
        raise NotFound(f"评价 {feedback_id} 不存在或无权查看")
    return item


def visible_text(item: Feedback | FeedbackRow, user: User) -> str | None:
    """The opinion as ``user`` may read it: masked for window units and authorities."""
    if item.text is None:
        return None
    if scope.sees_raw_opinions(user):
        return item.text
    return item.masked_text if item.masked_text is not None else "（意见待脱敏处理后可见）"


def citizen_alias(item: Feedback | FeedbackRow, user: User) -> str | None:
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
