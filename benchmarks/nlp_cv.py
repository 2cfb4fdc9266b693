"""Scenario-grouped cross-validation of the domain sentiment layer and the topic classifier.

Reads only the labelled training opinions (tests/data/opinions.jsonl via the shipped copy), never a
blind set. Every opinion is scored by models trained on the folds that do not hold its scenario
(opinions without a scenario are their own group), the way the blind sets' unseen situations are.
Topic thresholds, the second-topic margin and the sentiment's Platt scaling are cross-fitted: the
ones applied to a fold are chosen on the out-of-fold scores of the other folds. Figures are
reported for the opinions written from scenarios (the closest to unseen text) and for all.

    python benchmarks/nlp_cv.py                  # the current training procedure (v7)
    python benchmarks/nlp_cv.py --procedure v6   # v6's: no second stage over the topics' logits
    python benchmarks/nlp_cv.py --procedure v5   # v5's: whole-text scores, per-topic thresholds, margin
    python benchmarks/nlp_cv.py --procedure v4   # v4's: best-clause topic scores, no second-topic margin
    python benchmarks/nlp_cv.py --procedure v6 --nb mix   # a candidate first stage against v6's, same run
    python benchmarks/nlp_cv.py --procedure v6 --vectors FILE   # v6 + word-vector topic inputs, against v6
    python benchmarks/nlp_cv.py --without-last 719   # sentiment only: what the newest 719 opinions change
                                                     # on the older ones (trained with/without, same folds)
    python benchmarks/nlp_cv.py --domain-average     # sentiment only: averaged domain-layer weights
                                                     # against the last step's (DOMAIN_AVERAGE), same folds
    python benchmarks/nlp_cv.py --procedure v6 --topic-fold-average [--sentiment]   # nested grouped folds:
        # final topic models retrained on all the data against the mean of the fold models
        # (TOPIC_FOLD_AVERAGE; benchmarks/nlp_nested.py); --sentiment: the same for the domain layer
    python benchmarks/nlp_cv.py --procedure v6 --train-split --clause-stack [--binary-bag] --scores F
        # wave 12: C1 = v7's second stage over each topic's whole-text AND best-clause logit (the v6 fold
        # models score the clauses), C2 = the topics' bag as plain 1.0 (a second first stage), both under
        # v6's rule against v6 on the same folds; v7 (whole text only) printed for reference
    python benchmarks/nlp_cv.py --procedure v6 --train-split --clause-stack --weighting none --scores F
        # wave 13: v12's procedure (C1) against the same with a candidate first stage (here P1, the
        # positives at weight 1), same folds; F caches v12's first stage, F.<switch>.json the candidate's
    python benchmarks/nlp_cv.py --procedure v6 --train-split --clause-stack --clause-second --scores F
        # wave 14: C1 against C1 whose rule adds the runner-up topic from its best clause (P2), same scores;
        # --keep-whole: C2 = P2 and a chosen topic dropped when the whole text does not say it
    python benchmarks/nlp_cv.py --procedure v6 --train-split --clause-stack --stack-joint gate excess
        # (and --scores F) wave 15: C1 against C1 whose second stage also reads each topic's best clause
        # with the whole text (topic_stack.JOINT_INPUTS), each its own cross-fitted stack and rule, same folds

v5, v6 and v7 train the same first-stage models on the same inputs; v6 differs from v5 in the topic
decision rule, v7 from v6 in a second stage over all the topics' out-of-fold logits (cross-fitted), so
a v6 run also prints v5's rule and a v7 run v6's procedure on the same out-of-fold scores (the comparison
on the same data), with macro-F1 per fold and the fold-by-fold difference. A candidate first stage
(``--weighting``, ``--nb``, ``--chars3``: the switches of training_layers) is trained on the same folds
as v6's first stage, both under v6's rule, and printed the same way.
"""

from __future__ import annotations

import argparse
import json
import statistics
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
from analytics.nlp.topic_clause import clause_margins, fit_clause_second, fit_keep_whole  # noqa: E402
from analytics.nlp.topic_stack import JOINT_INPUTS, clause_max, clause_parses, cross_fit, train_stack  # noqa: E402
from analytics.nlp.topics import decide_topics, topic_features  # noqa: E402
from analytics.nlp.training import load_labelled  # noqa: E402
from analytics.nlp.vectors import TopicVectors, read_vectors  # noqa: E402
from benchmarks import nlp_nested  # noqa: E402

HARD = ("negation", "contrast", "sarcasm")
_STATE: dict = {}


def _set_procedure(name: str) -> None:
    T.TOPIC_RULE_V6 = name in ("v6", "v7")
    T.TOPIC_STACK = name == "v7"
    if name == "v4":
        T.TOPIC_TEXT_SCOPE = False
        T.SECONDARY_GRID = (0.0,)


def fold_rules(scores: dict, with_topics: list[int], folds: list[int], examples) -> dict[int, dict]:
    """The rule (``fit_topic_rule``) applied to each fold, fitted on the other folds' scores."""
    return {k: T.fit_topic_rule([scores[i] for i in with_topics if folds[i] != k],
                                [set(examples[i].topics) for i in with_topics if folds[i] != k])
            for k in range(T.CV_FOLDS)}


def _rule_preds(scores: dict, with_topics: list[int], folds: list[int], examples,
                clause: dict | None = None, fitted: dict[int, dict] | None = None,
                keep: dict | None = None) -> tuple[dict, list]:
    """Cross-fitted decisions: the rule applied to a fold is fitted on the other folds' scores (or given:
    ``fitted``, :func:`fold_rules`). With ``clause`` (row -> best-clause first-stage scores, None for
    one clause: wave 14's P2) the rule's clause thresholds too (``fit_clause_second``, other folds); with
    ``keep`` (row -> whole-text first-stage scores: wave 14's C2) its keep thresholds."""
    preds: dict[int, set[str]] = {}
    rules = []
    for k in range(T.CV_FOLDS):
        fit = [i for i in with_topics if folds[i] != k]
        gold = [set(examples[i].topics) for i in fit]
        rule = fitted[k] if fitted is not None else T.fit_topic_rule([scores[i] for i in fit], gold)
        cuts = (fit_clause_second([scores[i] for i in fit], [clause[i] for i in fit], gold, rule)
                if clause is not None else None)
        kept = (fit_keep_whole([scores[i] for i in fit], [keep[i] for i in fit], gold, rule)
                if keep is not None else None)
        cuts_kept = tuple(c for c in (cuts, kept) if c is not None)
        rules.append((rule["secondary"], rule["cardinality"]) + cuts_kept)
        preds.update({i: {t for t, _ in decide_topics(
            scores[i], rule["thresholds"], rule["secondary"], rule["cardinality"],
            clause=clause_margins(clause[i] if clause else None, cuts),
            keep=clause_margins(keep[i] if keep else None, kept))} for i in with_topics if folds[i] == k})
    return preds, rules


def _topic_fold(k: int) -> dict[int, dict[str, float]]:
    """Out-of-fold scores of fold ``k``; with clause rows (``_first_stage(clauses=True)``) each row's
    (whole-text scores, best clause scores) from the same fold models."""
    rows, folds, crows = _STATE["topic_rows"], _STATE["folds"], _STATE.get("clause_rows")
    fit = [(w, g) for (w, _, g), f in zip(rows, folds, strict=True) if f != k]
    models = MultiLogReg(T._train_topics(fit))
    out = {}
    for i, ((w, c, _), f) in enumerate(zip(rows, folds, strict=True)):
        if f == k:
            s = T._topic_scores(models, w, c)
            out[i] = (s, clause_max(models.probs, crows[i], s)) if crows is not None else s
    return out


def _first_stage_switches() -> dict:
    return {"weighting": T.TOPIC_WEIGHTING, "nb": T.TOPIC_NB, "chars3": T.TOPIC_CHARS3,
            "epochs": T.TOPIC_PARAMS["epochs"], **({"binary": True} if T.TOPIC_BINARY else {})}


def _topic_inputs(p):
    return topic_features(p, T.TOPIC_V4, T.TOPIC_CHARS3, T.TOPIC_BINARY)


def _first_stage(parsed, with_topics: list[int], examples, folds: list[int], procs: int,
                 clauses: bool = False) -> dict:
    """Out-of-fold first-stage topic scores under the current switches (with ``clauses``, each a pair:
    the whole text's scores and the best clause's per topic)."""
    _STATE["topic_rows"] = [(_topic_inputs(parsed[i]), T._clause_topic_features(parsed[i], T.TOPIC_V4),
                             set(examples[i].topics)) for i in with_topics]
    _STATE["clause_rows"] = ([[_topic_inputs(c) for c in clause_parses(parsed[i])] for i in with_topics]
                             if clauses else None)
    _STATE["folds"] = [folds[i] for i in with_topics]
    if procs > 1:
        with Pool(procs) as pool:
            parts = pool.map(_topic_fold, range(T.CV_FOLDS))
    else:
        parts = [_topic_fold(k) for k in range(T.CV_FOLDS)]
    return {with_topics[j]: s for part in parts for j, s in part.items()}


def sentiment_oof(sent: list[tuple[int, dict | None, int]], folds: list[int],
                  trainable: set[int] | None = None) -> dict[int, float]:
    """Out-of-fold calibrated sentiment of every row of ``sent`` (index, domain inputs, gold): the domain
    layer of fold k is trained on the other folds' rows, and its Platt scaling fitted on their out-of-fold
    decisions (cross-fitted). With ``trainable``, only those rows are trained and calibrated on; every
    row is still scored (rows without inputs score 0.5)."""
    ok = [(i, x, y) for i, x, y in sent if x is not None and (trainable is None or i in trainable)]
    dec: dict[int, float] = {}
    for k in range(T.CV_FOLDS):
        fit = [(x, y) for i, x, y in ok if folds[i] != k]
        m = T._train_domain([x for x, _ in fit], [y for _, y in fit])
        dec.update({i: m.decision(x) for i, x, _ in sent if folds[i] == k and x is not None})
    prob: dict[int, float] = {}
    for k in range(T.CV_FOLDS):
        fit = [(i, y) for i, _, y in ok if folds[i] != k]
        a, b = fit_platt([dec[i] for i, _ in fit], [y for _, y in fit])
        prob.update({i: sigmoid(a * dec[i] + b) if i in dec else 0.5 for i, _, _ in sent if folds[i] == k})
    return prob


def compare_without(sent: list[tuple[int, dict | None, int]], folds: list[int], newest: set[int]) -> dict:
    """Out-of-fold sentiment of the rows not in ``newest``, trained with and without ``newest``.

    Both runs use the same folds and score the same older rows, so the per-fold difference of accuracy
    (with minus without) is what the newest rows change on the older ones."""
    older = [(i, y) for i, _, y in sent if i not in newest]
    with_new = sentiment_oof(sent, folds)
    without = sentiment_oof(sent, folds, {i for i, _, _ in sent if i not in newest})

    def right(prob: dict[int, float]) -> dict[int, bool]:
        return {i: (prob[i] >= 0.5) == (y == 1) for i, y in older}

    r_with, r_without = right(with_new), right(without)
    per_fold = []
    for k in range(T.CV_FOLDS):
        idx = [i for i, _ in older if folds[i] == k]
        per_fold.append((len(idx), sum(r_without[i] for i in idx) / len(idx),
                         sum(r_with[i] for i in idx) / len(idx)))
    return {"older": [i for i, _ in older], "right_with": r_with, "right_without": r_without,
            "per_fold": per_fold, "prob_with": with_new, "prob_without": without}


def _compare_without_last(sent, folds, examples, n: int, started: float) -> int:
    newest = set(range(len(examples) - n, len(examples)))
    res = compare_without(sent, folds, newest)
    older, rw, ro = res["older"], res["right_with"], res["right_without"]
    print(f"sentiment only: the domain layer trained with and without the last {n} labelled opinions, "
          f"scored on the same {len(older)} older ones (out of fold)")
    print(f"  accuracy without {sum(ro.values()) / len(older):.4f}, "
          f"with {sum(rw.values()) / len(older):.4f}; "
          f"right -> wrong {sum(ro[i] and not rw[i] for i in older)}, "
          f"wrong -> right {sum(rw[i] and not ro[i] for i in older)}")
    diff = [w - o for _, o, w in res["per_fold"]]
    for k, (m, o, w) in enumerate(res["per_fold"]):
        print(f"  fold {k} (n={m}): without {o:.4f}  with {w:.4f}  difference {w - o:+.4f}")
    print(f"  with - without per fold: mean {statistics.mean(diff):+.4f}, sd {statistics.stdev(diff):.4f}")
    print("  per kind (pooled over folds): n, without, with, right -> wrong, wrong -> right")
    groups = [(kind, [i for i in older if examples[i].kind == kind])
              for kind in sorted({examples[i].kind for i in older})]
    groups += [(f"gold {name}", [i for i in older if examples[i].sentiment == gold])
               for gold, name in ((0, "complaint"), (1, "praise"))]
    for name, idx in groups:
        print(f"    {name:<14} {len(idx):>5}  {sum(ro[i] for i in idx) / len(idx):.3f}  "
              f"{sum(rw[i] for i in idx) / len(idx):.3f}  {sum(ro[i] and not rw[i] for i in idx):>3}  "
              f"{sum(rw[i] and not ro[i] for i in idx):>3}")
    print(f"{time.time() - started:.0f} s")
    return 0


def compare_domain_average(sent: list[tuple[int, dict | None, int]], folds: list[int]) -> dict:
    """Out-of-fold sentiment with the domain layer's last-step weights and with averaged weights."""
    saved = T.DOMAIN_AVERAGE
    try:
        T.DOMAIN_AVERAGE = False
        current = sentiment_oof(sent, folds)
        T.DOMAIN_AVERAGE = True
        averaged = sentiment_oof(sent, folds)
    finally:
        T.DOMAIN_AVERAGE = saved
    return {"current": current, "averaged": averaged}


def _compare_domain_average(sent, folds, examples, started: float) -> int:
    res = compare_domain_average(sent, folds)
    gold = {i: y for i, _, y in sent}
    right = {name: {i: (p >= 0.5) == (gold[i] == 1) for i, p in prob.items()} for name, prob in res.items()}
    print("sentiment only: the domain layer's averaged weights against the last step's (current), "
          "out of fold")
    for label, keep in (("opinions written from scenarios", True), ("all labelled opinions", False)):
        idx = [i for i in gold if examples[i].group or not keep]
        hard = [i for i in idx if examples[i].kind in HARD]
        print(f"\n== {label} (n={len(idx)}; negation/contrast/sarcasm {len(hard)})")
        for name, prob in res.items():
            acc = sum(right[name][i] for i in idx) / len(idx)
            hacc = sum(right[name][i] for i in hard) / len(hard)
            ece = expected_calibration_error([prob[i] for i in idx], [gold[i] for i in idx])
            per = [statistics.mean(right[name][i] for i in idx if folds[i] == k) for k in range(T.CV_FOLDS)]
            print(f"  [{name}] accuracy {acc:.4f}  hard {hacc:.4f}  ECE {ece:.3f}; per fold "
                  + " ".join(f"{x:.4f}" for x in per))
        diff = [statistics.mean(right["averaged"][i] for i in idx if folds[i] == k)
                - statistics.mean(right["current"][i] for i in idx if folds[i] == k)
                for k in range(T.CV_FOLDS)]
        print("  averaged - current per fold: " + " ".join(f"{d:+.4f}" for d in diff)
              + f"; mean {statistics.mean(diff):+.4f}, sd {statistics.stdev(diff):.4f}")
    print(f"{time.time() - started:.0f} s")
    return 0


def _cached(path: Path | None, key: dict, compute):
    """``compute()`` (JSON-able), or what ``path`` holds for the same ``key``; written there if not."""
    cached = json.loads(path.read_text(encoding="utf-8")) if path and path.exists() else {}
    if cached.get("key") == key:
        return cached["value"]
    value = compute()
    if path:
        path.write_text(json.dumps({"key": key, "value": value}, ensure_ascii=False), encoding="utf-8")
    return value


def clause_binary_sets(ns, parsed, with_topics: list[int], examples, folds: list[int],
                       candidate: dict | None = None) -> list:
    """Wave 12's candidates against v6 on the same folds: [(name, cross-fitted decisions)], v6 first.

    C1 (``--clause-stack``): v6's fold models also score every clause of their held-out opinions; the
    second stage reads each topic's whole-text and best-clause logits, cross-fitted, then v6's rule.
    C2 (``--binary-bag``): a first stage on the bag as plain 1.0, then v6's rule.
    Wave 13 (``candidate``: training_layers switches, with ``--clause-stack``): the same C1 procedure on
    a first stage trained under those switches on the same folds, named ``C1 + <switches>``."""
    gold = [set(examples[i].topics) for i in with_topics]
    fl = [folds[i] for i in with_topics]
    key = {"first_stage": _first_stage_switches(), "folds": fl, "clauses": bool(ns.clause_stack),
           "texts": [examples[i].text for i in with_topics]}
    extra = (_candidate_clause_sets(ns, parsed, with_topics, examples, folds, candidate, key)
             if candidate else [])

    def v6_first():
        got = _first_stage(parsed, with_topics, examples, folds, ns.procs, clauses=bool(ns.clause_stack))
        return [got[i] for i in with_topics]

    t0 = time.process_time()
    base = _cached(ns.scores, key, v6_first)
    whole = [b[0] for b in base] if ns.clause_stack else base
    print(f"v6 first stage{' + clause scores' if ns.clause_stack else ''}: {len(base)} opinions "
          f"({time.process_time() - t0:.0f} s CPU in this process)")
    second, keep = getattr(ns, "clause_second", False), getattr(ns, "keep_whole", False)
    joint = tuple(getattr(ns, "stack_joint", None) or ())
    if candidate or second or keep or joint:  # wave 13-15: v12's procedure (C1), candidates against C1
        c1 = dict(zip(with_topics, cross_fit(whole, gold, fl, [b[1] for b in base]), strict=True))
        if joint:
            c1_preds = _rule_preds(c1, with_topics, folds, examples)[0]
            return [("C1 clause stack", c1_preds)] + joint_sets(whole, [b[1] for b in base], gold, fl, joint,
                                                                with_topics, folds, examples) + extra
        if not (second or keep):
            return [("C1 clause stack", _rule_preds(c1, with_topics, folds, examples)[0])] + extra
        best = {i: b[1] for i, b in zip(with_topics, base, strict=True)}
        multi = {i for i in with_topics if clause_parses(parsed[i])}
        sets = clause_rule_sets(c1, best, multi, with_topics, folds, examples, second=second,
                                whole=dict(zip(with_topics, whole, strict=True)) if keep else None)
        return sets + extra
    sets = [("v6", _rule_preds(dict(zip(with_topics, whole, strict=True)), with_topics, folds, examples)[0])]
    if ns.clause_stack:
        best = [b[1] for b in base]
        c1 = cross_fit(whole, gold, fl, best)
        v7 = cross_fit(whole, gold, fl)
        for name, sc in (("C1 clause stack", c1), ("v7 stack, whole text only", v7)):
            sets.append((name, _rule_preds(dict(zip(with_topics, sc, strict=True)), with_topics, folds,
                                           examples)[0]))
    if ns.binary_bag:
        T.TOPIC_BINARY = True
        try:
            key_b = dict(key, first_stage=_first_stage_switches(), clauses=False)
            path_b = ns.scores.with_suffix(".binary.json") if ns.scores else None
            t0 = time.time()
            scores_b = _cached(path_b, key_b, lambda: [s for _, s in sorted(
                _first_stage(parsed, with_topics, examples, folds, ns.procs).items())])
            print(f"binary-bag first stage: {time.time() - t0:.0f} s")
        finally:
            T.TOPIC_BINARY = False
        sets.append(("C2 binary bag", _rule_preds(dict(zip(with_topics, scores_b, strict=True)), with_topics,
                                                  folds, examples)[0]))
    return sets


def joint_sets(whole: list, best: list, gold: list, fl: list[int], joint: tuple, with_topics, folds,
               examples) -> list:
    """Wave 15: [("C1 + J <name>", decisions)] for each ``joint`` input (topic_stack.JOINT_INPUTS): C1's
    second stage also over that input per topic, cross-fitted on the same folds, then its own rule per
    fold (fitted on the other folds, as C1's). Prints the process stack's weights fitted on all rows."""
    out = []
    for name in joint:
        t0 = time.time()
        scores = dict(zip(with_topics, cross_fit(whole, gold, fl, best, name), strict=True))
        out.append((f"C1 + J {name}", _rule_preds(scores, with_topics, folds, examples)[0]))
        w = train_stack(whole, gold, best, name)["process"].weights
        print(f"C1 + J {name}: cross-fitted stack and rule {time.time() - t0:.0f} s; process stack weights "
              + ", ".join(f"{k} {w.get(k, 0.0):+.3f}" for k in sorted(w) if k.endswith(":process")))
    return out


def clause_rule_sets(c1: dict, best: dict, multi: set, with_topics, folds, examples,
                     fitted: dict[int, dict] | None = None, second: bool = True,
                     whole: dict | None = None) -> list:
    """Wave 14: [("C1 clause stack", decisions), then P2's and/or C2's] from C1's cross-fitted scores
    ``c1``, each row's best-clause first-stage scores ``best``, the rows of more than one clause
    ``multi`` and (C2) each row's whole-text first-stage scores ``whole``; C1's rule of each fold fitted
    once (or given) and shared, so a candidate differs from C1 only by what its thresholds add (P2's
    clause thresholds) and drop (C2's keep thresholds, with P2's)."""
    fitted = fitted if fitted is not None else fold_rules(c1, with_topics, folds, examples)
    sets = [("C1 clause stack", _rule_preds(c1, with_topics, folds, examples, fitted=fitted)[0])]
    clause = {i: best[i] if i in multi else None for i in with_topics}
    if second:
        preds, rules = _rule_preds(c1, with_topics, folds, examples, clause, fitted)
        print(f"P2 clause thresholds per fold: {[r[2] for r in rules]}")
        sets.append(("C1 + P2 second topic from its clause", preds))
    if whole is not None:
        preds, rules = _rule_preds(c1, with_topics, folds, examples, clause, fitted, keep=whole)
        print(f"C2 clause and keep thresholds per fold: {[r[2:] for r in rules]}")
        sets.append(("C1 + C2 P2 and kept only if the whole text says it", preds))
    return sets


def _candidate_clause_sets(ns, parsed, with_topics, examples, folds, candidate: dict, key: dict) -> list:
    """[("C1 + <switches>", decisions)]: the clause stack over a first stage trained (with its clause
    scores, cached beside ``--scores``) under the ``candidate`` switches of training_layers, which are
    restored after."""
    gold = [set(examples[i].topics) for i in with_topics]
    fl = [folds[i] for i in with_topics]
    saved = {name: getattr(T, name) for name in candidate}
    try:
        for name, value in candidate.items():
            setattr(T, name, value)
        key_c = dict(key, first_stage=_first_stage_switches())
        tag = "_".join(f"{k.lower()}-{v}" for k, v in candidate.items())
        path = ns.scores.with_suffix(f".{tag}.json") if ns.scores else None
        t0 = time.time()
        got = _cached(path, key_c, lambda: [s for _, s in sorted(_first_stage(
            parsed, with_topics, examples, folds, ns.procs, clauses=True).items())])
        print(f"candidate first stage {candidate} + clause scores: {time.time() - t0:.0f} s")
    finally:
        for name, value in saved.items():
            setattr(T, name, value)
    scores = cross_fit([g[0] for g in got], gold, fl, [g[1] for g in got])
    name = "C1 + " + " ".join(f"{k}={v}" for k, v in candidate.items())
    return [(name, _rule_preds(dict(zip(with_topics, scores, strict=True)), with_topics, folds, examples)[0])]


def multi_topic_line(pr: dict, idx: list[int], examples) -> str:
    """How the opinions with two or more gold topics fare: given two or more, given all of theirs."""
    multi = [i for i in idx if len(examples[i].topics) >= 2]
    two = sum(len(pr[i]) >= 2 for i in multi)
    full = sum(set(examples[i].topics) <= pr[i] for i in multi)
    return (f"  gold 2+ topics: {len(multi)}; given 2+ {two} ({two / max(len(multi), 1):.3f}); "
            f"given all their topics {full} ({full / max(len(multi), 1):.3f})")


def _macro(preds: dict, idx: list[int], examples) -> float:
    cv = T.topic_prf([preds[i] for i in idx], [set(examples[i].topics) for i in idx])
    return sum(v["f1"] for v in cv.values()) / len(cv)


def _prf_line(name: str, v: dict) -> str:
    return f"  {name:<12} P {v['precision']:.3f}  R {v['recall']:.3f}  F1 {v['f1']:.3f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--procedure", choices=("v4", "v5", "v6", "v7"), default="v7")
    ap.add_argument("--procs", type=int, default=1, help="processes for the topic folds")
    ap.add_argument("--scores", type=Path, default=None,
                    help="cache of the out-of-fold topic scores (JSON): read if it holds the same texts, "
                         "folds and procedure, written otherwise; for trying decision rules")
    ap.add_argument("--weighting", choices=("cap3", "balanced", "none"), default=None,
                    help="candidate first stage: positive opinions' weight (training_layers.TOPIC_WEIGHTING)")
    ap.add_argument("--nb", choices=("nb", "mix"), default=None,
                    help="candidate first stage: NB scaling (training_layers.TOPIC_NB)")
    ap.add_argument("--chars3", action="store_true",
                    help="candidate first stage: character trigrams (training_layers.TOPIC_CHARS3)")
    ap.add_argument("--topic-epochs", type=int, default=None,
                    help="screening: fewer topic epochs (candidate and v6 first stage alike)")
    ap.add_argument("--vectors", type=Path, default=None,
                    help="word vectors (vectors.py format): score v6 + their topic inputs against v6 "
                         "(the --scores cache holds v6's scores)")
    ap.add_argument("--vec-mean", type=float, default=T.VECTOR_SETTINGS["mean"])
    ap.add_argument("--vec-cues", type=float, default=T.VECTOR_SETTINGS["cues"])
    ap.add_argument("--vec-idf", type=int, choices=(0, 1), default=int(T.VECTOR_SETTINGS["idf"]))
    ap.add_argument("--without-last", type=int, default=0, metavar="N",
                    help="sentiment only: train the domain layer with and without the last N labelled "
                         "opinions (the newest data) and score both on the same older opinions")
    ap.add_argument("--domain-average", action="store_true",
                    help="sentiment only: the domain layer with averaged weights against the current one")
    ap.add_argument("--topic-fold-average", action="store_true",
                    help="nested grouped folds: final topic models retrained on all of each outer-train "
                         "against the mean of its inner fold models (training_layers.TOPIC_FOLD_AVERAGE)")
    ap.add_argument("--sentiment", action="store_true",
                    help="with --topic-fold-average: the same for the domain layer (Platt scaling)")
    ap.add_argument("--train-split", action="store_true",
                    help="only the labelled opinions of the train split (the held-out split never scored)")
    ap.add_argument("--clause-stack", action="store_true",
                    help="C1: second stage over whole-text and best-clause logits (training_layers."
                         "TOPIC_STACK_CLAUSES) against v6, same folds")
    ap.add_argument("--clause-second", action="store_true",
                    help="wave 14's P2 (with --clause-stack): C1's rule also adds the runner-up topic from "
                         "its best clause (training_layers.TOPIC_CLAUSE_SECOND), against C1, same scores")
    ap.add_argument("--keep-whole", action="store_true",
                    help="wave 14's C2 (with --clause-stack): P2, and C1's rule drops a chosen topic the "
                         "whole text does not say (training_layers.TOPIC_KEEP_WHOLE), against C1")
    ap.add_argument("--stack-joint", nargs="+", choices=JOINT_INPUTS, default=None,
                    help="wave 15 (with --clause-stack): C1's second stage also over each topic's best "
                         "clause read with the whole text (training_layers.TOPIC_STACK_JOINT), against C1")
    ap.add_argument("--binary-bag", action="store_true",
                    help="C2: the topics' bag as plain 1.0 (training_layers.TOPIC_BINARY) against v6, "
                         "same folds")
    ns = ap.parse_args(argv)
    wave12 = ns.clause_stack or ns.binary_bag
    if ns.stack_joint and not ns.clause_stack:
        ap.error("--stack-joint is compared with v12's procedure: add --clause-stack")
    if (ns.clause_second or ns.keep_whole) and not ns.clause_stack:
        ap.error("--clause-second and --keep-whole are compared with v12's procedure: add --clause-stack")
    if wave12 and ns.procedure != "v6":
        ap.error("--clause-stack and --binary-bag are compared under --procedure v6")
    if ns.topic_fold_average and ns.procedure != "v6":
        ap.error("--topic-fold-average runs the shipped procedure: use --procedure v6")
    if ns.without_last < 0:
        ap.error("--without-last takes a count of opinions >= 0")
    if ns.vectors and ns.procedure != "v6":
        ap.error("--vectors compares with v6's procedure: use --procedure v6")
    _set_procedure(ns.procedure)
    if ns.topic_epochs:
        T.TOPIC_PARAMS = dict(T.TOPIC_PARAMS, epochs=ns.topic_epochs)
    defaults = (T.TOPIC_WEIGHTING, T.TOPIC_NB, T.TOPIC_CHARS3)
    T.TOPIC_WEIGHTING = ns.weighting or T.TOPIC_WEIGHTING
    T.TOPIC_NB = ns.nb or T.TOPIC_NB
    T.TOPIC_CHARS3 = ns.chars3 or T.TOPIC_CHARS3
    #: A candidate first stage is compared with v6's on the same folds in the same run.
    candidate = (T.TOPIC_WEIGHTING, T.TOPIC_NB, T.TOPIC_CHARS3) != defaults
    if candidate and wave12 and not ns.clause_stack:
        ap.error("a candidate first stage is compared with v12's procedure: add --clause-stack")
    if candidate and ns.procedure != "v6":
        ap.error("a candidate first stage (--weighting, --nb, --chars3) is compared under --procedure v6")
    started = time.time()
    pipe = get_pipeline()
    examples = load_labelled()
    if ns.train_split:
        examples = [e for e in examples if e.split != "test"]
    if ns.without_last >= len(examples):
        ap.error(f"--without-last {ns.without_last}: only {len(examples)} labelled opinions")
    parsed = [pipe.prepare(e.text)[2] for e in examples]
    folds = [T.cv_fold(e.text, group=e.group) for e in examples]
    scen = [bool(e.group) for e in examples]
    print(f"procedure {ns.procedure}; {len(examples)} labelled opinions ({sum(scen)} from "
          f"{len({e.group for e in examples if e.group})} scenarios), {T.CV_FOLDS} scenario-grouped folds")

    # Sentiment: domain layer out of fold, then Platt scaling cross-fitted.
    sent = [(i, pipe.sentiment_inputs(p), int(e.sentiment)) for i, (e, p) in enumerate(zip(examples, parsed,
            strict=True)) if e.sentiment is not None]
    if ns.topic_fold_average:
        return nlp_nested.report(examples, parsed, folds, ns.procs, ns.sentiment, started)
    if ns.without_last:
        return _compare_without_last(sent, folds, examples, ns.without_last, started)
    if ns.domain_average:
        return _compare_domain_average(sent, folds, examples, started)
    prob = sentiment_oof(sent, folds)
    with_topics = [i for i, e in enumerate(examples) if e.topics and parsed[i].clauses]
    if wave12:
        # Wave 13: a candidate first stage under the clause stack; v6's and C1's first stage as shipped.
        names = ("TOPIC_WEIGHTING", "TOPIC_NB", "TOPIC_CHARS3")
        cand = {n: v for n, v, d in zip(names, (T.TOPIC_WEIGHTING, T.TOPIC_NB, T.TOPIC_CHARS3), defaults,
                                        strict=True) if v != d}
        T.TOPIC_WEIGHTING, T.TOPIC_NB, T.TOPIC_CHARS3 = defaults
        rule_sets, rules = clause_binary_sets(ns, parsed, with_topics, examples, folds, cand or None), []
        return _print_report(ns, rule_sets, rules, sent, prob, with_topics, examples, folds, scen, started)

    # Topics: one-vs-rest models out of fold; thresholds and the second-topic margin cross-fitted.
    key = {"procedure": "v4" if ns.procedure == "v4" else "v5+", "first_stage": _first_stage_switches(),
           "folds": [folds[i] for i in with_topics], "texts": [examples[i].text for i in with_topics]}
    cached = json.loads(ns.scores.read_text(encoding="utf-8")) if ns.scores and ns.scores.exists() else {}
    if cached.get("key") == key:
        scores = {with_topics[j]: s for j, s in enumerate(cached["scores"])}
    else:
        scores = _first_stage(parsed, with_topics, examples, folds, ns.procs)
        if ns.scores:
            ns.scores.write_text(json.dumps({"key": key, "scores": [scores[i] for i in with_topics]},
                                            ensure_ascii=False), encoding="utf-8")
    if ns.vectors:
        table, dim, _ = read_vectors(ns.vectors)
        tv = TopicVectors(table, dim, {"mean": ns.vec_mean, "cues": ns.vec_cues, "idf": bool(ns.vec_idf)},
                          pipe.idf, pipe.idf_default)
        _STATE["topic_rows"] = [(dict(w, **tv.features(parsed[i])), c, g)
                                for i, (w, c, g) in zip(with_topics, _STATE["topic_rows"], strict=True)]
        print(f"v6 + word vectors {ns.vectors} ({len(table)} words x {dim}; mean {ns.vec_mean}, "
              f"cues {ns.vec_cues}, idf {ns.vec_idf}) against v6 on the same folds")
        parts = [_topic_fold(k) for k in range(T.CV_FOLDS)]
        base_scores = scores
        scores = {with_topics[j]: s for part in parts for j, s in part.items()}
    first = scores
    if T.TOPIC_STACK:
        stacked = cross_fit([scores[i] for i in with_topics], [set(examples[i].topics) for i in with_topics],
                            [folds[i] for i in with_topics])
        scores = dict(zip(with_topics, stacked, strict=True))
    preds, rules = _rule_preds(scores, with_topics, folds, examples)
    rule_sets = [(f"candidate first stage {_first_stage_switches()}" if candidate else ns.procedure, preds)]
    if ns.procedure == "v7":
        v6_preds, _ = _rule_preds(first, with_topics, folds, examples)
        rule_sets.append(("v6 procedure on the same scores", v6_preds))
    if candidate:
        # The same procedure with v6's first-stage fit and inputs, trained on the same folds.
        T.TOPIC_WEIGHTING, T.TOPIC_NB, T.TOPIC_CHARS3 = defaults
        v6_preds, _ = _rule_preds(_first_stage(parsed, with_topics, examples, folds, ns.procs), with_topics,
                                  folds, examples)
        rule_sets.append(("v6 first stage", v6_preds))
    elif ns.vectors:
        base_preds, _ = _rule_preds(base_scores, with_topics, folds, examples)
        rule_sets = [("v6 + vectors", preds), ("v6", base_preds)]
    elif ns.procedure == "v6":
        T.TOPIC_RULE_V6 = False
        v5_preds, _ = _rule_preds(scores, with_topics, folds, examples)
        T.TOPIC_RULE_V6 = True
        rule_sets.append(("v5 rule on the same scores", v5_preds))
    return _print_report(ns, rule_sets, rules, sent, prob, with_topics, examples, folds, scen, started)


def _print_report(ns, rule_sets, rules, sent, prob, with_topics, examples, folds, scen, started) -> int:
    """Sentiment and each rule set's topic figures, scenario opinions and all; the first set's per-fold
    difference to the second's (wave 12: every candidate's to v6's, the first)."""
    wave12 = ns.clause_stack or ns.binary_bag
    for label, keep in (("opinions written from scenarios", True), ("all labelled opinions", False)):
        s_idx = [i for i, _, _ in sent if scen[i] or not keep]
        ys = [examples[i].sentiment for i in s_idx]
        ps = [prob[i] for i in s_idx]
        acc = sum((p >= 0.5) == (y == 1) for p, y in zip(ps, ys, strict=True)) / len(ys)
        hard = [i for i in s_idx if examples[i].kind in HARD]
        hacc = sum((prob[i] >= 0.5) == (examples[i].sentiment == 1) for i in hard) / max(len(hard), 1)
        t_idx = [i for i in with_topics if scen[i] or not keep]
        per_fold: dict[str, list[float]] = {}
        gold = [set(examples[i].topics) for i in t_idx]
        print(f"\n== {label}")
        print(f"  sentiment accuracy (n={len(ys)})            {acc:.3f}")
        print(f"  negation/contrast/sarcasm (n={len(hard)})      {hacc:.3f}")
        print(f"  sentiment ECE (10 bins, Platt cross-fitted)  {expected_calibration_error(ps, ys):.3f}")
        print(f"  gold topics per opinion {sum(map(len, gold)) / len(gold):.3f}")
        for name, pr in rule_sets:
            cv = T.topic_prf([pr[i] for i in t_idx], gold)
            macro = sum(v["f1"] for v in cv.values()) / len(cv)
            exact = sum(pr[i] == g for i, g in zip(t_idx, gold, strict=True)) / len(gold)
            print(f"  [{name}] topics macro-F1 (n={len(t_idx)})  {macro:.4f}  "
                  f"(lowest {min(v['f1'] for v in cv.values()):.3f}); exact sets {exact:.3f}; "
                  f"topics per opinion {sum(len(pr[i]) for i in t_idx) / len(t_idx):.3f}")
            for t in TOPICS:
                print(_prf_line(t, cv[t]))
            per_fold[name] = [_macro(pr, [i for i in t_idx if folds[i] == k], examples)
                              for k in range(T.CV_FOLDS)]
            print("  macro-F1 per fold " + " ".join(f"{x:.4f}" for x in per_fold[name]))
            proc = [T.topic_prf([pr[i] for i in t_idx if folds[i] == k],
                                [set(examples[i].topics) for i in t_idx if folds[i] == k])["process"]
                    for k in range(T.CV_FOLDS)]
            for key in ("f1", "precision", "recall"):
                print(f"  process {key} per fold " + " ".join(f"{x[key]:.4f}" for x in proc)
                      + f"; mean {statistics.mean(x[key] for x in proc):.4f}")
            print(multi_topic_line(pr, t_idx, examples))
        pairs = ([(n, rule_sets[0][0]) for n, _ in rule_sets[1:]] if wave12
                 else [(rule_sets[0][0], rule_sets[1][0])] if len(rule_sets) > 1 else [])
        if wave12 and ns.clause_stack:  # what the clause inputs add to the second stage itself
            v7 = "v7 stack, whole text only"
            pairs += [("C1 clause stack", v7)] if v7 in per_fold else []  # not in wave 13's runs
        for cand, ref in pairs:
            diff = [a - b for a, b in zip(per_fold[cand], per_fold[ref], strict=True)]
            print(f"  [{cand}] - [{ref}] per fold: " + " ".join(f"{d:+.4f}" for d in diff)
                  + f"; mean {statistics.mean(diff):+.4f}, sd {statistics.stdev(diff):.4f}; "
                  f"folds up {sum(d > 0 for d in diff)} of {len(diff)}")
    print(f"\nrule per fold (second-topic margin, cardinality bias and floor): {rules}; "
          f"{time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
