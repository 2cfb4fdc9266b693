"""A model judged on labelled opinions it was not trained on: sentiment accuracy (all, the hard
kinds, per kind) and topic F1. Training (:mod:`.training`) compares a candidate with the active
model by it; the blind-set benchmark and ``nlp evaluate`` report it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .lexicon import TOPICS
from .pipeline import Pipeline

if TYPE_CHECKING:
    from .training import Example

HARD_KINDS = ("negation", "contrast")


def evaluate(pipe: Pipeline, examples: Sequence[Example]) -> dict:
    """Held-out scores: sentiment accuracy (all, negation+contrast, per kind) and topic macro-F1."""
    correct: dict[str, list[int]] = {}
    tp = dict.fromkeys(TOPICS, 0)
    fp = dict.fromkeys(TOPICS, 0)
    fn = dict.fromkeys(TOPICS, 0)
    for e in examples:
        display, _, parsed = pipe.prepare(e.text)
        if e.sentiment is not None:
            p = pipe.text_sentiment(parsed)
            ok = int(((p if p is not None else 0.5) >= 0.5) == (int(e.sentiment) == 1))
            for key in ("all", "kind:" + e.kind) + (("hard",) if e.kind in HARD_KINDS else ()):
                correct.setdefault(key, []).append(ok)
        if e.topics:
            pred = {t for t, _ in pipe.topics(parsed)}
            gold = set(e.topics)
            for t in TOPICS:
                tp[t] += t in pred and t in gold
                fp[t] += t in pred and t not in gold
                fn[t] += t not in pred and t in gold
    f1 = {}
    for t in TOPICS:
        denom = 2 * tp[t] + fp[t] + fn[t]
        f1[t] = round(2 * tp[t] / denom, 4) if denom else 1.0
    scores = {
        "sentiment_accuracy": round(sum(correct.get("all", [0])) / max(len(correct.get("all", [])), 1), 4),
        "hard_accuracy": round(sum(correct.get("hard", [0])) / max(len(correct.get("hard", [])), 1), 4),
        "topic_macro_f1": round(sum(f1.values()) / len(f1), 4),
        "topic_f1": f1,
        "by_kind": {
            k[5:]: round(sum(v) / len(v), 4) for k, v in sorted(correct.items()) if k.startswith("kind:")
        },
        "n": len(examples),
    }
    return scores
