"""The agency's review: validate a feedback, correct its topics and sentiment; keep the correction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Correction, Feedback, User
from feedback_api.models.reference import TOPICS
from feedback_api.services import audit, ticket_links
from feedback_api.services.errors import PermissionDenied, ValidationError
from feedback_api.services.feedback import get_feedback

#: Roles that review feedback: the agency does it; the office may step in.
REVIEWER_ROLES = frozenset({"agency", "office"})
_UNSET: Any = object()


def clean_review(data: dict[str, Any]) -> dict[str, Any]:
    """Validate a review payload: ``valid`` (bool), ``topics`` (codes), ``sentiment`` (0/1)."""
    errors: dict[str, str] = {}
    unknown = sorted(set(data) - {"valid", "topics", "sentiment"})
    for name in unknown:
        errors[name] = "未知字段"
    clean: dict[str, Any] = {}
    if "valid" in data:
        if not isinstance(data["valid"], bool):
            errors["valid"] = "valid 应为 true 或 false"
        else:
            clean["valid"] = data["valid"]
    if "topics" in data and data["topics"] is not None:
        topics = data["topics"]
        if not isinstance(topics, list) or not topics or not all(isinstance(t, str) for t in topics):
            errors["topics"] = "topics 应为非空的问题类别代码列表"
        elif bad := [t for t in topics if t not in TOPICS]:
            errors["topics"] = f"未知问题类别：{', '.join(bad)}"
        else:
            clean["topics"] = list(dict.fromkeys(topics))
    if "sentiment" in data and data["sentiment"] is not None:
        if isinstance(data["sentiment"], bool) or data["sentiment"] not in (0, 1):
            errors["sentiment"] = "sentiment 应为 1（正面）或 0（负面）"
        else:
            clean["sentiment"] = data["sentiment"]
    if not errors and not clean:
        errors["valid"] = "请至少给出 valid、topics、sentiment 之一"
    if errors:
        raise ValidationError("审核内容有误：" + "；".join(errors.values()), details=errors)
    return clean


def review_feedback(actor: User, feedback_id: int, data: dict[str, Any]) -> Feedback:
    """Record a reviewer's decision on a feedback and keep it as a training example."""
    item = get_feedback(actor, feedback_id)  # outside the actor's scope: not found, not forbidden
    if actor.role not in REVIEWER_ROLES:
        raise PermissionDenied("只有第三方机构和区联席办可以审核评价")
    clean = clean_review(data)
    before = _review_view(item)
    valid = clean.get("valid")
    if valid is not None:
        item.review_state = "valid" if valid else "invalid"
    elif item.review_state == "pending":
        item.review_state = "valid"  # correcting a topic or sentiment accepts the feedback
    if "topics" in clean:
        item.reviewed_topics = clean["topics"]
    if "sentiment" in clean:
        item.reviewed_sentiment = clean["sentiment"]
    item.reviewed_at = utcnow()
    item.reviewer_id = actor.id
    if item.text:
        Session.add(Correction(
            feedback_id=item.id,
            reviewer_id=actor.id,
            text=item.text,
            # Correcting a topic or sentiment accepts the feedback, so the example is valid.
            valid=valid if valid is not None else item.review_state == "valid",
            topics=clean.get("topics"),
            sentiment=clean.get("sentiment"),
            predicted_topics=[t["topic"] for t in item.topics or [] if isinstance(t, dict)] or None,
            predicted_sentiment=item.sentiment,
            model_version=item.model_version,
        ))
    Session.flush()
    audit.record_change(actor, "review", "feedback", item.id, before, _review_view(item))
    if valid is False and before["review_state"] != "invalid":
        ticket_links.feedback_excluded(actor, item, "invalid")
    return item


def _review_view(item: Feedback) -> dict[str, Any]:
    return {"review_state": item.review_state, "reviewed_topics": item.reviewed_topics,
            "reviewed_sentiment": item.reviewed_sentiment}


@dataclass(frozen=True)
class TrainingExample:
    """A reviewer's correction as the NLP trainer takes it."""

    text: str
    topics: list[str] | None
    sentiment: int | None
    valid: bool | None
    created_at: datetime


def training_examples(since: datetime | None = None) -> Iterator[TrainingExample]:
    """Every correction, the latest per feedback winning, oldest first."""
    latest = (
        sa.select(sa.func.max(Correction.id)).group_by(Correction.feedback_id).scalar_subquery()
    )
    stmt = sa.select(Correction).where(Correction.id.in_(latest)).order_by(Correction.id)
    if since is not None:
        stmt = stmt.where(Correction.created_at >= since)
    for c in Session.scalars(stmt):
        yield TrainingExample(c.text, c.topics, c.sentiment, c.valid, c.created_at)


def count_corrections() -> int:
    return Session.scalar(sa.select(sa.func.count()).select_from(Correction)) or 0
