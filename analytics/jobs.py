"""Analytics work that runs outside the request path: analysing opinions, retraining the model.

Each function changes the session and flushes; the caller (a CLI command or the scheduler's job
wrapper) commits."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

from feedback_api.db import Session, begin_request_write
from feedback_api.services import opinions
from feedback_api.services import review as review_service

if TYPE_CHECKING:
    from analytics.nlp import Pipeline
    from analytics.nlp.training import TrainingResult

log = logging.getLogger(__name__)


def model_dir() -> Path:
    """The writable model folder (WW_MODEL_DIR): retrained versions and the active one live
    there; until a version is promoted, the model shipped in the package is used."""
    return Path(current_app.config["WW_MODEL_DIR"])


def pipeline(reload: bool = False) -> Pipeline:
    from analytics.nlp import get_pipeline

    return get_pipeline(reload=reload, model_dir=model_dir())


def analyze_pending(limit: int = 500, *, reanalyze: bool = False) -> int:
    """Analyse up to ``limit`` opinions that have no analysis (or, with ``reanalyze``, an older
    model's); return how many were analysed."""
    pipe = pipeline()
    if not Session().in_transaction():
        # It reads, then writes: on SQLite another job committing in between would make the
        # write fail at once, every run, as the jobs fire at the same second.
        begin_request_write()
    items = opinions.pending_analysis(
        limit, model_version=pipe.model_version if reanalyze else None)
    for item in items:
        result = pipe.analyze(item.text or "", item.rating)
        opinions.apply_analysis(
            item,
            sentiment=result.sentiment,
            topics=[{"topic": code, "confidence": round(conf, 4)} for code, conf in result.topics],
            keywords=list(result.keywords),
            masked_text=result.masked,
            flags=list(result.flags),
            model_version=result.model_version,
            uncertainty=result.uncertainty,
        )
    if items:
        Session.flush()
        log.info("analysed %d opinions with model %s", len(items), pipe.model_version)
    return len(items)


def remask_stored(batch: int = 500) -> int:
    """Analyse again every analysed opinion whose masked text the current masking would change
    (after the masking learnt new kinds): its masked text, and the keywords taken beside it, must
    not keep what an older masking let through. Returns how many; a second run finds none."""
    import sqlalchemy as sa

    from analytics.nlp.masking import mask
    from analytics.nlp.text import clean
    from feedback_api.models import Feedback

    pipe = pipeline()
    done, last_id = 0, 0
    while True:
        items = list(Session.scalars(
            sa.select(Feedback).where(Feedback.id > last_id, Feedback.text.is_not(None),
                                      Feedback.masked_text.is_not(None))
            .order_by(Feedback.id).limit(batch)))
        if not items:
            return done
        last_id = items[-1].id
        for item in items:
            # The pipeline's masked text is exactly this (clean, then mask): the cheap check
            # spares the full analysis of every opinion that would not change.
            if mask(clean(item.text, max_chars=10000)) == item.masked_text:
                continue
            result = pipe.analyze(item.text or "", item.rating)
            opinions.apply_analysis(
                item,
                sentiment=result.sentiment,
                topics=[{"topic": code, "confidence": round(conf, 4)} for code, conf in result.topics],
                keywords=list(result.keywords),
                masked_text=result.masked,
                flags=list(result.flags),
                model_version=result.model_version,
                uncertainty=result.uncertainty,
            )
            done += 1
        Session.flush()


def retrain() -> TrainingResult:
    """Train a new model version from the shipped labelled data and every reviewer correction;
    the trainer promotes it only if the promotion gate (analytics.nlp.gate) lets it pass."""
    from analytics.nlp.training import Correction as TrainingCorrection
    from analytics.nlp.training import retrain as train

    examples = [
        TrainingCorrection(text=e.text, topics=e.topics, sentiment=e.sentiment, valid=e.valid)
        for e in review_service.training_examples()
    ]
    folder = model_dir()
    folder.mkdir(parents=True, exist_ok=True)
    result = train(examples, folder)
    if result.promoted:
        pipeline(reload=True)
    log.info("retrained %s on %d corrections: promoted=%s", result.version, len(examples),
             result.promoted)
    return result


def activate(version: str) -> None:
    """Make ``version`` the active model (restoring an older one is the same call)."""
    from analytics.nlp import activate_version

    folder = model_dir()
    folder.mkdir(parents=True, exist_ok=True)
    activate_version(folder, version)
    pipeline(reload=True)
