"""The blind evaluation set (issue 17): frozen, complete, and out of reach of every training path."""

import csv
import gzip
import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from analytics.nlp import TOPICS
from analytics.nlp.training import LABELLED_PATH, load_labelled, train_model
from feedback_api.models.reference import INDUSTRIES

ROOT = Path(__file__).resolve().parents[2]
BLIND = ROOT / "tests" / "data" / "blind"
# Pinned when the set was written (before any model change). Changing the set changes these on
# purpose only: a new blind set needs new scenarios and a note in benchmarks/README.md.
CHECKSUMS = {
    "scenarios.tsv": "19b9847672efef6ce2075de25857186c3dbc628231991377ae228d686b4c718c",
    "opinions.jsonl": "918eb173919173af09e183234e972a18a4568e1775e859a8e0216252b17896ef",
}
STYLES = ("plain", "short", "long", "negation", "contrast", "sarcasm", "colloquial", "dialect", "mixed")
CASES = ("problem_then_thanks", "integrity_negation", "sarcasm", "polite_suggestion", "dialect",
         "positive_with_negative_word")
ROWS = [json.loads(x) for x in (BLIND / "opinions.jsonl").read_text(encoding="utf-8").splitlines() if x]
SCENARIOS = list(csv.DictReader((BLIND / "scenarios.tsv").read_text(encoding="utf-8").splitlines(), delimiter="\t"))


@pytest.mark.parametrize("name", sorted(CHECKSUMS))
def test_blind_files_are_frozen(name):
    assert hashlib.sha256((BLIND / name).read_bytes()).hexdigest() == CHECKSUMS[name]


def test_blind_set_size_labels_and_coverage():
    assert len(ROWS) >= 400
    assert len({r["text"] for r in ROWS}) == len(ROWS)
    scenario_ids = {s["id"] for s in SCENARIOS}
    for r in ROWS:
        assert r["sentiment"] in (0, 1)
        assert r["topics"] and set(r["topics"]) <= set(TOPICS)
        assert r["style"] in STYLES and r["case"] in (*CASES, None)
        assert r["scenario"] in scenario_ids and r["industry"] in INDUSTRIES
    assert {r["industry"] for r in ROWS} == set(INDUSTRIES)
    assert {s["industry"] for s in SCENARIOS} == set(INDUSTRIES)
    topics = Counter(t for r in ROWS for t in r["topics"])
    assert all(topics[t] >= 25 for t in TOPICS), topics
    styles = Counter(r["style"] for r in ROWS)
    assert all(styles[s] >= 10 for s in STYLES), styles
    cases = Counter(r["case"] for r in ROWS)
    assert all(cases[c] >= 10 for c in CASES), cases
    assert 0.4 < sum(r["sentiment"] for r in ROWS) / len(ROWS) < 0.6


def test_no_blind_text_is_in_the_training_data():
    blind = {r["text"].strip() for r in ROWS}
    train = [json.loads(x)["text"].strip()
             for x in (ROOT / "tests/data/opinions.jsonl").read_text(encoding="utf-8").splitlines() if x]
    with gzip.open(LABELLED_PATH, "rt", encoding="utf-8") as fh:
        shipped = [json.loads(x)["text"].strip() for x in fh if x.strip()]
    assert not blind & set(train)
    assert not blind & set(shipped)


def test_training_refuses_to_read_the_blind_set(tmp_path):
    with pytest.raises(ValueError, match="blind"):
        load_labelled(BLIND / "opinions.jsonl")
    with pytest.raises(ValueError, match="blind"):
        train_model(model_dir=tmp_path, labelled_path=BLIND / "opinions.jsonl")
    # The same file elsewhere (no marker next to it) is readable: the refusal comes from the marker.
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes((BLIND / "opinions.jsonl").read_bytes())
    assert len(load_labelled(copy)) == len(ROWS)


def test_no_package_code_names_the_blind_directory():
    """Nothing in the package (training or runtime) refers to the blind set's files."""
    for path in (ROOT / "analytics").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "data/blind" not in text and "scenarios.tsv" not in text, path


def test_the_benchmark_reports_on_the_blind_set():
    assert "tests/data/blind/opinions.jsonl" in (ROOT / "benchmarks" / "nlp.py").read_text(encoding="utf-8")
