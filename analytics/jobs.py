"""Analytics work that runs outside the request path: analysing opinions, retraining the model.

Each function changes the session and flushes; the caller (a CLI command or the scheduler's job
wrapper) commits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from feedback_api.services import feedback as feedback_service
from feedback_api.services import review as review_service

log = logging.getLogger(__name__)


def analyze_pending(limit: int = 500, *, reanalyze: bool = False) -> int:
    """Analyse up to ``limit`` opinions that have no analysis (or, with ``reanalyze``, an older
    model's); return how many were analysed."""
    from analytics.nlp import get_pipeline

    pipeline = get_pipeline()
    items = feedback_service.pending_analysis(
        limit, model_version=pipeline.model_version if reanalyze else None)
    for item in items:
        result = pipeline.analyze(item.text or "", item.rating)
        feedback_service.apply_analysis(
            item,
            sentiment=result.sentiment,
            topics=[{"topic": code, "confidence": round(conf, 4)} for code, conf in result.topics],
            keywords=list(result.keywords),
            masked_text=result.masked,
            flags=list(result.flags),
            model_version=result.model_version,
        )
    if items:
        from feedback_api.db import Session

        Session.flush()
        log.info("analysed %d opinions with model %s", len(items), pipeline.model_version)
    return len(items)


def model_dir() -> Path:
    """Where retrained model versions are written: WW_MODEL_DIR, else the instance folder."""
    configured = current_app.config.get("WW_MODEL_DIR")
    return Path(configured) if configured else Path(current_app.config["WW_INSTANCE_PATH"]) / "models"


@dataclass
class RetrainOutcome:
    corrections: int
    result: object


def retrain() -> RetrainOutcome:
    """Train a new model version from the shipped data and every reviewer correction; the
    trainer promotes it only if it scores at least as well as the current one."""
    from analytics.nlp.training import Correction as TrainingCorrection
    from analytics.nlp.training import retrain as train

    examples = [
        TrainingCorrection(text=e.text, topics=e.topics, sentiment=e.sentiment, valid=e.valid)
        for e in review_service.training_examples()
    ]
    result = train(examples, model_dir())
    return RetrainOutcome(len(examples), result)
