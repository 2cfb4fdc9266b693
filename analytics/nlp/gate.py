"""The promotion gate: is a candidate model worse than the incumbent beyond noise?

The rule (written before any wave-10 model, docs in benchmarks/README.md, "The promotion gate"):
both models are judged on the same opinions (:func:`.evaluation.judge`); for each of sentiment
accuracy, hard-case accuracy and topics macro-F1, d = candidate - incumbent, and a paired bootstrap
over the opinions (``RESAMPLES`` draws with replacement, fixed ``SEED``; each draw recomputes both
models' figures on the same opinions, macro-F1 from the drawn opinions' per-topic TP/FP/FN) gives
the share of draws with d >= 0. The candidate is refused if, for any figure,
(a) fewer than 5 % of the draws have d >= 0 (worse beyond noise, one-sided 5 %), or
(b) d < -0.01 (a point drop of more than one point, whatever the test's power).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .evaluation import Judged, judge_examples, summarize, topic_counts, topic_f1
from .lexicon import TOPICS

if TYPE_CHECKING:
    from .pipeline import Pipeline
    from .training import Example

RESAMPLES = 2000
#: Fixed before any wave-10 figure was seen; a fixed seed makes the decision repeatable.
SEED = 17
MIN_SHARE = 0.05
MAX_DROP = 0.01
FIGURES = ("sentiment_accuracy", "hard_accuracy", "topic_macro_f1")
# Two macro-F1s that are equal as numbers may differ in the last bit when summed in another order.
_EPS = 1e-12

_T = len(TOPICS)
# Layout of one opinion's counts: sentiment labelled, right (candidate, incumbent), hard labelled,
# right (candidate, incumbent), then TP/FP/FN per topic for the candidate and for the incumbent.
_TOPIC0 = 6


def _counts(cand: Judged, inc: Judged) -> tuple[int, ...]:
    """One opinion's contribution to every sum the figures are made of."""
    row = [0] * (_TOPIC0 + 6 * _T)
    if cand.right is not None:
        row[0:3] = 1, int(cand.right), int(inc.right)
        if cand.hard:
            row[3:6] = 1, int(cand.right), int(inc.right)
    for m, j in enumerate((cand, inc)):
        for t, (tp, fp, fn) in enumerate(topic_counts([j]).values()):
            base = _TOPIC0 + 3 * (m * _T + t)
            row[base:base + 3] = tp, fp, fn
    return tuple(row)


def _figures(tot: Sequence[int]) -> dict[str, tuple[float, float, bool, bool]]:
    """Per figure from summed counts: (candidate, incumbent, d >= 0, d < -MAX_DROP)."""
    out = {}
    for name, k in (("sentiment_accuracy", 0), ("hard_accuracy", 3)):
        n, c, i = tot[k:k + 3]
        # Accuracies share a denominator: compare the counts, exactly (no float round-off at the bounds).
        out[name] = (c / n if n else 0.0, i / n if n else 0.0, c >= i, n > 0 and (c - i) * 100 < -n)
    macro = []
    for m in range(2):
        f1s = (topic_f1(*tot[_TOPIC0 + 3 * (m * _T + t):_TOPIC0 + 3 * (m * _T + t) + 3]) for t in range(_T))
        macro.append(sum(f1s) / _T)
    d = macro[0] - macro[1]
    out["topic_macro_f1"] = (macro[0], macro[1], d >= -_EPS, d < -MAX_DROP - _EPS)
    return out


def _total(rows: Iterable[tuple[Sequence[tuple[int, int]], int]]) -> list[int]:
    """Sum of (non-zero counts of a row, its multiplicity) pairs."""
    tot = [0] * (_TOPIC0 + 6 * _T)
    for nonzero, m in rows:
        for k, v in nonzero:
            tot[k] += v * m
    return tot


def _nonzero(row: tuple[int, ...]) -> list[tuple[int, int]]:
    return [(k, v) for k, v in enumerate(row) if v]


def compare(candidate: Sequence[Judged], incumbent: Sequence[Judged], *, resamples: int = RESAMPLES,
            seed: int = SEED) -> dict:
    """The gate's figures and decision for two models judged on the same opinions, in the same order."""
    if len(candidate) != len(incumbent):
        raise ValueError("both models must be judged on the same opinions")
    for c, i in zip(candidate, incumbent, strict=True):
        if (c.right is None) != (i.right is None) or c.hard != i.hard or c.gold != i.gold:
            raise ValueError("both models must be judged on the same opinions")
    rows = [_counts(c, i) for c, i in zip(candidate, incumbent, strict=True)]
    # Opinions with the same counts are interchangeable: a draw is tallied by its distinct rows.
    ids = {row: k for k, row in enumerate(dict.fromkeys(rows))}
    distinct = [_nonzero(row) for row in ids]
    opinion_ids = [ids[row] for row in rows]
    point = _figures(_total((distinct[k], m) for k, m in Counter(opinion_ids).items()))
    rng = random.Random(seed)
    not_lower = dict.fromkeys(FIGURES, 0)
    for _ in range(resamples if rows else 0):
        draw = Counter(rng.choices(opinion_ids, k=len(rows)))
        for name, (_, _, ok, _) in _figures(_total((distinct[k], m) for k, m in draw.items())).items():
            not_lower[name] += ok
    figures = {}
    for name, (c, i, _, big_drop) in point.items():
        share = not_lower[name] / resamples if rows else 1.0
        reasons = []
        if share < MIN_SHARE:
            reasons.append(f"worse beyond noise: d >= 0 in {share:.1%} of resamples (< {MIN_SHARE:.0%})")
        if big_drop:
            reasons.append(f"drop of {-(c - i) * 100:.2f} points (> {MAX_DROP * 100:.0f})")
        figures[name] = {"candidate": round(c, 6), "incumbent": round(i, 6), "d": round(c - i, 6),
                         "share_d_ge_0": round(share, 4), "refused": bool(reasons),
                         "reason": "; ".join(reasons) or "within the rule"}
    refused = [name for name in FIGURES if figures[name]["refused"]]
    return {
        "rule": f"refused if, for any figure, fewer than {MIN_SHARE:.0%} of paired-bootstrap resamples have "
                f"d >= 0 or d < -{MAX_DROP}",
        "n": len(rows), "resamples": resamples, "seed": seed,
        "figures": figures,
        "passed": not refused,
        "decision": "refuse" if refused else "promote",
        "refused_on": refused,
    }


def gate_models(candidate: Pipeline, incumbent: Pipeline,
                examples: Sequence[Example]) -> tuple[dict, dict, dict]:
    """Judge both models on the same labelled examples: their scores (as :func:`.evaluation.evaluate`
    gives them) and the gate, which names both versions."""
    cand, inc = judge_examples(candidate, examples), judge_examples(incumbent, examples)
    gate = {"candidate": candidate.version, "incumbent": incumbent.version, **compare(cand, inc)}
    return summarize(cand), summarize(inc), gate


def format_gate(gate: dict, title: str = "") -> str:
    """The gate as a readable block (printed by the command lines)."""
    head = f"Promotion gate{' - ' + title if title else ''}: {gate.get('candidate', 'candidate')} against " \
           f"{gate.get('incumbent', 'incumbent')} on {gate['n']} opinions, {gate['resamples']} paired " \
           f"resamples (seed {gate['seed']})"
    lines = [head, f"  {'figure':<20}{'candidate':>10}{'incumbent':>10}{'d':>9}{'d>=0':>8}  verdict"]
    for name, f in gate["figures"].items():
        lines.append(f"  {name:<20}{f['candidate']:>10.4f}{f['incumbent']:>10.4f}{f['d']:>+9.4f}"
                     f"{f['share_d_ge_0']:>8.1%}  {'REFUSED: ' if f['refused'] else ''}{f['reason']}")
    on = f" on {', '.join(gate['refused_on'])}" if gate["refused_on"] else ""
    lines.append(f"  decision: {gate['decision'].upper()}{on} ({gate['rule']})")
    return "\n".join(lines)
