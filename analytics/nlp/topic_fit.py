"""How one topic's first-stage model is fitted (training only: what it stores is a plain
:class:`~.linear.LogReg` over the same features, so the pipeline and older models are unaffected).

Two procedure choices, switched in :mod:`.training_layers`:

- the weight of a topic's positive opinions (rare topics would otherwise be learned as "never");
- NB scaling (Wang & Manning 2012, "NBSVM"): each word, word-pair and character feature is multiplied
  by its log-count ratio between the topic's opinions and the others before the logistic regression,
  so the regression starts from naive Bayes' evidence and learns corrections to it. The scaling is
  folded back into the weights (``w * r``), so a scaled model costs nothing at run time; ``"mix"``
  averages its logit with the plain regression's (again one set of weights).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .linear import LogReg

#: Feature prefixes of the bag of words, word pairs and character bigrams (:func:`.topics.topic_features`);
#: the cue counts and the length flag are dense and few, and are left unscaled.
NB_PREFIXES = ("t:", "b:", "c:")
NB_MODES = (None, "nb", "mix")
WEIGHTINGS = ("cap3", "balanced", "none")


def positive_weight(n: int, npos: int, weighting: str = "cap3") -> float:
    """Sample weight of a topic's positive opinions among ``n`` with ``npos`` positives: ``cap3`` (v1-v7)
    half the negatives-to-positives ratio, between 1 and 3; ``balanced`` the whole ratio (positives and
    negatives weigh the same in total); ``none`` 1."""
    ratio = (n - npos) / max(npos, 1)
    if weighting == "cap3":
        return min(3.0, max(1.0, ratio / 2))
    if weighting == "balanced":
        return max(1.0, ratio)
    if weighting == "none":
        return 1.0
    raise ValueError(f"unknown topic weighting {weighting!r}")


def log_count_ratios(rows: Sequence[dict[str, float]], labels: Sequence[int],
                     alpha: float = 1.0) -> dict[str, float]:
    """Smoothed log ratio, per scaled feature, of its share among the positive rows' features to its
    share among the negative rows' (each feature counted once per row)."""
    counts: tuple[dict[str, int], dict[str, int]] = ({}, {})
    for x, y in zip(rows, labels, strict=True):
        c = counts[1 if y else 0]
        for k in x:
            if k.startswith(NB_PREFIXES):
                c[k] = c.get(k, 0) + 1
    keys = counts[0] | counts[1]
    tot1 = sum(counts[1].values()) + alpha * len(keys)
    tot0 = sum(counts[0].values()) + alpha * len(keys)
    return {k: math.log((counts[1].get(k, 0) + alpha) / tot1) - math.log((counts[0].get(k, 0) + alpha) / tot0)
            for k in keys}


def train_topic(rows: Sequence[dict[str, float]], labels: Sequence[int], params: dict,
                weighting: str = "cap3", nb: str | None = None) -> LogReg:
    """One topic's logistic regression (``params`` of :meth:`LogReg.train`) under the two choices."""
    pos_w = positive_weight(len(labels), sum(labels), weighting)
    weights = [pos_w if y else 1.0 for y in labels]
    if nb is None:
        return LogReg.train(rows, labels, weights, **params)
    if nb not in NB_MODES:
        raise ValueError(f"unknown NB scaling {nb!r}")
    r = log_count_ratios(rows, labels)
    scaled = [{k: v * r.get(k, 1.0) for k, v in x.items()} for x in rows]
    m = LogReg.train(scaled, labels, weights, **params)
    w = {k: v * r.get(k, 1.0) for k, v in m.weights.items()}
    bias = m.bias
    if nb == "mix":
        plain = LogReg.train(rows, labels, weights, **params)
        w = {k: 0.5 * (w.get(k, 0.0) + plain.weights.get(k, 0.0)) for k in w | plain.weights}
        bias = 0.5 * (bias + plain.bias)
    return LogReg({k: round(v, 4) for k, v in w.items() if v}, round(bias, 4))
