"""The labelled opinion set: size, coverage, fixed split and the copy shipped in the package."""

import gzip
import hashlib
import json
from collections import Counter
from pathlib import Path

from analytics.nlp import TOPICS
from analytics.nlp.training import LABELLED_PATH, load_labelled

DATA = Path(__file__).resolve().parents[1] / "data" / "opinions.jsonl"
SCENARIOS = DATA.with_name("opinions_scenarios.tsv")
ROWS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_size_and_fields():
    assert len(ROWS) >= 600
    for r in ROWS:
        assert r["sentiment"] in (0, 1)
        assert r["topics"] and all(t in TOPICS for t in r["topics"])
        assert r["split"] in ("train", "test")
    assert len({r["text"] for r in ROWS}) == len(ROWS)


def test_coverage_of_topics_kinds_and_labels():
    topics = Counter(t for r in ROWS for t in r["topics"])
    assert all(topics[t] >= 40 for t in TOPICS)
    kinds = Counter(r["kind"] for r in ROWS)
    for kind in ("plain", "negation", "contrast", "sarcasm", "short", "dialect", "typo", "long"):
        assert kinds[kind] >= 10, kind
    labels = Counter(r["sentiment"] for r in ROWS)
    assert min(labels.values()) / len(ROWS) > 0.35


def test_scenario_rows_match_the_scenario_list():
    lines = SCENARIOS.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["id", "industry", "happened", "feeling", "phrasing"]
    listed = [line.split("\t") for line in lines[1:] if line.strip()]
    assert all(len(x) == 5 for x in listed)
    industry = {x[0]: x[1] for x in listed}
    assert len(industry) == len(listed)  # ids are unique
    assert len(set(industry.values())) == 12
    written = [r for r in ROWS if r.get("scenario")]
    for r in written:
        assert industry[r["scenario"]] == r["industry"], r["text"]
    assert {r["scenario"] for r in written} == set(industry)  # every scenario has its opinions


def test_split_follows_the_hash_rule():
    for r in ROWS:
        h = int(hashlib.md5(r["text"].encode()).hexdigest(), 16)
        assert r["split"] == ("test" if h % 10 < 3 else "train")
    assert 0.2 <= sum(r["split"] == "test" for r in ROWS) / len(ROWS) <= 0.4


def test_package_copy_matches_tests_data():
    with gzip.open(LABELLED_PATH, "rt", encoding="utf-8") as fh:
        shipped = [json.loads(line) for line in fh if line.strip()]
    assert shipped == ROWS
    assert len(load_labelled()) == len(ROWS)
