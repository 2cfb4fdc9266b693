"""Word vectors as topic inputs (analytics/nlp/vectors.py): the shipped format, the features, the
training switch, and models without vectors unchanged."""

from __future__ import annotations

import gzip
import math

import pytest

from analytics.nlp import training_layers as T
from analytics.nlp import vectors as V
from analytics.nlp.features import Parsed
from analytics.nlp.pipeline import Pipeline
from analytics.nlp.topics import topic_features


def _unit(v):
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


# Three "waiting" words pointing one way, three "environment" words another, one word apart.
WORDS = {"排队": [1, 0.2, 0, 0], "等号": [0.9, 0.3, 0, 0.1], "叫号": [1, 0.1, 0.1, 0],
         "干净": [0, 0, 1, 0.2], "整洁": [0.1, 0, 0.9, 0.3], "卫生": [0, 0.1, 1, 0], "发票": [0, 0, 0, 1]}


@pytest.fixture
def vec_file(tmp_path, monkeypatch):
    path = tmp_path / V.VECTORS_FILE
    V.write_vectors(path, list(WORDS), [_unit(v) for v in WORDS.values()])
    monkeypatch.setattr(V, "VECTORS_DIR", tmp_path)
    return path


def test_round_trip_quantized_and_fingerprinted(vec_file, tmp_path):
    table, dim, digest = V.read_vectors(vec_file)
    assert dim == 4 and set(table) == set(WORDS)
    for w, v in WORDS.items():
        assert all(abs(q / 127 - x) <= 0.5 / 127 + 1e-9 for q, x in zip(table[w], _unit(v), strict=True))
    again = tmp_path / "again.bin"
    V.write_vectors(again, list(WORDS), [_unit(v) for v in WORDS.values()])
    assert V.read_vectors(again)[2] == digest  # same vectors, same bytes
    bad = tmp_path / "bad.bin"
    bad.write_bytes(gzip.compress(b'{"format": "other", "dim": 4, "words": []}\n'))
    with pytest.raises(ValueError, match="not a word-vector file"):
        V.read_vectors(bad)
    short = tmp_path / "short.bin"
    short.write_bytes(gzip.compress(b'{"format": "wwvec1", "dim": 4, "words": ["a"]}\n\x01\x02'))
    with pytest.raises(ValueError, match="components"):
        V.read_vectors(short)


def test_features_place_unseen_words_near_their_kind(vec_file):
    table, dim, _ = V.read_vectors(vec_file)
    tv = V.TopicVectors(table, dim, {"mean": 2.0, "cues": 0.0, "idf": False}, {}, 1.0)

    def mean(tokens):
        f = tv.features(Parsed("".join(tokens), [tokens]))
        return [f[f"e:{i}"] / 2.0 for i in range(dim)]

    a, b, c = mean(["排队", "太", "久"]), mean(["等号"]), mean(["整洁"])
    cos = lambda x, y: sum(p * q for p, q in zip(x, y, strict=True))  # noqa: E731 - unit vectors
    assert cos(a, b) > 0.9 > 0.3 > cos(a, c)
    assert abs(cos(a, a) - 1.0) < 1e-9
    assert tv.features(Parsed("哈哈", [["哈哈"]])) == {"e:none": 1.0}


def test_cue_similarities_follow_the_topic_cue_words(vec_file):
    table, dim, _ = V.read_vectors(vec_file)
    tv = V.TopicVectors(table, dim, {"mean": 0.0, "cues": 1.0, "idf": False}, {}, 1.0)
    assert "es:environment" in tv.centroids  # 干净/整洁/卫生 are environment cues in the lexicon
    f = tv.features(Parsed("整洁", [["整洁"]]))
    assert not any(k.startswith("e:") for k in f)
    others = [v for k, v in f.items() if k != "es:environment"]
    assert f["es:environment"] > 0.8 and f["es:environment"] > max(others)


def test_model_without_vectors_reads_as_before():
    from analytics.nlp import get_pipeline

    pipe = get_pipeline()
    assert "topic_vectors" not in pipe.model and pipe.topic_vectors is None
    parsed = pipe.prepare("排队等了半天，工作人员态度还行")[2]
    assert pipe.topic_inputs(parsed) == topic_features(parsed, pipe.topic_v4)


def test_switch_trains_and_loads_vector_inputs(small_layers, vec_file, monkeypatch):
    pipe, base, examples = small_layers
    monkeypatch.setattr(T, "TOPIC_VECTORS", True)
    model = T.train_layers(base, examples, tokenizer=pipe.tokenizer)
    entry = model["topic_vectors"]
    assert entry["file"] == V.VECTORS_FILE and entry["sha256"] == V.read_vectors(vec_file)[2]
    assert entry["idf"] is T.VECTOR_SETTINGS["idf"]
    weights = set().union(*(m["keys"].split("\n") for m in model["topics"].values()))
    assert {"es:environment", "e:0"} <= weights
    loaded = Pipeline(model, tokenizer=pipe.tokenizer)
    parsed = loaded.prepare("大厅很整洁，排队的人不多")[2]
    assert "es:environment" in loaded.topic_inputs(parsed)
    assert loaded.analyze("大厅很整洁，排队的人不多").topics
    # Other vectors than the ones trained with are refused, not silently misread.
    V.write_vectors(vec_file, ["排队"], [[1.0, 0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="differ"):
        Pipeline(model, tokenizer=pipe.tokenizer)
