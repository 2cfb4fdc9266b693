"""Opinions' NLP results: which wait for analysis, storing a result, and what a window's analysed
opinions are about."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Feedback, Ticket, TicketFeedback
from feedback_api.services.complaints import complaint, upheld_malicious


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
    """Store the NLP results of one opinion, with the model version that produced them; the
    requirement of a ticket opened from it with the default wording reads the new masked text."""
    from feedback_api.services.ticket_open import default_problem

    before = default_problem(item)
    item.sentiment = sentiment
    item.uncertainty = uncertainty
    item.topics = topics
    item.keywords = keywords
    item.masked_text = masked_text
    item.flags = flags
    item.model_version = model_version
    item.analyzed_at = utcnow()
    after = default_problem(item)
    if after != before:
        # Only a requirement still worded by default_problem: one staff wrote stays as written.
        Session.execute(sa.update(Ticket).where(
            Ticket.problem == before,
            Ticket.id.in_(sa.select(TicketFeedback.ticket_id)
                          .where(TicketFeedback.feedback_id == item.id))).values(problem=after))


@dataclass
class OpinionSummary:
    analyzed: int
    #: Complaints (投诉意见) as ``services.complaints`` defines them, the reports' definition.
    complaints: int
    #: (topic code, opinions), most first; the reviewer's topics win over the model's.
    topics: list[tuple[str, int]]
    #: (word, complaints that contain it), most first: the hot words of complaints.
    complaint_words: list[tuple[str, int]]
    #: channel -> (analysed, complaints): H5 and WeChat opinions shown apart.
    by_channel: dict[str, tuple[int, int]] = field(default_factory=dict)


def opinion_summary(window_id: int, *, days: int = 90, limit: int = 5000) -> OpinionSummary:
    """What a window's analysed opinions of the last ``days`` are about: not invalid, not a
    merged duplicate (counted in its original), not set aside by an upheld malicious appeal (an
    upheld 误评 takes the rating out, its text is read as it is); which are complaints is
    THE rule's answer, in SQL."""
    since = utcnow() - timedelta(days=days)
    rows = Session.execute(
        sa.select(Feedback.topics, Feedback.reviewed_topics, Feedback.keywords, Feedback.channel,
                  sa.case((complaint(), 1), else_=0))
        .where(Feedback.window_id == window_id, Feedback.analyzed_at.is_not(None),
               Feedback.review_state != "invalid", Feedback.received_at >= since,
               Feedback.duplicate_of_id.is_(None), ~upheld_malicious())
        .order_by(Feedback.received_at.desc())
        .limit(limit)
    ).all()
    topics: Counter[str] = Counter()
    words: Counter[str] = Counter()
    by_channel: dict[str, tuple[int, int]] = {}
    for predicted, reviewed, keywords, channel, is_complaint in rows:
        codes = reviewed or [t["topic"] for t in (predicted or [])[:1] if isinstance(t, dict)]
        topics.update(c for c in codes if c != "other")
        if is_complaint:
            words.update({str(w) for w in keywords or [] if str(w).strip()})
        seen, bad = by_channel.get(channel, (0, 0))
        by_channel[channel] = (seen + 1, bad + is_complaint)
    hot = sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
    return OpinionSummary(len(rows), sum(bad for _n, bad in by_channel.values()),
                          topics.most_common(), hot, by_channel)
