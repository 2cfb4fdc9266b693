"""The topic layer's second stage (model v7 on, issue 17): learned from out-of-fold first-stage scores,
cross-fitted for the decision rule, applied at run time after the first stage."""

from analytics.nlp import TOPICS, get_pipeline
from analytics.nlp import training_layers as T
from analytics.nlp.features import parse
from analytics.nlp.linear import LogReg, MultiLogReg
from analytics.nlp.pipeline import Pipeline
from analytics.nlp.topic_stack import cross_fit, stack_inputs, train_stack
from analytics.nlp.topics import topic_features


def _scores(**kw):
    s = dict.fromkeys(TOPICS, 0.05)
    s.update(kw)
    return s


def _competing_rows(n=40):
    # process is right when its first-stage score is high and convenience's is low; when both are
    # high the opinion is about convenience only. One topic's evidence must lower the other's.
    rows, gold = [], []
    for i in range(n):
        if i % 2:
            rows.append(_scores(process=0.8, convenience=0.1))
            gold.append({"process"})
        else:
            rows.append(_scores(process=0.8, convenience=0.9))
            gold.append({"convenience"})
    return rows, gold


def test_second_stage_learns_that_one_topic_lowers_another():
    rows, gold = _competing_rows()
    models = train_stack(rows, gold)
    assert set(models) == set(TOPICS)
    alone = models["process"].prob(stack_inputs(_scores(process=0.8, convenience=0.1)))
    with_conv = models["process"].prob(stack_inputs(_scores(process=0.8, convenience=0.9)))
    assert alone > 0.6 > 0.4 > with_conv
    # The first stage alone would name process in both cases.
    assert stack_inputs(_scores(process=0.8))["z:process"] > 0


def test_cross_fit_scores_each_fold_with_a_model_that_did_not_see_it():
    rows, gold = _competing_rows()
    folds = [i % 4 for i in range(len(rows))]
    out = cross_fit(rows, gold, folds)
    assert len(out) == len(rows) and all(set(s) == set(TOPICS) for s in out)
    held = [i for i, f in enumerate(folds) if f == 0]
    model0 = train_stack([rows[i] for i in range(len(rows)) if folds[i] != 0],
                         [gold[i] for i in range(len(rows)) if folds[i] != 0])
    for i in held:
        assert out[i]["process"] == model0["process"].prob(stack_inputs(rows[i]))
    # A row's own label changes the model trained with it, not the cross-fitted score of its fold.
    flipped = list(gold)
    flipped[held[0]] = {"other"}
    assert cross_fit(rows, flipped, folds)[held[0]] == out[held[0]]
    # One fold: nothing to fit on, the first-stage scores are kept.
    assert cross_fit(rows, gold, [0] * len(rows)) == rows


def test_pipeline_applies_the_second_stage_and_older_models_have_none():
    pipe = get_pipeline()
    parsed = parse(pipe.tokenizer, "材料要求在网上写得清清楚楚，预约也方便，一次就办好了")
    first_only = {k: v for k, v in pipe.model.items() if k != "topic_stack"}
    assert Pipeline(first_only, tokenizer=pipe.tokenizer).topic_stack is None
    stack = {t: LogReg({"z:" + t: 2.0, "z:other": -1.0}, -0.5) for t in TOPICS}
    model = dict(first_only, topic_stack={t: m.to_dict() for t, m in stack.items()})
    staged = Pipeline(model, tokenizer=pipe.tokenizer)
    first = MultiLogReg({t: LogReg.from_dict(d) for t, d in pipe.model["topics"].items()}).probs(
        topic_features(parsed, pipe.topic_v4))
    expected = {t: MultiLogReg(stack).probs(stack_inputs(first))[t] for t in TOPICS}
    got = staged.topic_scores(parsed)
    assert all(abs(got[t] - expected[t]) < 1e-3 for t in TOPICS)  # weights stored in 1e-4 units
    assert got != first


def test_training_records_the_second_stage(small_layers, monkeypatch):
    pipe, base, examples = small_layers
    # Off by default: v6's procedure, so the corrections' retrain does not carry the second stage.
    assert "topic_stack" not in T.train_layers(base, examples, pipe.tokenizer, "v-test")
    monkeypatch.setattr(T, "TOPIC_STACK", True)
    model = T.train_layers(base, examples, pipe.tokenizer, "v-test")
    assert set(model["topic_stack"]) == set(TOPICS)
    assert Pipeline(model, tokenizer=pipe.tokenizer).topic_stack is not None


def test_shipped_v7_has_the_second_stage_and_its_recorded_rule():
    from analytics.nlp import store
    pipe = Pipeline.load(store.SHIPPED_DIR, "v7")
    meta = store.load_model(store.SHIPPED_DIR, "v7")[1]
    assert pipe.version == "v7" and pipe.topic_stack is not None
    assert set(pipe.topic_stack.names) == set(TOPICS)
    assert pipe.topic_secondary == meta["topic_cv"]["secondary"] in T.SECONDARY_GRID
    assert pipe.thresholds == meta["topic_thresholds"]
    r = pipe.analyze("材料要求写得清清楚楚，网上预约也方便，一次就办好了")
    assert r.model_version == "v7" and r.topics and all(t in TOPICS for t, _ in r.topics)
