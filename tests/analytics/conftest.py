"""Fixtures of the analytics tests."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from analytics.nlp import get_pipeline
from analytics.nlp import training_layers as T
from analytics.nlp.training import LABELLED_PATH, load_labelled


@pytest.fixture(scope="session")
def small_labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every eighth of the shipped labelled opinions (both splits, as they are), for the training
    tests whose claim does not depend on how much the model learns from: training on all of them
    takes minutes of CPU, on this eighth about a tenth of that."""
    with gzip.open(LABELLED_PATH, "rt", encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()]
    path = tmp_path_factory.mktemp("labelled") / "opinions.jsonl"
    path.write_text("".join(lines[::8]), encoding="utf-8")
    return path


@pytest.fixture
def small_layers(monkeypatch: pytest.MonkeyPatch):
    """``(pipeline, base, examples)`` for a quick :func:`training_layers.train_layers` run: the shipped
    model without its domain layer and topics, every twelfth training opinion, 3 folds of 3 epochs.
    For tests of what a training records, not of how well it learns."""
    pipe = get_pipeline()
    base = {k: v for k, v in pipe.model.items() if k not in ("topics", "domain")}
    examples = [e for e in load_labelled() if e.split == "train"][::12]
    monkeypatch.setattr(T, "CV_FOLDS", 3)
    monkeypatch.setattr(T, "TOPIC_PARAMS", dict(T.TOPIC_PARAMS, epochs=3))
    monkeypatch.setattr(T, "DOMAIN_PARAMS", dict(T.DOMAIN_PARAMS, epochs=3))
    return pipe, base, examples
