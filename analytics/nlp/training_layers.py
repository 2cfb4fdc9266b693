"""The domain sentiment layer and the topic classifier of a model, trained on the labelled opinions.

Cross-validation folds (scenario-grouped), out-of-fold Platt calibration, per-topic thresholds and the
second-topic margin. The general parts (:mod:`.training_general`) are taken from a base model;
:mod:`.training` reads the labelled data and saves and promotes versions; :mod:`.evaluation` scores
a model on held-out opinions."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .calibration import expected_calibration_error, fit_platt
from .features import Parsed
from .lexicon import TOPICS
from .linear import LogReg, MultiLogReg, logit, sigmoid
from .pipeline import Pipeline
from .topic_clause import clause_margins, fit_clause_second, fit_keep_whole
from .topic_clause import macro_f1 as _macro_f1
from .topic_fit import train_topic
from .topic_stack import clause_max, clause_parses, fit_stack
from .topics import decide_topics, pick_topics, topic_features
from .vectors import vector_config

if TYPE_CHECKING:
    from .training import Example

CV_FOLDS = 5  # folds of the training data for out-of-fold scores (calibration, topic thresholds)
DOMAIN_PARAMS = {"epochs": 30, "lr": 0.1, "l2": 3e-3, "prune": 1e-3}  # l2: best 5-fold CV of 3e-4..1e-2
# l2: best OOF macro-F1 of 1e-4..6e-3; v5 on: weights averaged over the SGD steps (they gained on
# scenario-grouped folds: benchmarks/README.md, Model v5).
TOPIC_PARAMS = {"epochs": 25, "lr": 0.3, "l2": 2e-3, "prune": 1e-3, "average": True}
GROUP_FOLDS = True  # v4 on: opinions of one scenario share a fold (cv_fold)
TOPIC_V4 = True  # v4 on: topics also read the broader cue lists (features.topic_features)
THRESHOLD_GRID = tuple(round(0.2 + 0.025 * i, 3) for i in range(29))  # 0.20 .. 0.90
#: v5 on: a topic's probability is the whole text's. Raising it by the best single clause (v2-v4)
#: lost macro-F1 on scenario-grouped folds: a clause naming 态度 or 等 fired topics the opinion was
#: not about (benchmarks/README.md, Model v5).
TOPIC_TEXT_SCOPE = True
#: Candidates (logit units) for the second-topic margin of :func:`pipeline.decide_topics`, chosen on
#: the out-of-fold scores; 0 keeps every topic above its threshold (v4).
SECONDARY_GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
#: v6 on: the decision rule also reads how many topics the opinion is about from all the topics'
#: evidence (``cardinality`` of :func:`topics.decide_topics`; None among the candidates keeps v5's
#: rule), and the thresholds are then refined one topic at a time for the rule's macro-F1 rather
#: than each topic's own F1. All chosen on scenario-grouped out-of-fold scores.
TOPIC_RULE_V6 = True
CARDINALITY_BIASES = (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0)
CARDINALITY_FLOORS = (-1.5, -1.0, -0.5, 0.0, 0.5)
#: v7 on: a second stage over all the topics' out-of-fold logits (:mod:`.topic_stack`); the rule is
#: then fitted on its cross-fitted scores. Off by default: on the grouped folds of the current data
#: it gained nothing (benchmarks/README.md, Model v7), so trainings (the corrections' retrain
#: included) follow v6's procedure; ``--topic-stack`` on the training CLI rebuilds v7.
TOPIC_STACK = False
#: How each topic's first-stage model is fitted (:mod:`.topic_fit`, training only): the weight of its
#: positive opinions (``cap3``: v1-v7) and NB scaling of its sparse features (None: v1-v7).
TOPIC_WEIGHTING = "cap3"
TOPIC_NB: str | None = None
#: The topics also read character trigrams (model key ``topic_chars3``; run time: more features).
TOPIC_CHARS3 = False
#: The topics' word/pair/character inputs as plain 1.0 instead of the whole text's L2 scaling (model
#: key ``topic_binary``); and v7's second stage also over each topic's best clause logit (implies
#: TOPIC_STACK; model key ``topic_stack_clauses``). Off (benchmarks/README.md, wave 12, clause12).
TOPIC_BINARY = False
TOPIC_STACK_CLAUSES = False
#: Wave 14's P2 (with TOPIC_STACK_CLAUSES; model key ``topic_clause_second``): the rule adds the runner-up
#: topic when its best clause clears a per-topic clause threshold (:mod:`.topic_clause`). Off by default.
TOPIC_CLAUSE_SECOND = False
#: Wave 14's C2 with TOPIC_CLAUSE_SECOND (model key ``topic_keep_whole``): a chosen topic is dropped when its
#: whole-text first-stage score is under its per-topic keep threshold (:mod:`.topic_clause`). Off by default.
TOPIC_KEEP_WHOLE = False
#: Wave 15 (model key ``topic_stack_joint``): the clause stack also reads, per topic, the best clause
#: together with the whole text (one of ``topic_stack.JOINT_INPUTS``). None: off.
TOPIC_STACK_JOINT: str | None = None
#: Word vectors learned without labels as dense topic inputs (:mod:`.vectors`): the model records the
#: file's digest and these settings under ``topic_vectors``. Off by default (benchmarks/README.md,
#: Word vectors); ``--topic-vectors`` on the training CLI.
TOPIC_VECTORS = False
VECTOR_SETTINGS = {"mean": 1.0, "cues": 1.0, "idf": True}
#: The domain layer's weights averaged over all steps (Polyak, as the topic models' are) instead of the
#: last SGD step, whose held-out accuracy moves with the order of the data. Off by default
#: (benchmarks/README.md, wave 9); ``benchmarks/nlp_cv.py --domain-average`` compares both.
DOMAIN_AVERAGE = False
#: Ship as each topic's model the average of the fold models' weights (those whose out-of-fold scores
#: set the thresholds and the rule) instead of a model retrained on all the data, whose scores are
#: scaled differently. Off by default (benchmarks/README.md, wave 10, topic10);
#: ``benchmarks/nlp_cv.py --procedure v6 --topic-fold-average`` measures it with nested grouped folds.
TOPIC_FOLD_AVERAGE = False


def cv_fold(text: str, k: int = CV_FOLDS, group: str | None = None) -> int:
    """Fixed fold of a training text (by hash, so a text keeps its fold as the data grows); with a
    ``group`` (its scenario) the fold of the group, so the opinions of one situation are scored out
    of fold together, as opinions about unseen situations are (v4 on: :data:`GROUP_FOLDS`)."""
    if group and GROUP_FOLDS:
        return int(hashlib.md5(("cvg:" + group).encode()).hexdigest(), 16) % k
    return int(hashlib.md5(("cv:" + text.strip()).encode()).hexdigest(), 16) % k


def _train_domain(xs: Sequence[dict], ys: Sequence[int]) -> LogReg:
    return LogReg.train(xs, ys, average=DOMAIN_AVERAGE, **DOMAIN_PARAMS)


def _train_topics(rows: Sequence[tuple[dict, set[str]]]) -> dict[str, LogReg]:
    xs = [f for f, _ in rows]
    return {t: train_topic(xs, [int(t in ts) for _, ts in rows], TOPIC_PARAMS, TOPIC_WEIGHTING, TOPIC_NB)
            for t in TOPICS}


def average_models(models: Sequence[LogReg], prune: float = 0.0) -> LogReg:
    """The model whose weights and bias are the means of ``models``' (same inputs; weights under
    ``prune`` in absolute value dropped, as training drops them)."""
    n = len(models)
    keys = sorted(set().union(*(m.weights for m in models)))
    weights = {k: round(sum(m.weight(k) for m in models) / n, 4) for k in keys}
    return LogReg({k: w for k, w in weights.items() if w and abs(w) >= prune},
                  round(sum(m.bias for m in models) / n, 4))


def _clause_topic_features(p: Parsed, v4: bool = False) -> list[dict]:
    if len(p.clauses) <= 1 or TOPIC_TEXT_SCOPE:
        return []
    return [topic_features(Parsed("".join(toks), [toks]), v4) for toks in p.clauses[:60]]


def _topic_scores(models: MultiLogReg, whole: dict, clauses: Sequence[dict]) -> dict[str, float]:
    """Same rule as :meth:`Pipeline.topic_scores`: whole text, raised by any single clause (none from
    v5: :func:`_clause_topic_features` gives no clauses then)."""
    scores = models.probs(whole)
    for f in clauses:
        for t, p in models.probs(f).items():
            if t != "other" and p > scores[t]:
                scores[t] = p
    return scores


def _best_threshold(probs: Sequence[float], gold: Sequence[bool]) -> float:
    """The grid threshold with the best F1 (ties: the one nearest 0.5)."""
    best, best_key = 0.5, (-1.0, 0.0)
    for thr in THRESHOLD_GRID:
        tp = sum(1 for p, g in zip(probs, gold, strict=True) if g and p >= thr)
        fp = sum(1 for p, g in zip(probs, gold, strict=True) if not g and p >= thr)
        fn = sum(1 for p, g in zip(probs, gold, strict=True) if g and p < thr)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        key = (round(f1, 6), -abs(thr - 0.5))
        if key > best_key:
            best, best_key = thr, key
    return best


def topic_prf(preds: Sequence[set[str]], gold: Sequence[set[str]]) -> dict[str, dict[str, float]]:
    """Precision, recall and F1 per topic of predicted against gold topic sets."""
    cv = {}
    for t in TOPICS:
        tp = sum(1 for p, g in zip(preds, gold, strict=True) if t in p and t in g)
        fp = sum(1 for p, g in zip(preds, gold, strict=True) if t in p and t not in g)
        fn = sum(1 for p, g in zip(preds, gold, strict=True) if t not in p and t in g)
        cv[t] = {"precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
                 "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
                 "f1": round(2 * tp / (2 * tp + fp + fn), 4) if tp + fp + fn else 1.0}
    return cv


def _best_secondary(scores: Sequence[dict[str, float]], gold: Sequence[set[str]],
                    thresholds: dict[str, float]) -> float:
    """The :data:`SECONDARY_GRID` margin with the best macro-F1 of ``scores`` (ties: the smallest)."""
    best, best_f1 = 0.0, -1.0
    for m in SECONDARY_GRID:
        cv = topic_prf([{t for t, _ in decide_topics(s, thresholds, m)} for s in scores], gold)
        f1 = round(sum(v["f1"] for v in cv.values()) / len(cv), 6)
        if f1 > best_f1:
            best, best_f1 = m, f1
    return best


def fit_topic_rule(scores: Sequence[dict[str, float]], gold: Sequence[set[str]]) -> dict:
    """Thresholds, second-topic margin and (v6 on) cardinality parameters of the decision rule, chosen
    on ``scores`` (out-of-fold): each topic's best-F1 threshold; then the margin (and the cardinality
    reading, none among the candidates) with the best macro-F1; then (v6) each threshold in turn moved
    on the grid where that raises the rule's macro-F1 (one pass)."""
    thr = {t: _best_threshold([s[t] for s in scores], [t in g for g in gold]) for t in TOPICS}
    if not TOPIC_RULE_V6:
        return {"thresholds": thr, "secondary": _best_secondary(scores, gold, thr), "cardinality": None}
    logits = [{t: logit(p) for t, p in s.items()} for s in scores]

    def margins_of(th: dict[str, float]) -> list[dict[str, float]]:
        cut = {t: logit(v) for t, v in th.items()}
        return [{t: z - cut[t] for t, z in row.items()} for row in logits]

    rows = margins_of(thr)
    cards = [None] + [(b, f) for b in CARDINALITY_BIASES for f in CARDINALITY_FLOORS]
    best = (-1.0, 0.0, None)
    for sec in SECONDARY_GRID:
        for card in cards:
            f1 = round(_macro_f1([pick_topics(m, sec, card) for m in rows], gold), 6)
            if f1 > best[0]:
                best = (f1, sec, card)
    cur, sec, card = best
    for t in TOPICS:
        for v in THRESHOLD_GRID[::2]:
            trial = dict(thr, **{t: v})
            f1 = round(_macro_f1([pick_topics(m, sec, card) for m in margins_of(trial)], gold), 6)
            if f1 > cur:
                cur, thr = f1, trial
    return {"thresholds": thr, "secondary": sec, "cardinality": card}


def train_layers(base: dict, examples: Sequence[Example], tokenizer=None, version: str = "candidate") -> dict:
    """New model dict: base model's general/snow/idf parts plus a retrained domain layer and topics.

    Out-of-fold scores over :data:`CV_FOLDS` folds of ``examples`` (never the held-out split) give
    the Platt calibration of the sentiment and each topic's decision threshold; the layers
    themselves are then trained on all of ``examples`` (the topics, with :data:`TOPIC_FOLD_AVERAGE`,
    are the mean of the fold models instead)."""
    model = {k: v for k, v in base.items()
             if k not in ("domain", "topics", "calibration", "topic_thresholds", "topic_cv", "domain_extra",
                          "domain_chars", "topic_v4", "topic_clauses", "topic_secondary", "topic_cardinality",
                          "topic_stack", "topic_chars3", "topic_vectors", "topic_binary", "topic_keep_whole",
                          "topic_stack_clauses", "topic_clause_second", "topic_stack_joint")}
    model["version"] = version
    model["domain"] = {"bias": 0.0, "weights": {}}
    model["domain_extra"] = True
    model["domain_chars"] = True  # v3 on: figures in benchmarks/README.md
    model["topic_v4"] = TOPIC_V4
    if TOPIC_CHARS3:
        model["topic_chars3"] = True
    if TOPIC_BINARY:
        model["topic_binary"] = True
    model["topic_clauses"] = not TOPIC_TEXT_SCOPE
    model["topics"] = {t: {"bias": 0.0, "weights": {}} for t in TOPICS}
    if TOPIC_VECTORS:
        model["topic_vectors"] = vector_config(VECTOR_SETTINGS)
    pipe = Pipeline(model, tokenizer=tokenizer)
    parsed = [pipe.prepare(e.text)[2] for e in examples]
    folds = [cv_fold(e.text, group=e.group) for e in examples]

    # Sentiment: domain layer, then Platt scaling of its out-of-fold decisions.
    sx = [(pipe.sentiment_inputs(p), int(e.sentiment), f)
          for e, p, f in zip(examples, parsed, folds, strict=True) if e.sentiment is not None and p.clauses]
    sx = [(x, y, f) for x, y, f in sx if x is not None]
    oof_dec, oof_y = [], []
    for k in range(CV_FOLDS):
        fit = [(x, y) for x, y, f in sx if f != k]
        held = [(x, y) for x, y, f in sx if f == k]
        if not fit or not held:
            continue
        m = _train_domain([x for x, _ in fit], [y for _, y in fit])
        oof_dec.extend(m.decision(x) for x, _ in held)
        oof_y.extend(y for _, y in held)
    model["domain"] = _train_domain([x for x, _, _ in sx], [y for _, y, _ in sx]).to_dict()
    if len(set(oof_y)) == 2:
        a, b = fit_platt(oof_dec, oof_y)
        calibrated = [sigmoid(a * d + b) for d in oof_dec]
        model["calibration"] = {
            "sentiment": [round(a, 4), round(b, 4)],
            "method": f"Platt scaling of {CV_FOLDS}-fold out-of-fold domain-layer scores ({len(oof_y)})",
            "cv_ece_before": round(expected_calibration_error([sigmoid(d) for d in oof_dec], oof_y), 4),
            "cv_ece_after": round(expected_calibration_error(calibrated, oof_y), 4),
            "cv_accuracy": round(sum((d >= 0) == (y == 1) for d, y in zip(oof_dec, oof_y, strict=True))
                                 / len(oof_y), 4),
        }

    # Topics: one-vs-rest models; thresholds maximise each topic's out-of-fold F1.
    # The clauses' inputs only for the clause stack (each topic's best clause logit, same fold models).
    tx = [(pipe.topic_inputs(p), _clause_topic_features(p, TOPIC_V4), set(e.topics), f,
           [pipe.topic_inputs(c) for c in clause_parses(p)] if TOPIC_STACK_CLAUSES else [])
          for e, p, f in zip(examples, parsed, folds, strict=True) if e.topics and p.clauses]
    oof_scores: list[dict[str, float]] = []
    oof_best: list[dict[str, float]] = []
    oof_multi: list[bool] = []  # opinions of more than one clause (the others have no clause scores)
    oof_gold: list[set[str]] = []
    oof_folds: list[int] = []
    fold_models: list[dict[str, LogReg]] = []
    for k in range(CV_FOLDS):
        fit = [(w, ts) for w, _, ts, f, _ in tx if f != k]
        held = [(w, c, ts, cl) for w, c, ts, f, cl in tx if f == k]
        if not fit or not held:
            continue
        trained = _train_topics(fit)
        if TOPIC_FOLD_AVERAGE:
            fold_models.append(trained)
        models = MultiLogReg(trained)
        for w, c, ts, cl in held:
            oof_scores.append(_topic_scores(models, w, c))
            oof_best.append(clause_max(models.probs, cl, oof_scores[-1]))
            oof_multi.append(bool(cl))
            oof_gold.append(ts)
            oof_folds.append(k)
    if TOPIC_FOLD_AVERAGE and fold_models:
        final = {t: average_models([m[t] for m in fold_models], TOPIC_PARAMS["prune"]) for t in TOPICS}
    else:
        final = _train_topics([(w, ts) for w, _, ts, _, _ in tx])
    model["topics"] = {t: m.to_dict() for t, m in final.items()}
    oof_first = oof_scores  # the first stage's, before the second stage reads them
    if oof_scores and (TOPIC_STACK or TOPIC_STACK_CLAUSES):
        best = oof_best if TOPIC_STACK_CLAUSES else None
        stack, oof_scores = fit_stack(oof_scores, oof_gold, oof_folds, best, TOPIC_STACK_JOINT)
        model.update(stack)
    if oof_scores:
        rule = fit_topic_rule(oof_scores, oof_gold)
        thr, secondary, card = rule["thresholds"], rule["secondary"], rule["cardinality"]
        model["topic_thresholds"] = thr
        model["topic_secondary"] = secondary
        model["topic_cardinality"] = list(card) if card else None
        clause: list[dict[str, float] | None] = [None] * len(oof_scores)
        if TOPIC_CLAUSE_SECOND and TOPIC_STACK_CLAUSES:  # P2: the best clause of a multi-clause opinion
            clause = [b if m else None for b, m in zip(oof_best, oof_multi, strict=True)]
            model["topic_clause_second"] = fit_clause_second(oof_scores, clause, oof_gold, rule)
        if TOPIC_KEEP_WHOLE and TOPIC_STACK_CLAUSES:  # C2: the whole text's first-stage scores
            model["topic_keep_whole"] = fit_keep_whole(oof_scores, oof_first, oof_gold, rule)
        cuts, keep = model.get("topic_clause_second"), model.get("topic_keep_whole")
        # Out-of-fold precision/recall/F1 per topic of the decision rule (thresholds chosen on these).
        cv = topic_prf([{t for t, _ in decide_topics(s, thr, secondary, card, clause=clause_margins(b, cuts),
                                                     keep=clause_margins(a, keep))}
                        for s, b, a in zip(oof_scores, clause, oof_first, strict=True)], oof_gold)
        macro = round(sum(v["f1"] for v in cv.values()) / len(cv), 4)
        model["topic_cv"] = {"folds": CV_FOLDS, "macro_f1": macro, "per_topic": cv, "secondary": secondary,
                             "cardinality": model["topic_cardinality"]}
    return model
