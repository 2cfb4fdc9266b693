"""Topic decisions of model v5 (issue 17): whole-text scores, the second-topic margin chosen on
scenario-grouped out-of-fold scores, and the faster scoring that must not change any output."""

from analytics.nlp import TOPICS, get_pipeline, store
from analytics.nlp import training_layers as T
from analytics.nlp.features import parse
from analytics.nlp.linear import LogReg, MultiLogReg, NaiveBayes
from analytics.nlp.pipeline import Pipeline
from analytics.nlp.topics import decide_topics, topic_features
from analytics.nlp.training import load_labelled


def _scores(**kw):
    s = dict.fromkeys(TOPICS, 0.05)
    s.update(kw)
    return s


def test_second_topic_margin():
    thr = dict.fromkeys(TOPICS, 0.5)
    # attitude is 2.2 logits above its threshold, efficiency 0.4, process 1.4.
    s = _scores(attitude=0.9, efficiency=0.6, process=0.8)
    assert [t for t, _ in decide_topics(s, thr)] == ["attitude", "process", "efficiency"]  # v4's rule
    assert [t for t, _ in decide_topics(s, thr, 1.0)] == ["attitude", "process"]
    assert [t for t, _ in decide_topics(s, thr, 3.0)] == ["attitude"]
    # The best topic stays however large the margin; below every threshold the rule is unchanged.
    assert [t for t, _ in decide_topics(_scores(efficiency=0.55), thr, 3.0)] == ["efficiency"]
    assert decide_topics(_scores(other=0.45), thr, 1.0) == [("other", 0.45)]
    # The margin is measured against each topic's own threshold, not in probability.
    thr2 = dict(thr, process=0.2)
    s2 = _scores(attitude=0.95, process=0.5)
    assert {t for t, _ in decide_topics(s2, thr2, 1.2)} == {"attitude", "process"}


def test_best_secondary_is_chosen_on_out_of_fold_scores():
    thr = dict.fromkeys(TOPICS, 0.5)
    # Weak second topics are wrong here: a margin that drops them scores better.
    scores = [_scores(attitude=0.9, efficiency=0.6)] * 6 + [_scores(efficiency=0.9, attitude=0.55)] * 4
    gold = [{"attitude"}] * 6 + [{"efficiency"}] * 4
    assert T._best_secondary(scores, gold, thr) > 0
    # Real second topics: keeping every topic above its threshold (0) wins.
    gold2 = [{"attitude", "efficiency"}] * 10
    assert T._best_secondary(scores, gold2, thr) == 0.0


def test_topic_prf():
    cv = T.topic_prf([{"attitude"}, {"attitude", "process"}, {"other"}], [{"attitude"}, {"process"}, {"attitude"}])
    assert cv["attitude"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert cv["process"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert cv["other"]["precision"] == 0.0 and cv["other"]["f1"] == 0.0
    assert cv["publicity"]["f1"] == 1.0  # never predicted nor labelled


def test_whole_text_scope_ignores_single_clauses():
    pipe = get_pipeline()
    model = dict(pipe.model)
    text = parse(pipe.tokenizer, "今天来交社保，排队的人不多，窗口的大姐态度很好，顺利办完")
    whole = pipe.topic_model.probs(topic_features(text, pipe.topic_v4))
    clause_max = Pipeline({**model, "topic_clauses": True}, tokenizer=pipe.tokenizer).topic_scores(text)
    scoped = Pipeline({**model, "topic_clauses": False}, tokenizer=pipe.tokenizer).topic_scores(text)
    assert scoped == whole
    assert all(clause_max[t] >= whole[t] for t in TOPICS)
    assert any(clause_max[t] > whole[t] for t in TOPICS)
    # Models without the key (v2-v4) keep the best-clause rule they were tuned with.
    old = {k: v for k, v in model.items() if k not in ("topic_clauses", "topic_secondary")}
    legacy = Pipeline(old, tokenizer=pipe.tokenizer)
    assert legacy.topic_clauses and legacy.topic_secondary == 0.0


def test_training_records_the_topic_rule(monkeypatch):
    pipe = get_pipeline()
    base = {k: v for k, v in pipe.model.items() if k not in ("topics", "domain")}
    examples = [e for e in load_labelled() if e.split == "train"][::12]
    monkeypatch.setattr(T, "CV_FOLDS", 3)
    monkeypatch.setattr(T, "TOPIC_PARAMS", dict(T.TOPIC_PARAMS, epochs=3))
    monkeypatch.setattr(T, "DOMAIN_PARAMS", dict(T.DOMAIN_PARAMS, epochs=3))
    model = T.train_layers(base, examples, pipe.tokenizer, "v-test")
    assert model["topic_clauses"] is False
    assert model["topic_secondary"] in T.SECONDARY_GRID
    assert model["topic_cv"]["secondary"] == model["topic_secondary"]
    assert set(model["topic_cv"]["per_topic"]) == set(TOPICS)
    loaded = Pipeline(model, tokenizer=pipe.tokenizer)
    assert not loaded.topic_clauses and loaded.topic_secondary == model["topic_secondary"]


def test_shipped_model_uses_whole_text_topics_and_its_recorded_margin():
    pipe = get_pipeline()
    meta = store.load_model(store.SHIPPED_DIR)[1]
    assert pipe.topic_clauses is False
    assert pipe.topic_secondary == meta["topic_cv"]["secondary"] in T.SECONDARY_GRID
    # The grouped validation of the version is recorded with per-topic precision and recall.
    per_topic = meta["topic_cv"]["per_topic"]
    assert set(per_topic) == set(TOPICS) and all({"precision", "recall", "f1"} <= set(v) for v in per_topic.values())


def test_fast_linear_scoring_matches_the_plain_sums():
    weights = {"a": 0.5, "b": -1.25, "c": 2.0}
    feats = {"a": 0.3, "c": 0.7, "zz": 5.0}
    m = LogReg(weights, 0.1)
    assert m.decision(feats) == 0.1 + sum(weights.get(k, 0) * v for k, v in feats.items())
    nb = NaiveBayes({"好": 1.5, "差": -2.0}, 0.2)
    assert nb.decision(["好", "好", "慢"]) == 0.2 + 1.5
    multi = MultiLogReg({"x": LogReg({"a": 1.0, "b": 2.0}, 0.0), "y": LogReg({"b": -1.0, "c": 1.0}, 0.5)})
    p = multi.probs({"a": 0.5, "b": 0.5, "c": 0.25, "q": 1.0})
    assert abs(p["x"] - LogReg({"a": 1.0, "b": 2.0}).prob({"a": 0.5, "b": 0.5})) < 1e-12
    assert abs(p["y"] - LogReg({"b": -1.0, "c": 1.0}, 0.5).prob({"b": 0.5, "c": 0.25})) < 1e-12


def test_flag_patterns_match_the_word_lists():
    pipe = get_pipeline()
    for text, flag in (("你们这帮傻逼", "abusive"), ("加微信领红包，名额有限", "advertising"),
                       ("今天天气真好，下午去看电影", "unrelated")):
        display, _, parsed = pipe.prepare(text)
        assert flag in pipe.flags(display, parsed, [])
    display, _, parsed = pipe.prepare("我妈的退休手续办得很快")
    assert "abusive" not in pipe.flags(display, parsed, [])
