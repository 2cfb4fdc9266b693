"""Calibration of probabilities: Platt scaling, expected calibration error and reliability bins."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .linear import logit, sigmoid


def reliability(probs: Sequence[float], labels: Sequence[int], bins: int = 10) -> list[dict]:
    """Equal-width bins of the confidence in the predicted class (``max(p, 1 - p)``): per bin the
    number of opinions, the mean confidence and the accuracy (what a reliability diagram plots)."""
    rows = [{"lo": 0.5 + 0.5 * i / bins, "hi": 0.5 + 0.5 * (i + 1) / bins, "n": 0, "conf": 0.0, "acc": 0.0}
            for i in range(bins)]
    for p, y in zip(probs, labels, strict=True):
        conf = max(p, 1.0 - p)
        i = min(int((conf - 0.5) / 0.5 * bins), bins - 1)
        rows[i]["n"] += 1
        rows[i]["conf"] += conf
        rows[i]["acc"] += float((p >= 0.5) == (y == 1))
    for r in rows:
        if r["n"]:
            r["conf"] /= r["n"]
            r["acc"] /= r["n"]
    return rows


def expected_calibration_error(probs: Sequence[float], labels: Sequence[int], bins: int = 10) -> float:
    """ECE: the opinion-weighted mean gap between confidence and accuracy over :func:`reliability` bins."""
    n = len(probs)
    if not n:
        return 0.0
    return sum(r["n"] / n * abs(r["acc"] - r["conf"]) for r in reliability(probs, labels, bins))


def _platt_loss(scores: Sequence[float], targets: Sequence[float], a: float, b: float) -> float:
    loss = 0.0
    for s, t in zip(scores, targets, strict=True):
        z = a * s + b
        # log(1 + e^z) - t * z, computed without overflow
        loss += (z if z > 0 else 0.0) + math.log1p(math.exp(-abs(z))) - t * z
    return loss


def fit_platt(scores: Sequence[float], labels: Sequence[int], iterations: int = 100) -> tuple[float, float]:
    """``(a, b)`` with ``P(y=1) = sigmoid(a * score + b)``: Newton's method with backtracking on the
    log-loss (Platt 1999; Lin, Lin & Weng 2007), with Platt's smoothed targets so that a separable
    validation set does not send ``a`` to infinity."""
    n1 = sum(1 for y in labels if y == 1)
    n0 = len(labels) - n1
    hi, lo = (n1 + 1.0) / (n1 + 2.0), 1.0 / (n0 + 2.0)
    ts = [hi if y == 1 else lo for y in labels]
    a, b = 1.0, 0.0
    loss = _platt_loss(scores, ts, a, b)
    for _ in range(iterations):
        g_a = g_b = h_aa = h_ab = h_bb = 0.0
        for s, t in zip(scores, ts, strict=True):
            p = sigmoid(a * s + b)
            d = p - t
            w = max(p * (1.0 - p), 1e-12)
            g_a += d * s
            g_b += d
            h_aa += w * s * s
            h_ab += w * s
            h_bb += w
        h_aa += 1e-9
        h_bb += 1e-9
        det = h_aa * h_bb - h_ab * h_ab
        if det <= 0:
            break
        da = (h_bb * g_a - h_ab * g_b) / det
        db = (h_aa * g_b - h_ab * g_a) / det
        step = 1.0
        while step > 1e-8:
            new_loss = _platt_loss(scores, ts, a - step * da, b - step * db)
            if new_loss < loss + 1e-4 * step * (g_a * -da + g_b * -db):
                break
            step /= 2
        if step <= 1e-8:
            break
        a, b, loss = a - step * da, b - step * db, new_loss
        if abs(step * da) < 1e-7 and abs(step * db) < 1e-7:
            break
    return a, b


def apply_platt(p: float, ab: Sequence[float] | None) -> float:
    """Calibrated probability of a raw probability ``p`` (identity without parameters)."""
    if not ab:
        return p
    return sigmoid(ab[0] * logit(p) + ab[1])


def uncertainty(p: float) -> float:
    """Binary entropy of ``p`` in bits: 1 when the model cannot tell, 0 when it is sure."""
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -(p * math.log2(p) + (1.0 - p) * math.log2(1.0 - p))
