"""Scenario-grouped cross-validation of the domain sentiment layer and the topic classifier.

Reads only the labelled training opinions (tests/data/opinions.jsonl via the shipped copy), never a
blind set. Every opinion is scored by models trained on the folds that do not hold its scenario
(opinions without a scenario are their own group), the way the blind sets' unseen situations are.
Topic thresholds, the second-topic margin and the sentiment's Platt scaling are cross-fitted: the
ones applied to a fold are chosen on the out-of-fold scores of the other folds. Figures are
reported for the opinions written from scenarios (the closest to unseen text) and for all.

    python benchmarks/nlp_cv.py                  # the current training procedure (v5)
    python benchmarks/nlp_cv.py --procedure v4   # v4's: best-clause topic scores, no second-topic margin
"""

from __future__ import annotations

import argparse
import sys
import time
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.nlp import get_pipeline  # noqa: E402
from analytics.nlp import training_layers as T  # noqa: E402
from analytics.nlp.calibration import expected_calibration_error, fit_platt  # noqa: E402
from analytics.nlp.lexicon import TOPICS  # noqa: E402
from analytics.nlp.linear import MultiLogReg, sigmoid  # noqa: E402
from analytics.nlp.topics import decide_topics, topic_features  # noqa: E402
from analytics.nlp.training import load_labelled  # noqa: E402

HARD = ("negation", "contrast", "sarcasm")
_STATE: dict = {}


def _set_procedure(name: str) -> None:
    if name == "v4":
        T.TOPIC_TEXT_SCOPE = False
        T.SECONDARY_GRID = (0.0,)


def _topic_fold(k: int) -> dict[int, dict[str, float]]:
    rows, folds = _STATE["topic_rows"], _STATE["folds"]
    fit = [(w, g) for (w, _, g), f in zip(rows, folds, strict=True) if f != k]
    models = MultiLogReg(T._train_topics(fit))
    return {i: T._topic_scores(models, w, c) for i, ((w, c, _), f) in enumerate(zip(rows, folds, strict=True))
            if f == k}


def _prf_line(name: str, v: dict) -> str:
    return f"  {name:<12} P {v['precision']:.3f}  R {v['recall']:.3f}  F1 {v['f1']:.3f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--procedure", choices=("v4", "v5"), default="v5")
    ap.add_argument("--procs", type=int, default=1, help="processes for the topic folds")
    ns = ap.parse_args(argv)
    _set_procedure(ns.procedure)
    started = time.time()
    pipe = get_pipeline()
    examples = load_labelled()
    parsed = [pipe.prepare(e.text)[2] for e in examples]
    folds = [T.cv_fold(e.text, group=e.group) for e in examples]
    scen = [bool(e.group) for e in examples]
    print(f"procedure {ns.procedure}; {len(examples)} labelled opinions ({sum(scen)} from "
          f"{len({e.group for e in examples if e.group})} scenarios), {T.CV_FOLDS} scenario-grouped folds")

    # Sentiment: domain layer out of fold, then Platt scaling cross-fitted.
    sent = [(i, pipe.sentiment_inputs(p), int(e.sentiment)) for i, (e, p) in enumerate(zip(examples, parsed,
            strict=True)) if e.sentiment is not None]
    dec: dict[int, float] = {}
    for k in range(T.CV_FOLDS):
        fit = [(x, y) for i, x, y in sent if folds[i] != k and x is not None]
        m = T._train_domain([x for x, _ in fit], [y for _, y in fit])
        dec.update({i: m.decision(x) for i, x, _ in sent if folds[i] == k and x is not None})
    prob: dict[int, float] = {}
    for k in range(T.CV_FOLDS):
        fit = [i for i, x, _ in sent if folds[i] != k and x is not None]
        a, b = fit_platt([dec[i] for i in fit], [examples[i].sentiment for i in fit])
        prob.update({i: sigmoid(a * dec[i] + b) if i in dec else 0.5 for i, _, _ in sent if folds[i] == k})

    # Topics: one-vs-rest models out of fold; thresholds and the second-topic margin cross-fitted.
    with_topics = [i for i, e in enumerate(examples) if e.topics and parsed[i].clauses]
    _STATE["topic_rows"] = [(topic_features(parsed[i], T.TOPIC_V4),
                             T._clause_topic_features(parsed[i], T.TOPIC_V4), set(examples[i].topics))
                            for i in with_topics]
    _STATE["folds"] = [folds[i] for i in with_topics]
    if ns.procs > 1:
        with Pool(ns.procs) as pool:
            parts = pool.map(_topic_fold, range(T.CV_FOLDS))
    else:
        parts = [_topic_fold(k) for k in range(T.CV_FOLDS)]
    scores = {with_topics[j]: s for part in parts for j, s in part.items()}
    preds: dict[int, set[str]] = {}
    margins = []
    for k in range(T.CV_FOLDS):
        fit = [i for i in with_topics if folds[i] != k]
        gold = [set(examples[i].topics) for i in fit]
        thr = {t: T._best_threshold([scores[i][t] for i in fit], [t in g for g in gold]) for t in TOPICS}
        m = T._best_secondary([scores[i] for i in fit], gold, thr)
        margins.append(m)
        preds.update({i: {t for t, _ in decide_topics(scores[i], thr, m)}
                      for i in with_topics if folds[i] == k})

    for label, keep in (("opinions written from scenarios", True), ("all labelled opinions", False)):
        s_idx = [i for i, _, _ in sent if scen[i] or not keep]
        ys = [examples[i].sentiment for i in s_idx]
        ps = [prob[i] for i in s_idx]
        acc = sum((p >= 0.5) == (y == 1) for p, y in zip(ps, ys, strict=True)) / len(ys)
        hard = [i for i in s_idx if examples[i].kind in HARD]
        hacc = sum((prob[i] >= 0.5) == (examples[i].sentiment == 1) for i in hard) / max(len(hard), 1)
        t_idx = [i for i in with_topics if scen[i] or not keep]
        cv = T.topic_prf([preds[i] for i in t_idx], [set(examples[i].topics) for i in t_idx])
        macro = sum(v["f1"] for v in cv.values()) / len(cv)
        print(f"\n== {label}")
        print(f"  sentiment accuracy (n={len(ys)})            {acc:.3f}")
        print(f"  negation/contrast/sarcasm (n={len(hard)})      {hacc:.3f}")
        print(f"  sentiment ECE (10 bins, Platt cross-fitted)  {expected_calibration_error(ps, ys):.3f}")
        print(f"  topics macro-F1 (n={len(t_idx)})               {macro:.3f}  "
              f"(lowest {min(v['f1'] for v in cv.values()):.3f})")
        for t in TOPICS:
            print(_prf_line(t, cv[t]))
    print(f"\nsecond-topic margins chosen per fold: {margins}; {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
