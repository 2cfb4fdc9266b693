"""v7 on: a second stage over the topic layer. Each topic's final probability is a logistic regression
over the first stage's logits of all the topics, so one topic's evidence can raise or lower another's
(procedure against convenience and efficiency, ``other`` against everything): the co-occurrence and
competition of topics learned from the labelled opinions instead of set by hand.

It is trained on the first stage's scenario-grouped out-of-fold scores (the scores of text the first
stage never saw, as at run time), and cross-fitted the same way to give out-of-fold second-stage scores
for the thresholds and the decision rule (:func:`cross_fit`)."""

from __future__ import annotations

from collections.abc import Sequence

from .lexicon import TOPICS
from .linear import LogReg, logit

#: Dense inputs, few weights: plain L2, weights averaged over the steps.
STACK_PARAMS = {"epochs": 20, "lr": 0.1, "l2": 1e-3, "prune": 0.0, "average": True}
_SCALE = 4.0  # logits of -12..12 to inputs of about -3..3


def stack_inputs(scores: dict[str, float]) -> dict[str, float]:
    """The second stage's inputs: every first-stage topic logit, scaled."""
    return {"z:" + t: logit(p) / _SCALE for t, p in scores.items()}


def train_stack(scores: Sequence[dict[str, float]], gold: Sequence[set[str]]) -> dict[str, LogReg]:
    """One logistic regression per topic over :func:`stack_inputs` of out-of-fold ``scores``."""
    xs = [stack_inputs(s) for s in scores]
    return {t: LogReg.train(xs, [int(t in g) for g in gold], **STACK_PARAMS) for t in TOPICS}


def cross_fit(scores: Sequence[dict[str, float]], gold: Sequence[set[str]],
              folds: Sequence[int]) -> list[dict[str, float]]:
    """Second-stage scores of each row from a second stage trained on the other folds' rows."""
    out: list[dict[str, float]] = [{} for _ in scores]
    for k in sorted(set(folds)):
        fit = [i for i, f in enumerate(folds) if f != k]
        if not fit:
            return [dict(s) for s in scores]
        models = train_stack([scores[i] for i in fit], [gold[i] for i in fit])
        for i, f in enumerate(folds):
            if f == k:
                x = stack_inputs(scores[i])
                out[i] = {t: m.prob(x) for t, m in models.items()}
    return out
