"""Small pure-Python sparse logistic regression and naive Bayes used for training and inference."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, repeat
from operator import add, mul

Features = dict[str, float]
WEIGHT_SCALE = 10000  # weights are stored as integers in units of 1e-4


def sigmoid(z: float) -> float:
    """Numerically safe logistic function."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-min(z, 50.0)))
    e = math.exp(max(z, -50.0))
    return e / (1.0 + e)


def logit(p: float, eps: float = 1e-4) -> float:
    """Inverse of :func:`sigmoid`, clipped away from 0 and 1."""
    p = min(max(p, eps), 1.0 - eps)
    return math.log(p / (1.0 - p))


class LogReg:
    """Binary logistic regression over sparse string features."""

    def __init__(self, weights: dict[str, float] | None = None, bias: float = 0.0, scale: float = 1.0):
        # Stored weights are ``weights[k] * scale`` (integers with scale 1e-4 when loaded from disk).
        self.weights = weights or {}
        self.bias = bias
        self.scale = scale

    def weight(self, key: str) -> float:
        return self.weights.get(key, 0) * self.scale

    def decision(self, feats: Features) -> float:
        # map() keeps the lookups and products in C; same terms in the same order as a loop.
        return self.bias + self.scale * sum(map(mul, map(self.weights.get, feats, repeat(0)), feats.values()))

    def prob(self, feats: Features) -> float:
        return sigmoid(self.decision(feats))

    @classmethod
    def train(
        cls,
        data: Sequence[Features],
        labels: Sequence[int],
        sample_weights: Sequence[float] | None = None,
        epochs: int = 8,
        lr: float = 0.3,
        l2: float = 1e-5,
        seed: int = 13,
        prune: float = 1e-3,
        average: bool = False,
    ) -> LogReg:
        """Fit with Adagrad SGD and lazy L2 decay; deterministic for a given ``seed``.

        ``average=True`` returns the average of the weights over all steps (Polyak averaging, kept
        cheaply with the accumulated ``step * update`` trick) instead of the last weights."""
        weights: dict[str, float] = {}
        grad_sq: dict[str, float] = {}
        acc: dict[str, float] = {}
        bias, bias_sq, bias_acc, step = 0.0, 1e-8, 0.0, 1
        n = len(data)
        order = list(range(n))
        rng = random.Random(seed)
        sw = sample_weights or [1.0] * n
        for _ in range(epochs):
            rng.shuffle(order)
            for i in order:
                feats = data[i]
                z = bias + sum(weights.get(k, 0.0) * v for k, v in feats.items())
                g = (sigmoid(z) - labels[i]) * sw[i]
                bias_sq += g * g
                d = lr * g / math.sqrt(bias_sq)
                bias -= d
                if average:
                    bias_acc -= step * d
                for k, v in feats.items():
                    w = weights.get(k, 0.0)
                    gk = g * v + l2 * w
                    s = grad_sq.get(k, 1e-8) + gk * gk
                    grad_sq[k] = s
                    d = lr * gk / math.sqrt(s)
                    weights[k] = w - d
                    if average:
                        acc[k] = acc.get(k, 0.0) - step * d
                step += 1
        if average:
            weights = {k: w - acc.get(k, 0.0) / step for k, w in weights.items()}
            bias -= bias_acc / step
        weights = {k: round(w, 4) for k, w in weights.items() if abs(w) >= prune}
        return cls(weights, round(bias, 4))

    def to_dict(self) -> dict:
        """Compact form: newline-joined feature names and weights as integers (1e-4 units)."""
        keys = sorted(self.weights)
        return {
            "bias": self.bias,
            "keys": "\n".join(keys),
            "values": [int(round(self.weight(k) * WEIGHT_SCALE)) for k in keys],
        }

    @classmethod
    def from_dict(cls, d: dict) -> LogReg:
        if "weights" in d:
            return cls(dict(d["weights"]), float(d["bias"]))
        keys = d["keys"].split("\n") if d["keys"] else []
        if len(keys) != len(d["values"]):
            raise ValueError("corrupt model: keys and values differ in length")
        return cls(dict(zip(keys, d["values"], strict=True)), float(d["bias"]), 1.0 / WEIGHT_SCALE)


class MultiLogReg:
    """Several logistic regressions over the same features, scored in one pass."""

    def __init__(self, models: dict[str, LogReg]):
        self.names = list(models)
        self.biases = [m.bias for m in models.values()]
        # One weight row per feature (0.0 where a model lacks it): a text's features mostly share one
        # value (L2 scaling), so the rows of equal value are summed column-wise by zip/sum in C before
        # one multiplication. Built column by column with map() in C: it is most of the load time.
        keys = list(dict.fromkeys(chain.from_iterable(m.weights for m in models.values())))
        columns = [list(map(mul, map(m.weights.get, keys, repeat(0)), repeat(m.scale)))
                   for m in models.values()]
        self.table = dict(zip(keys, zip(*columns, strict=True), strict=True))

    @classmethod
    def from_dicts(cls, dicts: Mapping[str, dict]) -> MultiLogReg:
        """From the models' stored dicts (:meth:`LogReg.to_dict`); from a :class:`LogRegGroup` (a model
        file's form) straight from its columns, with no dict per model."""
        if not isinstance(dicts, LogRegGroup):
            return cls({t: LogReg.from_dict(d) for t, d in dicts.items()})
        multi = cls.__new__(cls)
        multi.names = list(dicts.biases)
        multi.biases = [float(b) for b in dicts.biases.values()]
        # The same products as __init__'s (stored integer times 1e-4; 0 where a model lacks the key).
        scale = 1.0 / WEIGHT_SCALE
        rows = zip(*(map(mul, column, repeat(scale)) for column in dicts.columns), strict=True)
        multi.table = dict(zip(dicts.key_list(), rows, strict=True))
        return multi

    def probs(self, feats: Features) -> dict[str, float]:
        z = list(self.biases)
        # Rows of features of equal value (in first-seen order) are summed column-wise in C. Grouped
        # in one pass, so dense inputs (each its own value, vectors.py) cost one row each.
        groups: dict[float, list] = {}
        for row, v in zip(map(self.table.get, feats), feats.values(), strict=True):
            same = groups.setdefault(v, [])
            if row is not None:
                same.append(row)
        for v, same in groups.items():
            if len(same) == 1:
                z = list(map(add, z, map(mul, same[0], repeat(v))))
            elif same:
                for i, s in enumerate(map(sum, zip(*same, strict=True))):
                    z[i] += s * v
        return {n: sigmoid(s) for n, s in zip(self.names, z, strict=True)}


class LogRegGroup(Mapping):
    """Several logistic regressions over one sorted key list, the form a model file keeps the topic
    models in (store.py). Reads as ``{name: LogReg.to_dict()}`` (each dict made when first asked for);
    :meth:`MultiLogReg.from_dicts` builds its table from the columns without them."""

    def __init__(self, biases: dict[str, float], keys: str, columns: Sequence[Sequence[int]],
                 absent: Sequence[Sequence[int]]):
        # columns[i][j]: model i's weight of key j in 1e-4 units, 0 where it has none (absent[i] lists
        # those j, so a stored weight of 0 stays apart from no weight).
        n = keys.count("\n") + 1 if keys else 0
        if not len(biases) == len(columns) == len(absent) or any(len(c) != n for c in columns):
            raise ValueError("corrupt model: a column's length differs from the keys'")
        self.biases, self.keys_text, self.columns, self.absent = biases, keys, columns, absent
        self._names = list(biases)
        self._dicts: dict[str, dict] = {}

    @classmethod
    def of(cls, dicts: Mapping[str, dict]) -> LogRegGroup:
        """From compact :meth:`LogReg.to_dict` dicts; names sorted (a model file's JSON order)."""
        names = sorted(dicts)
        split = {t: dicts[t]["keys"].split("\n") if dicts[t]["keys"] else [] for t in names}
        keys = sorted(set().union(*split.values()))
        index = {k: j for j, k in enumerate(keys)}
        columns, absent = [], []
        for t in names:
            column = [0] * len(keys)
            for k, v in zip(split[t], dicts[t]["values"], strict=True):
                column[index[k]] = v
            present = set(map(index.__getitem__, split[t]))
            absent.append([j for j in range(len(keys)) if j not in present])
            columns.append(column)
        return cls({t: dicts[t]["bias"] for t in names}, "\n".join(keys), columns, absent)

    def key_list(self) -> list[str]:
        return self.keys_text.split("\n") if self.keys_text else []

    def __getitem__(self, name: str) -> dict:
        d = self._dicts.get(name)
        if d is None:
            bias = self.biases[name]
            i = self._names.index(name)
            gone = set(self.absent[i])
            keep = [j for j in range(len(self.columns[i])) if j not in gone]
            keys, column = self.key_list(), self.columns[i]
            d = self._dicts[name] = {"bias": bias, "keys": "\n".join([keys[j] for j in keep]),
                                     "values": [column[j] for j in keep]}
        return d

    def __contains__(self, name: object) -> bool:
        return name in self.biases

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class NaiveBayes:
    """Binary multinomial naive Bayes stored as per-token log-likelihood ratios."""

    def __init__(self, ratios: dict[str, float] | None = None, prior: float = 0.0):
        self.ratios = ratios or {}
        self.prior = prior

    def decision(self, tokens: Iterable[str]) -> float:
        # Each token once, in first-seen order (a set's order follows the string-hash seed, and the
        # order of a float sum changes its last bits).
        return self.prior + sum(map(self.ratios.get, dict.fromkeys(tokens), repeat(0.0)))

    @classmethod
    def train(
        cls, docs: Sequence[Iterable[str]], labels: Sequence[int], alpha: float = 1.0, min_count: int = 3
    ) -> NaiveBayes:
        """Binarised multinomial NB (each token counted once per document)."""
        counts = [{}, {}]
        totals = [0, 0]
        ndocs = [0, 0]
        for toks, y in zip(docs, labels, strict=True):
            ndocs[y] += 1
            c = counts[y]
            for t in dict.fromkeys(toks):
                c[t] = c.get(t, 0) + 1
                totals[y] += 1
        # First-seen order, not a set's: the ratios keep one order whatever the string-hash seed.
        vocab = [t for t in counts[0] | counts[1] if counts[0].get(t, 0) + counts[1].get(t, 0) >= min_count]
        v = len(vocab)
        ratios = {}
        for t in vocab:
            p1 = (counts[1].get(t, 0) + alpha) / (totals[1] + alpha * v)
            p0 = (counts[0].get(t, 0) + alpha) / (totals[0] + alpha * v)
            r = math.log(p1 / p0)
            if abs(r) >= 0.05:
                ratios[t] = round(r, 3)
        prior = math.log(max(ndocs[1], 1) / max(ndocs[0], 1))
        return cls(ratios, prior)

    def to_dict(self) -> dict:
        return {"prior": self.prior, "ratios": self.ratios}

    @classmethod
    def from_dict(cls, d: dict) -> NaiveBayes:
        return cls(dict(d["ratios"]), float(d["prior"]))
