"""Fixtures of the analytics tests."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from analytics.nlp.training import LABELLED_PATH


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
