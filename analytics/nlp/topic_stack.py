"""v7 on: a second stage over the topic layer. Each topic's final probability is a logistic regression
over the first stage's logits of all the topics, so one topic's evidence can raise or lower another's
(procedure against convenience and efficiency, ``other`` against everything): the co-occurrence and
competition of topics learned from the labelled opinions instead of set by hand.

It is trained on the first stage's scenario-grouped out-of-fold scores (the scores of text the first
stage never saw, as at run time), and cross-fitted the same way to give out-of-fold second-stage scores
for the thresholds and the decision rule (:func:`cross_fit`).

Models trained with ``topic_stack_clauses`` also give it, per topic, the highest first-stage logit over
the opinion's clauses (:func:`clause_max`): an aspect stated briefly in one clause is diluted in the
whole text's bag, and stands out in its clause. Models trained with ``topic_stack_joint`` (wave 15) also
give it, per topic, one input reading that clause together with the whole text (:func:`joint_inputs`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .features import Parsed
from .lexicon import TOPICS
from .linear import LogReg, logit

#: Dense inputs, few weights: plain L2, weights averaged over the steps.
STACK_PARAMS = {"epochs": 20, "lr": 0.1, "l2": 1e-3, "prune": 0.0, "average": True}
_SCALE = 4.0  # logits of -12..12 to inputs of about -3..3
MAX_CLAUSES = 60  # as the clause scores of v2-v4
#: Wave 15's candidates (model key ``topic_stack_joint``): "gate" = the clause logit times the whole
#: text's probability; "excess" = how far the clause logit stands above the whole text's (hinge).
JOINT_INPUTS = ("gate", "excess")


def joint_inputs(scores: dict[str, float], clauses: dict[str, float], joint: str) -> dict[str, float]:
    """Per topic, the best clause's evidence read together with the whole text's (``joint``)."""
    if joint == "gate":
        return {"zg:" + t: logit(p) / _SCALE * scores[t] for t, p in clauses.items()}
    if joint == "excess":
        return {"ze:" + t: max(0.0, logit(p) - logit(scores[t])) / _SCALE for t, p in clauses.items()}
    raise ValueError(f"unknown joint stack input {joint!r} (one of {JOINT_INPUTS})")


def stack_inputs(scores: dict[str, float], clauses: dict[str, float] | None = None,
                 joint: str | None = None) -> dict[str, float]:
    """The second stage's inputs: every first-stage topic logit, scaled; with ``clauses``
    (:func:`clause_max`) also every topic's best clause logit, and with ``joint`` its joint input."""
    x = {"z:" + t: logit(p) / _SCALE for t, p in scores.items()}
    if clauses is not None:
        x.update({"zc:" + t: logit(p) / _SCALE for t, p in clauses.items()})
        if joint:
            x.update(joint_inputs(scores, clauses, joint))
    return x


def clause_parses(parsed: Parsed) -> list[Parsed]:
    """The opinion's clauses as texts of their own (none when it has one clause: the text is it)."""
    if len(parsed.clauses) <= 1:
        return []
    return [Parsed("".join(toks), [toks]) for toks in parsed.clauses[:MAX_CLAUSES]]


def clause_max(probs: Callable[[dict], dict[str, float]], clauses: Sequence[dict],
               whole: dict[str, float]) -> dict[str, float]:
    """Per topic, the highest first-stage probability ``probs`` gives any of the ``clauses``' inputs;
    ``whole`` (the text's own scores) when there are no clauses."""
    if not clauses:
        return dict(whole)
    best: dict[str, float] = {}
    for x in clauses:
        for t, p in probs(x).items():
            if p > best.get(t, -1.0):
                best[t] = p
    return best


def train_stack(scores: Sequence[dict[str, float]], gold: Sequence[set[str]],
                clauses: Sequence[dict[str, float]] | None = None,
                joint: str | None = None) -> dict[str, LogReg]:
    """One logistic regression per topic over :func:`stack_inputs` of out-of-fold ``scores``
    (and their ``clauses``' best scores when given, with the ``joint`` inputs)."""
    xs = [stack_inputs(s, clauses[i] if clauses is not None else None, joint) for i, s in enumerate(scores)]
    return {t: LogReg.train(xs, [int(t in g) for g in gold], **STACK_PARAMS) for t in TOPICS}


def cross_fit(scores: Sequence[dict[str, float]], gold: Sequence[set[str]], folds: Sequence[int],
              clauses: Sequence[dict[str, float]] | None = None,
              joint: str | None = None) -> list[dict[str, float]]:
    """Second-stage scores of each row from a second stage trained on the other folds' rows."""
    out: list[dict[str, float]] = [{} for _ in scores]
    for k in sorted(set(folds)):
        fit = [i for i, f in enumerate(folds) if f != k]
        if not fit:
            return [dict(s) for s in scores]
        models = train_stack([scores[i] for i in fit], [gold[i] for i in fit],
                             [clauses[i] for i in fit] if clauses is not None else None, joint)
        for i, f in enumerate(folds):
            if f == k:
                x = stack_inputs(scores[i], clauses[i] if clauses is not None else None, joint)
                out[i] = {t: m.prob(x) for t, m in models.items()}
    return out


def fit_stack(scores: Sequence[dict[str, float]], gold: Sequence[set[str]], folds: Sequence[int],
              clauses: Sequence[dict[str, float]] | None = None,
              joint: str | None = None) -> tuple[dict, list[dict[str, float]]]:
    """The model's second-stage keys (``topic_stack``; with ``clauses`` also ``topic_stack_clauses`` and,
    given, ``topic_stack_joint``) and the cross-fitted scores of ``scores`` (:func:`cross_fit`)."""
    joint = joint if clauses is not None else None
    keys: dict = {"topic_stack_clauses": True} if clauses is not None else {}
    keys.update({"topic_stack_joint": joint} if joint else {})
    keys["topic_stack"] = {t: m.to_dict() for t, m in train_stack(scores, gold, clauses, joint).items()}
    return keys, cross_fit(scores, gold, folds, clauses, joint)
