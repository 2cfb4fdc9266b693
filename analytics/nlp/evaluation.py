"""A model judged on labelled opinions it was not trained on: sentiment accuracy (all, the hard
kinds, per kind) and topic F1. Training (:mod:`.training`) compares a candidate with the active
model by it (:mod:`.gate`); the blind-set benchmark and ``nlp evaluate`` report it.

Each opinion is judged once (:func:`judge`); the scores and the promotion gate are both sums over
those judgements, so the two cannot disagree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .lexicon import TOPICS
from .pipeline import Pipeline

if TYPE_CHECKING:
    from .training import Example

HARD_KINDS = ("negation", "contrast")


@dataclass(frozen=True)
class Judged:
    """One labelled opinion as one model read it."""

    #: Sentiment right (None: the opinion has no sentiment label).
    right: bool | None
    #: Counts among the hard cases.
    hard: bool
    kind: str
    #: The labelled topics (None: not labelled for topics, left out of the topic F1) and the predicted ones.
    gold: frozenset[str] | None
    pred: frozenset[str]


def judge(pipe: Pipeline, text: str, sentiment: int | None, topics: Iterable[str] | None,
          kind: str = "plain", hard: bool = False) -> Judged:
    """Score one opinion: an undecided sentiment (None) counts as 0.5, i.e. positive."""
    _, _, parsed = pipe.prepare(text)
    right = None
    if sentiment is not None:
        p = pipe.text_sentiment(parsed)
        right = ((p if p is not None else 0.5) >= 0.5) == (int(sentiment) == 1)
    gold = None if topics is None else frozenset(topics)
    pred = frozenset(t for t, _ in pipe.topics(parsed)) if gold is not None else frozenset()
    return Judged(right, hard, kind, gold, pred)


def judge_examples(pipe: Pipeline, examples: Sequence[Example]) -> list[Judged]:
    """:func:`judge` over labelled examples: the hard cases are the HARD_KINDS; an empty topic list is
    no topic label."""
    return [judge(pipe, e.text, e.sentiment, e.topics or None, e.kind, e.kind in HARD_KINDS)
            for e in examples]


def topic_f1(tp: int, fp: int, fn: int) -> float:
    """F1 of one topic; a topic neither labelled nor predicted scores 1."""
    denom = 2 * tp + fp + fn
    return 2 * tp / denom if denom else 1.0


def topic_counts(judged: Iterable[Judged]) -> dict[str, tuple[int, int, int]]:
    """Per topic: true positives, false positives, false negatives over the topic-labelled opinions."""
    tp = dict.fromkeys(TOPICS, 0)
    fp = dict.fromkeys(TOPICS, 0)
    fn = dict.fromkeys(TOPICS, 0)
    for j in judged:
        if j.gold is None:
            continue
        for t in TOPICS:
            tp[t] += t in j.pred and t in j.gold
            fp[t] += t in j.pred and t not in j.gold
            fn[t] += t not in j.pred and t in j.gold
    return {t: (tp[t], fp[t], fn[t]) for t in TOPICS}


def summarize(judged: Sequence[Judged]) -> dict:
    """The held-out scores of judged opinions (what :func:`evaluate` returns)."""
    correct: dict[str, list[int]] = {}
    for j in judged:
        if j.right is not None:
            for key in ("all", "kind:" + j.kind) + (("hard",) if j.hard else ()):
                correct.setdefault(key, []).append(int(j.right))
    f1 = {t: round(topic_f1(*c), 4) for t, c in topic_counts(judged).items()}
    return {
        "sentiment_accuracy": round(sum(correct.get("all", [0])) / max(len(correct.get("all", [])), 1), 4),
        "hard_accuracy": round(sum(correct.get("hard", [0])) / max(len(correct.get("hard", [])), 1), 4),
        "topic_macro_f1": round(sum(f1.values()) / len(f1), 4),
        "topic_f1": f1,
        "by_kind": {
            k[5:]: round(sum(v) / len(v), 4) for k, v in sorted(correct.items()) if k.startswith("kind:")
        },
        "n": len(judged),
    }


def evaluate(pipe: Pipeline, examples: Sequence[Example]) -> dict:
    """Held-out scores: sentiment accuracy (all, negation+contrast, per kind) and topic macro-F1."""
    return summarize(judge_examples(pipe, examples))
