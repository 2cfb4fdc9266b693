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
DATA = ROOT / "tests" / "data"
# Pinned when each set was written (before any model change). Changing a set changes these on
# purpose only: a new blind set needs new scenarios and a note in benchmarks/README.md.
CHECKSUMS = {
    "blind": {
        "scenarios.tsv": "19b9847672efef6ce2075de25857186c3dbc628231991377ae228d686b4c718c",
        "opinions.jsonl": "918eb173919173af09e183234e972a18a4568e1775e859a8e0216252b17896ef",
    },
    # Written by someone who had read neither the model nor the first set (its README says how).
    "blind2": {
        "scenarios.tsv": "5c5ce4cf9eeb1e967905fa93d260e9c4bfd549c2cf369ea41d832fe9a929b0ba",
        "opinions.jsonl": "b8f5e7ba95b7eff0b0553470d4cfdb09ae610cbb49504207ca2c650793737455",
    },
    # Written by a helper who had read neither the model nor either earlier set (its README says how).
    "blind3": {
        "scenarios.tsv": "e58d8fcdadd27e83ffd8275b288b7169971500de83ab0aa4882985301eb40336",
        "opinions.jsonl": "e292b538dc4086a5f489af691e57cedb41752e1b03538555376d8f84585039e1",
    },
    # Written (wave 5) by a helper who had read neither the model nor any earlier set (its README says how).
    "blind4": {
        "scenarios.tsv": "6a859f0ef10381ff82fd4cc0ea41114728e6dbb6905dbc9c9a490f0a7491157d",
        "opinions.jsonl": "a9566bbf400114ba9e2dbbe975380b36f402f40de0e1132783de263eec440fc6",
    },
    # Written (wave 6) by a helper who had read neither the model nor any earlier set (its README says how).
    "blind5": {
        "scenarios.tsv": "e082a263a103fbdfe76f00073d2568aac70c336fba339c24b617dd8930a0167a",
        "opinions.jsonl": "90a69b1d74addd3eea462d25febc0cb0e4447a8457881106b68f25904f86367b",
    },
    # Written (wave 7) by a helper who had read neither the model nor any earlier set (its README says how).
    "blind6": {
        "scenarios.tsv": "3a58b57aae9b81d3432652295e0f8da9167b59cf32a7854f7817a4b94756a3be",
        "opinions.jsonl": "e9bea883b99077b6116f40223e4da7d114b101a44bc99bb8437e8382bcb1a380",
    },
    # Written (wave 8) by a helper who had read neither the model nor any earlier set (its README says how).
    "blind7": {
        "scenarios.tsv": "ee559f2982eb8757fa507e290822f7a8975fa5163cd0094d3f8a588a62f25243",
        "opinions.jsonl": "eb549a5034de3a8a2ed23527dd2d7e2af3f3edc8fc5a19e15de6f6a6fbd8ceb9",
    },
    # Written (wave 9) by a helper who had read neither the model nor any earlier set (its README says how).
    "blind8": {
        "scenarios.tsv": "de480d307f87ea63d3b0c6ac13f67af25f725358328b994d6d6ebf5a23cde292",
        "opinions.jsonl": "098349d36447707dd7c25a03d4b2047ea7fe80eb3469c504d5416b0db72d767e",
    },
    # Written (wave 11) by a helper who had read neither the model nor any earlier set (its README says how).
    "blind9": {
        "scenarios.tsv": "4ef37d8586e8d59ab00ec2227a9147c204f1ad35e25bc4ee5e29798b27ee39b5",
        "opinions.jsonl": "759e3a2b4ccb95f59ba8a9681473d25f5eecd7ed10f0cafc1c26e5a4bd9e9604",
    },
    # Written (wave 12) by a helper who had read neither the model nor any earlier set (its README says how).
    "blind10": {
        "scenarios.tsv": "598646450b5b703929adde5e6457e1e40cf096ead46d7fec5dfb2ff85d552147",
        "opinions.jsonl": "94281e87d123de42715166d877f76bb0e13336db8e027075e41427a729f16f80",
    },
    # Written (wave 13) by a helper who had read neither the model nor any earlier set (its README says how).
    "blind11": {
        "scenarios.tsv": "0ce4442fd9d71e05cb01744cdf53f909065e6bc776304949c5cb5735bbf92d4f",
        "opinions.jsonl": "13763ee86be0497cdf62c99a8107f9e432a3e41b58da882d40f031e4e87b6dab",
    },
    # Written (wave 14) by a helper who had read neither the model nor any earlier set (its README says how).
    "blind12": {
        "scenarios.tsv": "7fc1f205aeb573d1dcf85f9113ed394a70efb74376474568f4d88e963bee01b4",
        "opinions.jsonl": "9697514ed951834d20a062322f61e96ff08f9e79ff88f2c89aa95ef834c25f8f",
    },
    # Written (wave 15) by a helper who had read neither the model nor any earlier set (its README says how).
    "blind13": {
        "scenarios.tsv": "5de1d5d971709999c557b3f562a80396f4d605684cf7f17b87926b2dbebad41f",
        "opinions.jsonl": "8fb49300ff7ce3e76d75d788f0c338ec9faa62ce7ddaea5a808459db82da2065",
    },
}
STYLES = ("plain", "short", "long", "negation", "contrast", "sarcasm", "colloquial", "dialect", "mixed")
CASES = ("problem_then_thanks", "integrity_negation", "sarcasm", "polite_suggestion", "dialect",
         "positive_with_negative_word")
SETS = sorted(CHECKSUMS)


def rows_of(name: str) -> list[dict]:
    text = (DATA / name / "opinions.jsonl").read_text(encoding="utf-8")
    return [json.loads(x) for x in text.splitlines() if x]


def scenarios_of(name: str) -> list[dict]:
    text = (DATA / name / "scenarios.tsv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines(), delimiter="\t"))


@pytest.mark.parametrize(("name", "file"), [(n, f) for n in SETS for f in sorted(CHECKSUMS[n])])
def test_blind_files_are_frozen(name, file):
    assert hashlib.sha256((DATA / name / file).read_bytes()).hexdigest() == CHECKSUMS[name][file]


@pytest.mark.parametrize("name", SETS)
def test_blind_set_size_labels_and_coverage(name):
    rows, scenarios = rows_of(name), scenarios_of(name)
    assert len(rows) >= 400
    assert len({r["text"] for r in rows}) == len(rows)
    scenario_ids = {s["id"] for s in scenarios}
    for r in rows:
        assert r["sentiment"] in (0, 1)
        assert r["topics"] and set(r["topics"]) <= set(TOPICS)
        assert r["style"] in STYLES and r["case"] in (*CASES, None)
        assert r["scenario"] in scenario_ids and r["industry"] in INDUSTRIES
    assert {r["industry"] for r in rows} == set(INDUSTRIES)
    assert {s["industry"] for s in scenarios} == set(INDUSTRIES)
    topics = Counter(t for r in rows for t in r["topics"])
    assert all(topics[t] >= 25 for t in TOPICS), topics
    styles = Counter(r["style"] for r in rows)
    assert all(styles[s] >= 10 for s in STYLES), styles
    cases = Counter(r["case"] for r in rows)
    assert all(cases[c] >= 10 for c in CASES), cases
    assert 0.4 < sum(r["sentiment"] for r in rows) / len(rows) < 0.6


@pytest.mark.parametrize(("a", "b"), [(a, b) for i, a in enumerate(SETS) for b in SETS[i + 1:]])
def test_the_blind_sets_share_no_text(a, b):
    assert not {r["text"].strip() for r in rows_of(a)} & {r["text"].strip() for r in rows_of(b)}


@pytest.mark.parametrize("name", SETS)
def test_no_blind_text_is_in_the_training_data(name):
    blind = {r["text"].strip() for r in rows_of(name)}
    train = [json.loads(x)["text"].strip()
             for x in (ROOT / "tests/data/opinions.jsonl").read_text(encoding="utf-8").splitlines() if x]
    with gzip.open(LABELLED_PATH, "rt", encoding="utf-8") as fh:
        shipped = [json.loads(x)["text"].strip() for x in fh if x.strip()]
    assert not blind & set(train)
    assert not blind & set(shipped)


@pytest.mark.parametrize("name", SETS)
def test_training_refuses_to_read_the_blind_set(tmp_path, name):
    path = DATA / name / "opinions.jsonl"
    with pytest.raises(ValueError, match="blind"):
        load_labelled(path)
    with pytest.raises(ValueError, match="blind"):
        train_model(model_dir=tmp_path, labelled_path=path)
    # The same file elsewhere (no marker next to it) is readable: the refusal comes from the marker.
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(path.read_bytes())
    assert len(load_labelled(copy)) == len(rows_of(name))


def test_no_package_code_names_the_blind_directory():
    """Nothing in the package (training or runtime) refers to the blind set's files."""
    for path in (ROOT / "analytics").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "data/blind" not in text and "scenarios.tsv" not in text, path


@pytest.mark.parametrize("name", SETS)
def test_the_benchmark_reports_on_the_blind_set(name):
    assert f"tests/data/{name}/opinions.jsonl" in (ROOT / "benchmarks" / "nlp.py").read_text(encoding="utf-8")
