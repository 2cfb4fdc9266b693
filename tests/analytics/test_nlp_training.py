"""Training new model versions from corrections, promotion rules, restoring older versions."""

import json

import pytest

from analytics.nlp import activate_version, list_versions, store
from analytics.nlp.evaluation import evaluate
from analytics.nlp.pipeline import Pipeline
from analytics.nlp.training import Correction, load_labelled, retrain, train_model

SHIPPED = store.active_version(store.SHIPPED_DIR)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, small_labelled):
    # On an eighth of the labelled opinions: what these tests claim (the version written, the gate
    # followed, restoring, WW_MODEL_DIR) does not depend on how much the model learns, and the whole
    # set took 9 minutes of CI per engine at 9,017 opinions.
    model_dir = tmp_path_factory.mktemp("models")
    corrections = [
        Correction("柜员给我倒了杯热水，还让我先坐着等", topics=["attitude"], sentiment=1),
        Correction("门口的导视牌指错了方向", topics=["environment"], sentiment=0),
        Correction("加微信领优惠", valid=False),
        Correction("不知道说什么", topics=None, sentiment=None),
    ]
    result = train_model(corrections, model_dir=model_dir, version="v-test-1", labelled_path=small_labelled)
    return model_dir, result


def test_training_writes_a_version_with_a_note(trained):
    model_dir, result = trained
    vdir = model_dir / "versions" / "v-test-1"
    assert (vdir / store.MODEL_FILE).exists() and not (vdir / store.LEGACY_MODEL_FILE).exists()
    meta = json.loads((vdir / "meta.json").read_text(encoding="utf-8"))
    assert meta["version"] == "v-test-1"
    assert meta["trained_on"]["corrections_used"] == 2
    assert meta["trained_on"]["corrections_skipped"] == 2
    assert meta["trained_on"]["base_version"] == SHIPPED
    assert meta["compared_with"]["version"] == SHIPPED
    assert result.trained_on["labelled_train"] > 400


def test_promotion_follows_the_gate(trained):
    model_dir, result = trained
    keys = ("sentiment_accuracy", "hard_accuracy", "topic_macro_f1")
    figures = result.gate["figures"]
    refused = [k for k in keys if figures[k]["share_d_ge_0"] < 0.05 or figures[k]["d"] < -0.01]
    assert result.promoted == (not refused) == result.gate["passed"]
    assert store.active_version(model_dir) == ("v-test-1" if result.promoted else SHIPPED)
    for k in keys:
        assert 0.0 <= result.scores[k] <= 1.0
        assert round(figures[k]["candidate"], 4) == result.scores[k]


def test_versions_can_be_listed_and_restored(trained):
    model_dir, _ = trained
    versions = {v["version"]: v for v in list_versions(model_dir)}
    assert {SHIPPED, "v-test-1"} <= set(versions)
    assert versions[SHIPPED]["origin"] == "shipped"
    activate_version(model_dir, SHIPPED)
    assert store.active_version(model_dir) == SHIPPED
    assert Pipeline.load(model_dir).version == SHIPPED
    activate_version(model_dir, "v-test-1")
    pipe = Pipeline.load(model_dir)
    assert pipe.version == "v-test-1"
    assert pipe.analyze("柜员给我倒了杯热水，还让我先坐着等").sentiment > 0.5
    with pytest.raises(FileNotFoundError):
        activate_version(model_dir, "v-does-not-exist")
    with pytest.raises(ValueError):
        activate_version(model_dir, "../escape")


def test_a_worse_model_is_not_promoted(tmp_path, small_labelled):
    # Flip every label of a large batch of opinions: the candidate must lose and stay inactive.
    # (Trained on an eighth of the labelled opinions: the rule, not the data's size, is tested.)
    bad = [Correction(e.text, topics=["other"], sentiment=1 - e.sentiment)
           for e in load_labelled() if e.split == "train"][:300]
    result = train_model(bad, model_dir=tmp_path, version="v-bad", labelled_path=small_labelled)
    assert not result.promoted
    assert result.scores["sentiment_accuracy"] < result.current_scores["sentiment_accuracy"]
    assert "sentiment_accuracy" in result.gate["refused_on"]
    assert store.active_version(tmp_path) == SHIPPED
    assert (tmp_path / "versions" / "v-bad" / "meta.json").exists()


def test_malformed_corrections_are_skipped_and_package_dir_refused(tmp_path, small_labelled):
    result = retrain(
        [Correction("窗口很好", topics=["nonsense"]), Correction("窗口很好", sentiment=3),
         Correction("", sentiment=1), Correction("窗口很好", topics=[], sentiment=1)],
        tmp_path, version="v-malformed", labelled_path=small_labelled,
    )
    assert result.trained_on["corrections_malformed"] == 3
    assert result.trained_on["corrections_used"] == 1
    with pytest.raises(ValueError):
        train_model([], model_dir=store.SHIPPED_DIR)


def test_shipped_model_meets_its_recorded_scores():
    pipe = Pipeline.load(store.SHIPPED_DIR)
    meta = json.loads((store.version_path(store.SHIPPED_DIR, SHIPPED) / "meta.json").read_text(encoding="utf-8"))
    # The recorded scores are on the held-out split as it was when the version was trained: opinions are
    # only appended, so that split is the first n held-out rows (later rows are for the next version).
    test = [e for e in load_labelled() if e.split == "test"][: meta["scores"]["n"]]
    assert len(test) == meta["scores"]["n"]
    scores = evaluate(pipe, test)
    assert scores["sentiment_accuracy"] == meta["scores"]["sentiment_accuracy"]
    # The held-out split grew by the harder issue-17 opinions (v1 scores 0.89 on it, 0.95 on the old 216).
    assert scores["sentiment_accuracy"] >= 0.90
    assert scores["hard_accuracy"] >= 0.85
    # v5's held-out split adds 458 opinions from wave 5's new scenarios, situations unlike the older rows
    # (v4 scores 0.74 on the 1060, 0.59 on the 458; v5 0.79 and 0.69); on v4's 602 both score 0.86.
    # v6's split (1280, topic labels reviewed against LABELS.md, 220 more): v5 0.76, v6 0.78.
    assert scores["topic_macro_f1"] >= 0.75
    assert "ChnSentiCorp" in meta["trained_on"]["general"]


def test_process_pipeline_follows_ww_model_dir(trained, monkeypatch):
    from analytics.nlp import get_pipeline

    model_dir, _ = trained
    activate_version(model_dir, "v-test-1")
    monkeypatch.setenv("WW_MODEL_DIR", str(model_dir))
    try:
        assert get_pipeline(reload=True).version == "v-test-1"
    finally:
        monkeypatch.delenv("WW_MODEL_DIR")
        assert get_pipeline(reload=True).version == SHIPPED


def test_averaged_logreg_and_cluster_balanced_general_model():
    from analytics.nlp.features import Parsed
    from analytics.nlp.linear import LogReg
    from analytics.nlp.training_general import cluster_balance_weights, train_general

    xs = [{"good": 1.0}, {"bad": 1.0}] * 50
    ys = [1, 0] * 50
    for average in (False, True):
        m = LogReg.train(xs, ys, epochs=3, lr=0.3, average=average)
        assert m.prob({"good": 1.0}) > 0.7 and m.prob({"bad": 1.0}) < 0.3
    # Topics with opposite label skews: the minority class of each topic is weighted up.
    docs = []
    for i in range(1200):
        j = i % 30
        y = int(i // 30 % 5 != 0) if j % 2 else int(i // 30 % 5 == 0)
        toks = [f"话题{j}甲", f"话题{j}乙", "很好" if y else "很差"]
        docs.append((Parsed("".join(toks), [toks]), y))
    sw = cluster_balance_weights(docs)
    assert len(sw) == len(docs)
    skew = {j: int(j % 2 == 1) for j in range(30)}
    mino = [w for i, (w, (_, y)) in enumerate(zip(sw, docs, strict=True)) if y != skew[i % 30]]
    majo = [w for i, (w, (_, y)) in enumerate(zip(sw, docs, strict=True)) if y == skew[i % 30]]
    assert sum(mino) / len(mino) > 1.5 > sum(majo) / len(majo)
    model = train_general(docs, min_df=1)
    assert model.prob({"很好": 1.0}) > 0.5 > model.prob({"很差": 1.0})


def test_general_model_averages_over_shuffling_seeds():
    from analytics.nlp.features import Parsed
    from analytics.nlp.linear import LogReg
    from analytics.nlp.training_general import _average_models, train_general

    avg = _average_models([LogReg({"a": 1.0, "b": 2.0}, 1.0), LogReg({"a": 3.0}, 0.0)])
    assert avg.weights == {"a": 2.0, "b": 1.0} and avg.bias == 0.5
    docs = [(Parsed(t, [[t, f"词{i % 7}"]]), y) for i in range(200) for t, y in (("很好", 1), ("很差", 0))]
    one = train_general(docs, min_df=1, seeds=(13,))
    three = train_general(docs, min_df=1)
    for m in (one, three):
        assert m.prob({"很好": 1.0}) > 0.5 > m.prob({"很差": 1.0})
    assert one.weights != three.weights
