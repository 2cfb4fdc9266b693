"""Word vectors learned without labels (:mod:`.vectors_train`, gensim at training time only) as dense
inputs of the topic models: the direction of the opinion's (IDF-weighted) mean word vector, and its
cosine to each topic's cue-word centroid. Words the labelled opinions never used still land near the
words they did (排队, 等号, 叫号慢).

The shipped file is read with the standard library: gzip of a JSON header line (dimension, words)
then the unit vectors' components as signed bytes (x 127), one row per word."""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from array import array
from collections.abc import Sequence
from itertools import repeat
from operator import mul
from pathlib import Path

from .features import Parsed
from .lexicon import TOPIC_CUES
from .text import RESOURCES

DIM = 32
VECTORS_FILE = "word_vectors.bin"
VECTORS_DIR = RESOURCES  # where a model's vectors file is looked up (by name: models stay portable)
_FORMAT = "wwvec1"


def write_vectors(path: Path | str, words: Sequence[str], rows: Sequence[Sequence[float]]) -> None:
    """Write unit vectors quantized to signed bytes (format of :func:`read_vectors`)."""
    dim = len(rows[0]) if rows else DIM
    data = array("b", (max(-127, min(127, round(x * 127))) for r in rows for x in r))
    header = json.dumps({"format": _FORMAT, "dim": dim, "words": list(words)}, ensure_ascii=False)
    # mtime=0: the same vectors give the same bytes (the model records the file's digest).
    with open(path, "wb") as fh, gzip.GzipFile(filename="", fileobj=fh, mode="wb", mtime=0) as gz:
        gz.write(header.encode("utf-8") + b"\n" + data.tobytes())


def read_vectors(path: Path | str) -> tuple[dict[str, tuple[int, ...]], int, str]:
    """``(word -> quantized vector, dimension, sha256 of the file)``."""
    raw = Path(path).read_bytes()
    body = gzip.decompress(raw)
    cut = body.index(b"\n")
    header = json.loads(body[:cut])
    if header.get("format") != _FORMAT:
        raise ValueError(f"{path}: not a word-vector file of this project")
    dim = int(header["dim"])
    data = array("b")
    data.frombytes(body[cut + 1 :])
    words = header["words"]
    if len(data) != dim * len(words):
        raise ValueError(f"{path}: {len(words)} words but {len(data)} components")
    table = {w: tuple(data[i * dim : (i + 1) * dim]) for i, w in enumerate(words)}
    return table, dim, hashlib.sha256(raw).hexdigest()


def vector_config(settings: dict, path: Path | str | None = None) -> dict:
    """A model's ``topic_vectors`` entry: the shipped file's name and digest (a model refuses other
    vectors) and the feature ``settings`` (``mean``, ``cues`` scales; ``idf`` weighting)."""
    path = Path(path) if path else VECTORS_DIR / VECTORS_FILE
    return {"file": path.name, "sha256": read_vectors(path)[2], **settings}


def _unit(v: Sequence[float]) -> list[float] | None:
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v] if n > 0 else None


class TopicVectors:
    """The vectors and the topics' cue centroids, and the dense features they give a text."""

    def __init__(self, table: dict[str, tuple[int, ...]], dim: int, config: dict, idf: dict[str, float],
                 idf_default: float):
        self.dim = dim
        self.mean_scale = float(config.get("mean", 0.0))
        self.cue_scale = float(config.get("cues", 0.0))
        self.raw = table
        # Each word's vector times its weight (IDF or 1), made when the word is first met: a text's sum
        # is then additions only, and loading does not weigh all the words.
        self.idf = idf if config.get("idf") else None
        self.idf_default = idf_default
        self.table: dict[str, tuple[float, ...] | None] = {}
        self._keys = [f"e:{i}" for i in range(dim)]
        self.centroids = {}
        for topic, cues in TOPIC_CUES.items():
            c = _unit(list(map(sum, zip(*(table[w] for w in cues if w in table), strict=True)))) if any(
                w in table for w in cues) else None
            if c is not None:
                self.centroids["es:" + topic] = c

    @classmethod
    def load(cls, config: dict, idf: dict[str, float], idf_default: float,
             path: Path | str | None = None) -> TopicVectors:
        """From a model's ``topic_vectors`` entry; the file must be the one it was trained with."""
        table, dim, digest = read_vectors(path or VECTORS_DIR / config.get("file", VECTORS_FILE))
        if config.get("sha256") and config["sha256"] != digest:
            raise ValueError("word vectors differ from the ones the model was trained with")
        return cls(table, dim, config, idf, idf_default)

    def _weigh(self, word: str) -> tuple[float, ...] | None:
        v = self.raw.get(word)
        if v is not None:
            w = self.idf.get(word, self.idf_default) if self.idf is not None else 1.0
            v = tuple(map(mul, v, repeat(w)))
        if len(self.table) < 200_000:  # bounded: unknown words are remembered too
            self.table[word] = v
        return v

    def mean(self, tokens: Sequence[str]) -> list[float] | None:
        """Unit direction of the (weighted) sum of the known tokens' vectors; None if none is known."""
        table = self.table
        rows = [table[t] if t in table else self._weigh(t) for t in tokens]
        rows = list(filter(None, rows))
        if not rows:
            return None
        return _unit(list(map(sum, zip(*rows, strict=True)))) if len(rows) > 1 else _unit(rows[0])

    def features(self, parsed: Parsed) -> dict[str, float]:
        """``e:i`` (the mean direction, scaled) and ``es:topic`` (cosine to the cue centroid, scaled)."""
        mean = self.mean(parsed.tokens)
        if mean is None:
            return {"e:none": 1.0}
        out: dict[str, float] = {}
        if self.mean_scale:
            out.update(zip(self._keys, map(mul, mean, repeat(self.mean_scale)), strict=True))
        if self.cue_scale:
            s = self.cue_scale
            for key, c in self.centroids.items():
                out[key] = s * sum(map(mul, mean, c))
        return out
