"""The model's outputs, and what a training builds, do not depend on Python's string-hash seed: a
stored analysis is reproduced bit for bit by another process, and so is a training run. Summing
floats in set or dict order that follows string hashes changes the last bits (addition is not
associative), and near a threshold that flips a topic or a sentiment."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCORING = """
import json
from analytics.nlp import get_pipeline
from analytics.nlp.features import general_features, sentiment_features
pipe = get_pipeline()
lines = open("tests/data/opinions.jsonl", encoding="utf-8").read().splitlines()[::20]
for line in lines:
    text = json.loads(line)["text"]
    r = pipe.analyze(text, 3)
    parsed = pipe.prepare(text)[2]
    print(json.dumps({
        "sentiment": r.sentiment, "text_sentiment": r.text_sentiment, "uncertainty": r.uncertainty,
        "topics": r.topics, "keywords": r.keywords, "flags": r.flags, "masked": r.masked, "tokens": r.tokens,
        "topic_scores": pipe.topic_scores(parsed) if parsed.clauses else None,
        "general": pipe.general.decision(general_features(parsed, sentiment_features(parsed)[0])),
        "snow": pipe.snow.decision(parsed.tokens),
    }, ensure_ascii=False))
"""

TRAINING = """
import json
from analytics.nlp import get_pipeline
from analytics.nlp import training_layers as T
from analytics.nlp.training import load_labelled
from analytics.nlp.training_general import build_idf, cluster_balance_weights, train_general, train_snow_nb
pipe = get_pipeline()
examples = [e for e in load_labelled() if e.split == "train"]
# The general layer on a few hundred opinions (its corpora are not shipped): the same code paths.
docs = [(pipe.prepare(e.text)[2], e.sentiment) for e in examples[::10] if e.sentiment is not None]
idf = build_idf([p.tokens for p, _ in docs], min_df=2)
snow = train_snow_nb(docs).to_dict()
print(json.dumps({"weights": cluster_balance_weights(docs, k=4),
                  "general": train_general(docs, min_df=2, epochs=2, seeds=(13,)).to_dict(),
                  "snow_nb": snow, "snow_nb_order": list(snow["ratios"]), "idf": idf,
                  # The table's ranking: its size limit cuts it there, among words of equal count too.
                  "idf_ranking": list(idf["table"])}, ensure_ascii=False))
# The domain layer and the topics as small_layers (conftest.py) trains them.
T.CV_FOLDS = 3
T.TOPIC_PARAMS = dict(T.TOPIC_PARAMS, epochs=3)
T.DOMAIN_PARAMS = dict(T.DOMAIN_PARAMS, epochs=3)
base = {k: v for k, v in pipe.model.items() if k not in ("topics", "domain")}
print(json.dumps(T.train_layers(base, examples[::12], pipe.tokenizer, "seeded"), ensure_ascii=False))
"""


def _run_under_seeds(code: str, seeds=("1", "2")) -> list[str]:
    """stdout of ``code`` run in one process per hash seed (the processes run side by side)."""
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, encoding="utf-8",
                              env={**os.environ, "PYTHONHASHSEED": seed, "HF_HUB_OFFLINE": "1"})
             for seed in seeds]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        outs.append(out)
    return outs


def _differences(a: str, b: str) -> list[tuple[int, str, object, object]]:
    """``(row, field, first, second)`` wherever two runs' JSON lines differ (floats compared with ==:
    JSON keeps a float's shortest exact repr)."""
    rows_a, rows_b = [json.loads(x) for x in a.splitlines()], [json.loads(x) for x in b.splitlines()]
    assert len(rows_a) == len(rows_b)
    return [(i, k, ra[k], rb.get(k)) for i, (ra, rb) in enumerate(zip(rows_a, rows_b, strict=True))
            for k in ra if ra[k] != rb.get(k)]


def test_scores_do_not_depend_on_the_hash_seed():
    first, second = _run_under_seeds(SCORING)
    assert len(first.splitlines()) > 300
    diffs = _differences(first, second)
    assert not diffs, f"{len(diffs)} fields differ, e.g. {diffs[:5]}"


def test_training_does_not_depend_on_the_hash_seed():
    first, second = _run_under_seeds(TRAINING)
    general, layers = (json.loads(x) for x in first.splitlines())
    assert general["general"]["keys"] and general["idf"]["table"] and layers["topics"]["process"]["keys"]
    diffs = _differences(first, second)
    fields = sorted({(row, k) for row, k, _, _ in diffs})
    assert not diffs, f"training differs between hash seeds in {fields}"
