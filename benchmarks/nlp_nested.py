"""Nested scenario-grouped folds: ship the topic models retrained on all the data (current) or the
average of the fold models whose out-of-fold scores set the rule (training_layers.TOPIC_FOLD_AVERAGE).

Run through ``benchmarks/nlp_cv.py --procedure v6 --topic-fold-average`` (training data only). Outer
fold k plays the unseen data; on the other folds (outer-train) the real procedure runs with the other
K-1 folds as its inner folds: inner fold models give out-of-fold scores, the rule (thresholds, margin,
cardinality) is fitted on them, and the final models are either one model trained on all of
outer-train or the mean of the inner fold models' weights. Both are scored on fold k with that same
rule. A model is identified by the folds it is trained on, so the K models on K-1 folds (the outer-train
ones) and the K(K-1)/2 on K-2 folds (the inner ones) are trained once each and shared.
"""

from __future__ import annotations

import statistics
import time
from itertools import combinations
from multiprocessing import Pool

from analytics.nlp import training_layers as T
from analytics.nlp.calibration import expected_calibration_error, fit_platt
from analytics.nlp.lexicon import TOPICS
from analytics.nlp.linear import MultiLogReg, sigmoid
from analytics.nlp.topics import decide_topics

_STATE: dict = {}


def _train_subset(subset: frozenset) -> tuple[frozenset, object, float]:
    rows, folds, kind = _STATE["rows"], _STATE["folds"], _STATE["kind"]
    started = time.process_time()
    fit = [r for r, f in zip(rows, folds, strict=True) if f in subset]
    if kind == "topics":
        model = T._train_topics([(w, g) for w, _, g in fit])
    else:
        model = T._train_domain([x for x, _ in fit], [y for _, y in fit])
    return subset, model, time.process_time() - started


def train_subsets(rows: list, folds: list[int], kind: str, procs: int = 1) -> tuple[dict, dict]:
    """Models (``kind`` "topics": a dict of topic LogRegs; "domain": one LogReg) on every set of K-1 and
    of K-2 folds, with each one's training CPU seconds."""
    k = T.CV_FOLDS
    subsets = [frozenset(c) for size in (k - 1, k - 2) for c in combinations(range(k), size)]
    _STATE.update(rows=rows, folds=folds, kind=kind)
    if procs > 1:
        with Pool(procs) as pool:
            out = pool.map(_train_subset, subsets)
    else:
        out = [_train_subset(s) for s in subsets]
    return {s: m for s, m, _ in out}, {s: sec for s, _, sec in out}


def nested_topics(rows: list[tuple[dict, list, set[str]]], folds: list[int], procs: int = 1) -> dict:
    """Per row (index into ``rows``: topic inputs, clause inputs, gold topics), the predicted topic sets
    of fold k's current and fold-averaged final models under the rule fitted on fold k's inner scores."""
    k_all = frozenset(range(T.CV_FOLDS))
    models, seconds = train_subsets(rows, folds, "topics", procs)
    preds: dict[str, dict[int, set[str]]] = {"current": {}, "fold-average": {}}
    rules, average_seconds = [], 0.0
    for k in range(T.CV_FOLDS):
        inner = [j for j in range(T.CV_FOLDS) if j != k]
        scores, gold = [], []
        for j in inner:
            m = MultiLogReg(models[k_all - {k, j}])
            for (w, c, g), f in zip(rows, folds, strict=True):
                if f == j:
                    scores.append(T._topic_scores(m, w, c))
                    gold.append(g)
        rule = T.fit_topic_rule(scores, gold)
        rules.append((rule["secondary"], rule["cardinality"]))
        started = time.process_time()
        averaged = {t: T.average_models([models[k_all - {k, j}][t] for j in inner], T.TOPIC_PARAMS["prune"])
                    for t in TOPICS}
        average_seconds += time.process_time() - started
        for name, final in (("current", models[k_all - {k}]), ("fold-average", averaged)):
            m = MultiLogReg(final)
            preds[name].update({i: {t for t, _ in decide_topics(T._topic_scores(m, w, c), rule["thresholds"],
                                                                rule["secondary"], rule["cardinality"])}
                                for i, ((w, c, _), f) in enumerate(zip(rows, folds, strict=True)) if f == k})
    k = T.CV_FOLDS
    cost = {"inner_model_s": [sec for s, sec in seconds.items() if len(s) == k - 2],
            "outer_train_model_s": [sec for s, sec in seconds.items() if len(s) == k - 1],
            "average_s": average_seconds / k}
    return {"preds": preds, "rules": rules, "cost": cost}


def nested_sentiment(rows: list[tuple[dict, int]], folds: list[int], procs: int = 1) -> dict:
    """Per row (domain inputs, gold 0/1), the calibrated probability of fold k's current and
    fold-averaged domain layers, both Platt-scaled by the fit on fold k's inner out-of-fold decisions."""
    k_all = frozenset(range(T.CV_FOLDS))
    models, _ = train_subsets(rows, folds, "domain", procs)
    prob: dict[str, dict[int, float]] = {"current": {}, "fold-average": {}}
    for k in range(T.CV_FOLDS):
        inner = [j for j in range(T.CV_FOLDS) if j != k]
        dec, ys = [], []
        for j in inner:
            m = models[k_all - {k, j}]
            for (x, y), f in zip(rows, folds, strict=True):
                if f == j:
                    dec.append(m.decision(x))
                    ys.append(y)
        a, b = fit_platt(dec, ys)
        averaged = T.average_models([models[k_all - {k, j}] for j in inner], T.DOMAIN_PARAMS["prune"])
        for name, final in (("current", models[k_all - {k}]), ("fold-average", averaged)):
            prob[name].update({i: sigmoid(a * final.decision(x) + b)
                               for i, ((x, _), f) in enumerate(zip(rows, folds, strict=True)) if f == k})
    return prob


def ece(prob: dict[int, float], gold: dict[int, int], idx: list[int]) -> float:
    return expected_calibration_error([prob[i] for i in idx], [gold[i] for i in idx])


def _per_fold_macro(pred: dict, idx: list[int], gold: dict, folds: list[int]) -> list[float]:
    out = []
    for k in range(T.CV_FOLDS):
        sub = [i for i in idx if folds[i] == k]
        cv = T.topic_prf([pred[i] for i in sub], [gold[i] for i in sub])
        out.append(sum(v["f1"] for v in cv.values()) / len(cv))
    return out


def _share(a: dict, b: dict, gold: dict, idx: list[int], figure: str, right: bool = False) -> float:
    """Paired-bootstrap share of draws with d >= 0 (fold-average a minus current b), the gate's test."""
    from analytics.nlp.evaluation import Judged
    from analytics.nlp.gate import compare

    def judged(p: dict) -> list:
        if right:
            return [Judged((p[i] >= 0.5) == (gold[i] == 1), False, "plain", None, frozenset()) for i in idx]
        return [Judged(None, False, "plain", frozenset(gold[i]), frozenset(p[i])) for i in idx]

    return compare(judged(a), judged(b))["figures"][figure]["share_d_ge_0"]


def report(examples, parsed, folds: list[int], procs: int, sentiment: bool, started: float) -> int:
    from analytics.nlp.topics import topic_features
    with_topics = [i for i, e in enumerate(examples) if e.topics and parsed[i].clauses]
    rows = [(topic_features(parsed[i], T.TOPIC_V4, T.TOPIC_CHARS3),
             T._clause_topic_features(parsed[i], T.TOPIC_V4), set(examples[i].topics)) for i in with_topics]
    tf = [folds[i] for i in with_topics]
    res = nested_topics(rows, tf, procs)
    gold = {j: rows[j][2] for j in range(len(rows))}
    print(f"nested grouped folds ({T.CV_FOLDS} outer; inner = the other {T.CV_FOLDS - 1}): final topic "
          "models retrained on all of outer-train (current) against the mean of the inner fold models "
          f"(fold-average), same rule; {len(rows)} opinions with topics")
    for label, keep in (("opinions written from scenarios", True), ("all labelled opinions", False)):
        idx = [j for j, i in enumerate(with_topics) if examples[i].group or not keep]
        print(f"\n== {label} (n={len(idx)})")
        per = {}
        for name, pred in res["preds"].items():
            cv = T.topic_prf([pred[j] for j in idx], [gold[j] for j in idx])
            macro = sum(v["f1"] for v in cv.values()) / len(cv)
            mp = sum(v["precision"] for v in cv.values()) / len(cv)
            mr = sum(v["recall"] for v in cv.values()) / len(cv)
            n_pred = sum(len(pred[j]) for j in idx) / len(idx)
            n_gold = sum(len(gold[j]) for j in idx) / len(idx)
            print(f"  [{name}] macro-F1 {macro:.4f} (mean P {mp:.3f}, R {mr:.3f}); topics per opinion "
                  f"{n_pred:.3f} (gold {n_gold:.3f})")
            for t in TOPICS:
                v = cv[t]
                print(f"    {t:<12} P {v['precision']:.3f}  R {v['recall']:.3f}  F1 {v['f1']:.3f}")
            per[name] = _per_fold_macro(pred, idx, gold, tf)
            print("    macro-F1 per outer fold " + " ".join(f"{x:.4f}" for x in per[name]))
        diff = [a - b for a, b in zip(per["fold-average"], per["current"], strict=True)]
        share = _share(res["preds"]["fold-average"], res["preds"]["current"], gold, idx, "topic_macro_f1")
        print("  fold-average - current per outer fold: " + " ".join(f"{d:+.4f}" for d in diff)
              + f"; mean {statistics.mean(diff):+.4f}, sd {statistics.stdev(diff):.4f}; "
              f"paired bootstrap d >= 0 in {share:.1%} of 2000 draws")
    c = res["cost"]
    print(f"\nrules per outer fold (margin, cardinality): {res['rules']}")
    print("training CPU s: inner fold model (3/5 of the data) mean "
          f"{statistics.mean(c['inner_model_s']):.0f}, outer-train model (4/5) mean "
          f"{statistics.mean(c['outer_train_model_s']):.0f}; "
          f"averaging {c['average_s']:.1f} s")
    if sentiment:
        _report_sentiment(examples, parsed, folds, procs)
    print(f"{time.time() - started:.0f} s")
    return 0


def _report_sentiment(examples, parsed, folds, procs) -> None:
    from analytics.nlp import get_pipeline
    pipe = get_pipeline()
    sent = [(i, pipe.sentiment_inputs(p)) for i, (e, p) in enumerate(zip(examples, parsed, strict=True))
            if e.sentiment is not None and p.clauses]
    sent = [(i, x) for i, x in sent if x is not None]
    rows = [(x, int(examples[i].sentiment)) for i, x in sent]
    sf = [folds[i] for i, _ in sent]
    prob = nested_sentiment(rows, sf, procs)
    gold = {j: y for j, (_, y) in enumerate(rows)}
    print("\nsentiment: final domain layer retrained on all of outer-train (current) against the mean of the "
          "inner fold layers, both Platt-scaled on the inner out-of-fold decisions")
    for label, keep in (("opinions written from scenarios", True), ("all labelled opinions", False)):
        idx = [j for j, (i, _) in enumerate(sent) if examples[i].group or not keep]
        per = {}
        for name, p in prob.items():
            acc = sum((p[j] >= 0.5) == (gold[j] == 1) for j in idx) / len(idx)
            per[name] = [statistics.mean((p[j] >= 0.5) == (gold[j] == 1) for j in idx if sf[j] == k)
                         for k in range(T.CV_FOLDS)]
            print(f"  {label} (n={len(idx)}) [{name}] accuracy {acc:.4f}  ECE {ece(p, gold, idx):.4f}")
        diff = [a - b for a, b in zip(per["fold-average"], per["current"], strict=True)]
        share = _share(prob["fold-average"], prob["current"], gold, idx, "sentiment_accuracy", right=True)
        print("    accuracy fold-average - current per outer fold: " + " ".join(f"{d:+.4f}" for d in diff)
              + f"; mean {statistics.mean(diff):+.4f}, sd {statistics.stdev(diff):.4f}; "
              f"d >= 0 in {share:.1%}")
