"""Image evidence: the citizen's pictures, saved in the instance folder while their channel keeps them.

An image message carries a temporary media id that the channel serves for a few days
(``MEDIA_LIFETIME``). The channel's evidence job downloads each one and hands the bytes to
``store``; reviewers then see the picture beside the feedback. Services flush; the job commits
after each image.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from feedback_api.db import Session, utcnow
from feedback_api.models import FeedbackEvidence
from feedback_api.services.feedback import MAX_ID

#: The citizen's channel keeps temporary media for 3 days; later downloads cannot succeed.
MEDIA_LIFETIME = timedelta(days=3)
MAX_ATTEMPTS = 5
MAX_BYTES = 10 * 1024 * 1024  # the channel's own limit for images
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
               "image/webp": ".webp", "image/bmp": ".bmp"}


class NotAnImage(ValueError):
    pass


def folder() -> Path:
    return Path(current_app.config["WW_INSTANCE_PATH"]) / "evidence"


def pending(limit: int = 50, *, now: datetime | None = None) -> list[FeedbackEvidence]:
    """Images not saved yet that the channel still keeps, and that have attempts left."""
    now = now or utcnow()
    return list(Session.scalars(
        sa.select(FeedbackEvidence)
        .where(FeedbackEvidence.stored_name.is_(None), FeedbackEvidence.media_id != "",
               FeedbackEvidence.fetch_attempts < MAX_ATTEMPTS,
               FeedbackEvidence.received_at > now - MEDIA_LIFETIME)
        .order_by(FeedbackEvidence.id).limit(limit)))


def store(evidence: FeedbackEvidence, content: bytes, content_type: str, *,
          now: datetime | None = None) -> Path:
    """Save a downloaded image and count the attempt; refuses anything that is not a known image
    type or too large.

    The caller commits; if that fails, it deletes the returned file."""
    evidence.fetch_attempts += 1
    return _write(evidence, content, content_type, now or utcnow())


def _write(evidence: FeedbackEvidence, content: bytes, content_type: str, now: datetime) -> Path:
    content_type = content_type.split(";", 1)[0].strip().lower()
    if content_type not in _EXTENSIONS:
        raise NotAnImage(f"not an image: {content_type or 'no content type'}")
    if not content or len(content) > MAX_BYTES:
        raise NotAnImage(f"image of {len(content)} bytes")
    # Our own name, never one derived from the message: nothing outside the folder is reachable.
    name = (f"{now:%Y%m}/{evidence.feedback_id}-{evidence.id}-{secrets.token_hex(4)}"
            f"{_EXTENSIONS[content_type]}")
    path = folder() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(content)
    tmp.replace(path)
    evidence.stored_name = name
    evidence.content_type = content_type
    evidence.size_bytes = len(content)
    evidence.fetched_at = now
    evidence.fetch_error = ""
    try:
        Session.flush()
    except Exception:
        path.unlink(missing_ok=True)  # no file that no row names
        raise
    return path


def note_failure(evidence: FeedbackEvidence, error: str) -> None:
    evidence.fetch_attempts += 1
    evidence.fetch_error = error[:500]
    Session.flush()


# --- the fetch job's steps: claim (attempt counted, committed), download, outcome -------------

def pending_ids(limit: int = 50, *, now: datetime | None = None) -> list[int]:
    return [ev.id for ev in pending(limit, now=now)]


@dataclass(frozen=True)
class Claim:
    evidence_id: int
    feedback_id: int
    media_id: str


def _pending_row(evidence_id: int, now: datetime) -> FeedbackEvidence | None:
    return Session.scalars(
        sa.select(FeedbackEvidence)
        .where(FeedbackEvidence.id == evidence_id, FeedbackEvidence.stored_name.is_(None),
               FeedbackEvidence.media_id != "", FeedbackEvidence.fetch_attempts < MAX_ATTEMPTS,
               FeedbackEvidence.received_at > now - MEDIA_LIFETIME)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)).first()


def claim(evidence_id: int, *, now: datetime | None = None) -> Claim | None:
    """Count an attempt at downloading the image, if it is still to be fetched (read afresh);
    the job commits this before it calls the channel, so a download that never returns still
    uses up one of the ``MAX_ATTEMPTS``."""
    ev = _pending_row(evidence_id, now or utcnow())
    if ev is None:
        return None
    ev.fetch_attempts += 1
    Session.flush()
    return Claim(ev.id, ev.feedback_id, ev.media_id)


def save_claimed(claimed: Claim, content: bytes, content_type: str, *,
                 now: datetime | None = None) -> Path | None:
    """Save the image of a claimed download (its attempt already counted); None when it is
    gone or another run saved it meanwhile. Raises ``NotAnImage`` like ``store``."""
    ev = Session.scalars(sa.select(FeedbackEvidence)
                         .where(FeedbackEvidence.id == claimed.evidence_id,
                                FeedbackEvidence.stored_name.is_(None))
                         .with_for_update()
                         .execution_options(populate_existing=True)).first()
    if ev is None:
        return None
    return _write(ev, content, content_type, now or utcnow())


def claim_failed(claimed: Claim, error: str) -> None:
    """Record why the claimed download failed (its attempt is already counted)."""
    ev = Session.get(FeedbackEvidence, claimed.evidence_id, populate_existing=True)
    if ev is not None and ev.stored_name is None:
        ev.fetch_error = error[:500]
        Session.flush()


@dataclass(frozen=True)
class EvidenceView:
    id: int
    received_at: datetime
    saved: bool
    #: Why no picture can be shown ("" when it can, or while the job still tries).
    problem: str


def of_feedback(feedback_id: int, *, now: datetime | None = None) -> list[EvidenceView]:
    """The evidence of one feedback, as the feedback page lists it."""
    now = now or utcnow()
    views = []
    for ev in Session.scalars(sa.select(FeedbackEvidence)
                              .where(FeedbackEvidence.feedback_id == feedback_id)
                              .order_by(FeedbackEvidence.id)):
        saved = ev.stored_name is not None and (folder() / ev.stored_name).is_file()
        problem = ""
        if not saved and (ev.fetch_attempts >= MAX_ATTEMPTS
                          or ev.received_at <= now - MEDIA_LIFETIME or not ev.media_id):
            why = ev.fetch_error or "微信临时素材已过期"
            problem = f"图片未能保存（{why}）"
        views.append(EvidenceView(ev.id, ev.received_at, saved, problem))
    return views


def file_of(feedback_id: int, evidence_id: int) -> tuple[Path, str] | None:
    """The saved picture (path, content type) of one evidence of one feedback."""
    ev = Session.get(FeedbackEvidence, evidence_id) if 0 < evidence_id <= MAX_ID else None
    if ev is None or ev.feedback_id != feedback_id or ev.stored_name is None:
        return None
    path = folder() / ev.stored_name
    return (path, ev.content_type) if path.is_file() else None
