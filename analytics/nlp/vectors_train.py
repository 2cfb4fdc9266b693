"""Training-time only: word vectors learned without labels (gensim Word2Vec) over the public review
corpora of ``../shared/data`` and the training opinions' texts, tokenized by the pipeline's own
tokenizer, quantized and written in the shipped format of :mod:`.vectors`.

    pip install -e '.[vectors]'
    python -m analytics.nlp.vectors_train --data ../shared/data --out analytics/nlp/resources/word_vectors.bin

Never reads a blind set: the opinions' texts come from :func:`.training.load_labelled`, which refuses
them. gensim is an optional dependency (the ``vectors`` extra); the run time reads the file with the
standard library only."""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .vectors import DIM, write_vectors

CORPORA = ("online_shopping_10_cats.csv", "ChnSentiCorp_htl_all.csv")


def corpus_texts(data_dir: Path) -> list[str]:
    """The review texts of the public corpora (duplicates, such as the hotel reviews both hold, once)."""
    seen: set[str] = set()
    out = []
    for name in CORPORA:
        path = data_dir / name
        if not path.exists():
            continue
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                text = (row.get("review") or "").strip().lstrip("\ufeff")
                if text and text not in seen:
                    seen.add(text)
                    out.append(text)
    return out


def tokenize(pipe, texts: Iterable[str]) -> list[list[str]]:
    """Token lists of ``texts`` as the pipeline reads them (masking, normalisation, segmentation)."""
    return [toks for toks in (pipe.prepare(t)[2].tokens for t in texts) if toks]


def train(sentences: list[list[str]], dim: int = DIM, min_count: int = 5, epochs: int = 10,
          seed: int = 17, sg: int = 1, window: int = 5):
    """A gensim Word2Vec model over ``sentences`` (one worker: the same vectors for the same input)."""
    from gensim.models import Word2Vec  # training-time extra only

    return Word2Vec(sentences=sentences, vector_size=dim, window=window, min_count=min_count, sg=sg,
                    epochs=epochs, seed=seed, workers=1)


def export(w2v, keep: Iterable[str], path: Path) -> int:
    """Write the unit-length vectors of the words in ``keep`` (that the model knows); their count."""
    words, rows = [], []
    for w in keep:
        if w in w2v.wv.key_to_index:
            v = [float(x) for x in w2v.wv[w]]
            n = math.sqrt(sum(x * x for x in v)) or 1.0
            words.append(w)
            rows.append([x / n for x in v])
    write_vectors(path, words, rows)
    return len(words)


def main(argv=None) -> int:
    from .pipeline import get_pipeline
    from .training import load_labelled

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--dim", type=int, default=DIM)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--max-words", type=int, default=20000, help="most frequent words kept in the file")
    ap.add_argument("--no-opinions", action="store_true", help="the public corpora only")
    ns = ap.parse_args(argv)
    pipe = get_pipeline()
    texts = corpus_texts(ns.data)
    if not ns.no_opinions:
        texts += [e.text for e in load_labelled()]
    sentences = tokenize(pipe, texts)
    w2v = train(sentences, ns.dim, ns.min_count, ns.epochs)
    freq = Counter(t for s in sentences for t in s)
    keep = [w for w, c in freq.most_common() if c >= ns.min_count][: ns.max_words]
    n = export(w2v, keep, ns.out)
    print(f"{len(texts)} texts, {sum(map(len, sentences))} tokens; {n} words x {ns.dim} -> {ns.out} "
          f"({ns.out.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
