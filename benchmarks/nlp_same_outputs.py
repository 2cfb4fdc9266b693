"""Dump every field of the pipeline's analysis of known texts, to check that a code change leaves the
outputs bit-identical: run it on the code before and after (``PYTHONPATH`` picks the code) and compare
the two files byte for byte (``cmp``).

    PYTHONPATH=/path/to/old/tree python benchmarks/nlp_same_outputs.py /tmp/before.jsonl
    python benchmarks/nlp_same_outputs.py /tmp/after.jsonl && cmp /tmp/before.jsonl /tmp/after.jsonl

Texts: every opinion of tests/data/opinions.jsonl and every input of tests/data/masking.jsonl (no blind
set), each without a rating and with 1, 3 and 5; models: the active one and the given ``--versions``
(older formats and features: v1 has no calibration, v7 a second topic stage). Floats are written with
``repr``, so equal lines mean equal bits."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def texts() -> list[str]:
    out = []
    for name, key in (("opinions.jsonl", "text"), ("masking.jsonl", "input")):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)[key])
    return out


def rows(pipe, items: list[str], ratings=(None, 1, 3, 5)):
    for text in items:
        parsed = pipe.prepare(text)[2]
        scores = pipe.topic_scores(parsed) if parsed.clauses else None
        first = None
        for rating in ratings:
            r = pipe.analyze(text, rating)
            if first is None:
                first = r
            elif (r.topics, r.keywords, r.masked, r.flags, r.tokens, r.text_sentiment, r.uncertainty) != (
                    first.topics, first.keywords, first.masked, first.flags, first.tokens,
                    first.text_sentiment, first.uncertainty):
                raise AssertionError(f"a rating changed more than the sentiment: {text!r}")
            yield {"v": r.model_version, "rating": rating, "text": r.text, "sentiment": repr(r.sentiment),
                   "topics": [(t, repr(c)) for t, c in r.topics], "keywords": r.keywords, "masked": r.masked,
                   "flags": r.flags, "tokens": r.tokens, "text_sentiment": repr(r.text_sentiment),
                   "uncertainty": repr(r.uncertainty), "to_dict": r.to_dict(),
                   "scores": None if scores is None else {t: repr(p) for t, p in scores.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--versions", nargs="*", default=["v7", "v1"],
                    help="versions besides the active one (every 10th text)")
    ap.add_argument("--dir", default=None,
                    help="model directory of those versions (default: the shipped one)")
    ns = ap.parse_args()
    from analytics.nlp import pipeline, store

    print("code:", pipeline.__file__, file=sys.stderr)
    items = texts()
    active = pipeline.get_pipeline()
    n = 0
    with open(ns.out, "w", encoding="utf-8") as fh:
        plan = [(active, items)] + [(pipeline.Pipeline(*store.load_model(ns.dir or store.SHIPPED_DIR, v),
                                                       tokenizer=active.tokenizer), items[::10])
                                    for v in ns.versions]
        for pipe, some in plan:
            for row in rows(pipe, some):
                fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
                n += 1
    print(f"{n} rows ({len(items)} texts) -> {ns.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
