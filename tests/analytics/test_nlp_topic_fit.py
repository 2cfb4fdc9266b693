"""How one topic's first-stage model is fitted (issue 17, wave 8): the weight of its positive opinions and
NB scaling (Wang & Manning 2012), both folded into a plain logistic regression over the same features."""

import math

import pytest

from analytics.nlp import TOPICS
from analytics.nlp import training_layers as T
from analytics.nlp.linear import LogReg
from analytics.nlp.pipeline import Pipeline
from analytics.nlp.topic_fit import log_count_ratios, positive_weight, train_topic

PARAMS = {"epochs": 6, "lr": 0.3, "l2": 2e-3, "prune": 1e-3, "average": True}


def _rows():
    # "t:退税" marks the topic, "t:窗口" is everywhere, "cue:process" is a dense cue count.
    rows, labels = [], []
    for i in range(60):
        y = int(i % 4 == 0)
        x = {"t:窗口": 0.5, "c:窗口": 0.5}
        if y:
            x["t:退税"] = 0.5
        if i % 3 == 0 and not y:
            x["t:排队"] = 0.5
            x["cue:process"] = 1.0
        rows.append(x)
        labels.append(y)
    return rows, labels


def test_positive_weight_modes():
    assert positive_weight(100, 10, "cap3") == 3.0  # 90/10/2 = 4.5, capped
    assert positive_weight(100, 40, "cap3") == 1.0  # 60/40/2 = 0.75, floored
    assert positive_weight(100, 10, "balanced") == 9.0
    assert positive_weight(100, 60, "balanced") == 1.0
    assert positive_weight(100, 10, "none") == 1.0
    with pytest.raises(ValueError):
        positive_weight(100, 10, "heavy")


def test_log_count_ratios_favour_the_topics_words_and_skip_dense_cues():
    rows, labels = _rows()
    r = log_count_ratios(rows, labels)
    assert r["t:退税"] > 1.0 > abs(r["t:窗口"])
    assert "cue:process" not in r
    # Smoothed: a word only in the negatives is negative, finite.
    assert -10 < r["t:排队"] < r["t:窗口"] < r["t:退税"]
    # Each share is over its own class's feature counts.
    pos = [x for x, y in zip(rows, labels, strict=True) if y]
    neg = [x for x, y in zip(rows, labels, strict=True) if not y]
    keys = {k for x in rows for k in x if not k.startswith("cue:")}
    n1 = sum(1 for x in pos for k in x if k in keys) + len(keys)
    n0 = sum(1 for x in neg for k in x if k in keys) + len(keys)
    expect = math.log((len(pos) + 1) / n1) - math.log((len(neg) + 1) / n0)
    assert r["t:窗口"] == pytest.approx(expect)


def test_default_fit_is_the_plain_regression_of_earlier_versions():
    rows, labels = _rows()
    pos_w = positive_weight(len(labels), sum(labels))
    plain = LogReg.train(rows, labels, [pos_w if y else 1.0 for y in labels], **PARAMS)
    got = train_topic(rows, labels, PARAMS)
    assert got.weights == plain.weights and got.bias == plain.bias


def test_nb_scaling_is_folded_into_the_weights():
    rows, labels = _rows()
    r = log_count_ratios(rows, labels)
    pos_w = positive_weight(len(labels), sum(labels))
    sw = [pos_w if y else 1.0 for y in labels]
    scaled = LogReg.train([{k: v * r.get(k, 1.0) for k, v in x.items()} for x in rows], labels, sw, **PARAMS)
    nb = train_topic(rows, labels, PARAMS, nb="nb")
    # The stored model reads the unscaled features and gives the scaled model's decision.
    for x in rows:
        assert nb.decision(x) == pytest.approx(scaled.decision({k: v * r.get(k, 1.0) for k, v in x.items()}),
                                               abs=1e-3)
    assert nb.weight("cue:process") == scaled.weight("cue:process")  # dense cues unscaled
    assert nb.prob({"t:退税": 0.5, "t:窗口": 0.5}) > 0.5 > nb.prob({"t:窗口": 0.5})
    # "mix": the mean of the scaled and the plain regression's logits, one set of weights.
    plain = LogReg.train(rows, labels, sw, **PARAMS)
    mix = train_topic(rows, labels, PARAMS, nb="mix")
    for x in rows:
        assert mix.decision(x) == pytest.approx((nb.decision(x) + plain.decision(x)) / 2, abs=1e-3)
    with pytest.raises(ValueError):
        train_topic(rows, labels, PARAMS, nb="svm")


def test_training_with_the_switches_gives_a_model_the_pipeline_loads(small_layers, monkeypatch):
    pipe, base, examples = small_layers
    monkeypatch.setattr(T, "TOPIC_NB", "mix")
    monkeypatch.setattr(T, "TOPIC_WEIGHTING", "balanced")
    model = T.train_layers(base, examples, pipe.tokenizer, "v-test")
    loaded = Pipeline(model, tokenizer=pipe.tokenizer)
    assert set(loaded.topic_model.names) == set(TOPICS)
    r = loaded.analyze("材料要求写得清清楚楚，网上预约也方便，一次就办好了")
    assert r.topics and all(t in TOPICS for t, _ in r.topics)


def test_character_trigrams_only_for_models_trained_with_them():
    from analytics.nlp import store
    from analytics.nlp.features import parse
    from analytics.nlp.topics import topic_features

    # v11: topic scores straight from the first stage (the active model may add a second stage).
    pipe = Pipeline.load(store.SHIPPED_DIR, "v11")
    parsed = parse(pipe.tokenizer, "退税窗口材料清单写得清楚")
    plain = topic_features(parsed, True)
    tri = topic_features(parsed, True, chars3=True)
    assert not any(k.startswith("c3:") for k in plain)
    assert "c3:退税窗" in tri and "c3:写得清" in tri
    bag = [k for k in tri if k.startswith(("t:", "b:", "c:", "c3:"))]
    assert [tri[k] for k in bag] == pytest.approx([2.0 / len(bag) ** 0.5] * len(bag))  # one L2-scaled bag
    assert {k: v for k, v in tri.items() if k.startswith("cue")} == \
        {k: v for k, v in plain.items() if k.startswith("cue")}
    # A model without the key reads no trigrams (older versions unchanged); one with it does.
    assert not pipe.topic_chars3
    topics = dict(pipe.model["topics"])
    topics["process"] = LogReg({"c3:退税窗": 8.0}, -1.0).to_dict()
    model = dict(pipe.model, topics=topics)
    without = Pipeline(model, tokenizer=pipe.tokenizer).topic_scores(parsed)["process"]
    with_tri = Pipeline(dict(model, topic_chars3=True), tokenizer=pipe.tokenizer).topic_scores(parsed)["process"]
    assert without == pytest.approx(1 / (1 + math.exp(1.0)), abs=1e-3)
    assert with_tri > 0.6 > without


def test_weighting_none_fits_the_positives_at_weight_one(monkeypatch):
    # Wave 13's candidate P1 (training --topic-weighting none): the unweighted regression, which
    # differs from the default's (positives at 1.5 here: 45/15/2).
    rows, labels = _rows()
    plain = LogReg.train(rows, labels, [1.0] * len(labels), **PARAMS)
    got = train_topic(rows, labels, PARAMS, "none")
    assert got.weights == plain.weights and got.bias == plain.bias
    default = train_topic(rows, labels, PARAMS)
    assert default.prob({"t:退税": 0.5}) > got.prob({"t:退税": 0.5})
    monkeypatch.setattr(T, "TOPIC_PARAMS", PARAMS)
    monkeypatch.setattr(T, "TOPIC_WEIGHTING", "none")
    trained = T._train_topics([(x, {"process"} if y else set()) for x, y in zip(rows, labels, strict=True)])
    assert trained["process"].weights == plain.weights
