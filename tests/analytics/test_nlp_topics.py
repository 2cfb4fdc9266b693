"""Topic decisions of models v5 and v6 (issue 17): whole-text scores, the second-topic margin and (v6)
the cardinality reading chosen on scenario-grouped out-of-fold scores, and the faster scoring that must
not change any output."""

from analytics.nlp import TOPICS, get_pipeline, store
from analytics.nlp import training_layers as T
from analytics.nlp.features import parse
from analytics.nlp.linear import LogReg, MultiLogReg, NaiveBayes
from analytics.nlp.pipeline import Pipeline
from analytics.nlp.topics import MAX_TOPICS, decide_topics, pick_topics, topic_features


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


def test_cardinality_rule_returns_a_second_topic_when_both_are_clearly_present():
    thr = dict.fromkeys(TOPICS, 0.5)
    # attitude is sure; efficiency sits just under its threshold (-0.2 logits), nothing else speaks.
    s = _scores(attitude=0.95, efficiency=0.45)
    assert [t for t, _ in decide_topics(s, thr)] == ["attitude"]  # v5's rule: one topic
    assert [t for t, _ in decide_topics(s, thr, 0.0, (1.0, -0.5))] == ["attitude", "efficiency"]
    # The floor keeps a runner-up that is far below its threshold out, whatever the count says.
    assert [t for t, _ in decide_topics(_scores(attitude=0.95, efficiency=0.2), thr, 0.0, (1.0, -0.5))] \
        == ["attitude"]
    # Two topics above their thresholds stay together (no second-topic margin).
    both = _scores(attitude=0.9, process=0.85)
    assert {t for t, _ in decide_topics(both, thr, 0.0, (-2.0, 0.5))} == {"attitude", "process"}
    # The count is read from the evidence: with a low bias only clearly present topics add up.
    assert [t for t, _ in decide_topics(s, thr, 0.0, (-2.0, -0.5))] == ["attitude"]


def test_cardinality_rule_keeps_other_alone_and_at_most_three_topics():
    thr = dict.fromkeys(TOPICS, 0.5)
    # Nothing standard passes: other alone, even with a cardinality reading that would add runners-up.
    alone = _scores(other=0.9, attitude=0.45, efficiency=0.45)
    assert decide_topics(alone, thr, 0.0, (2.0, -1.5)) == [("other", 0.9)]
    # other is never returned with a standard topic, however high it scores.
    mixed = _scores(other=0.99, attitude=0.8, efficiency=0.45)
    assert "other" not in {t for t, _ in decide_topics(mixed, thr, 0.0, (2.0, -1.5))}
    # Many fair signals: never more than MAX_TOPICS.
    many = dict.fromkeys(TOPICS, 0.49)
    many.update(attitude=0.9, other=0.05)
    assert len(decide_topics(many, thr, 0.0, (3.0, -1.5))) == MAX_TOPICS == 3
    margins = {t: 0.0 for t in TOPICS}
    assert len(pick_topics(margins, 0.0, None)) == len(TOPICS) - 1  # v5's rule has no cap


def test_fit_topic_rule_reads_cardinality_only_when_it_helps(monkeypatch):
    # Real second topics sit just under efficiency's threshold beside a sure first topic, while an
    # opinion about nothing in the standard scores efficiency a little higher: no threshold separates
    # them, the count of topics read from all the evidence does.
    scores = ([_scores(attitude=0.9, efficiency=0.42)] * 6 + [_scores(other=0.9, efficiency=0.45)] * 12
              + [_scores(efficiency=0.9)] * 6)
    gold = [{"attitude", "efficiency"}] * 6 + [{"other"}] * 12 + [{"efficiency"}] * 6
    rule = T.fit_topic_rule(scores, gold)
    assert rule["cardinality"] is not None
    preds = [{t for t, _ in decide_topics(s, rule["thresholds"], rule["secondary"], rule["cardinality"])}
             for s in scores]
    assert preds == gold
    v5 = [{t for t, _ in decide_topics(s, rule["thresholds"], rule["secondary"])} for s in scores]
    assert v5[0] == {"attitude"}  # v5's rule misses the second topic
    # Single-topic data: the rule needs no cardinality reading (none is among the candidates).
    single = [_scores(attitude=0.9)] * 6 + [_scores(efficiency=0.9)] * 6
    rule1 = T.fit_topic_rule(single, [{"attitude"}] * 6 + [{"efficiency"}] * 6)
    assert rule1["cardinality"] is None
    # v5's procedure: thresholds and margin only.
    monkeypatch.setattr(T, "TOPIC_RULE_V6", False)
    assert T.fit_topic_rule(scores, gold)["cardinality"] is None
    assert T.fit_topic_rule(scores, gold)["thresholds"] == {
        t: T._best_threshold([s[t] for s in scores], [t in g for g in gold]) for t in TOPICS}


def test_topic_prf():
    cv = T.topic_prf([{"attitude"}, {"attitude", "process"}, {"other"}], [{"attitude"}, {"process"}, {"attitude"}])
    assert cv["attitude"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert cv["process"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert cv["other"]["precision"] == 0.0 and cv["other"]["f1"] == 0.0
    assert cv["publicity"]["f1"] == 1.0  # never predicted nor labelled


def test_whole_text_scope_ignores_single_clauses():
    pipe = get_pipeline()
    # The first stage only (from v7 a second stage reads its scores: test_nlp_topic_stack.py).
    model = {k: v for k, v in pipe.model.items() if k != "topic_stack"}
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


def test_training_records_the_topic_rule(small_layers):
    pipe, base, examples = small_layers
    model = T.train_layers(base, examples, pipe.tokenizer, "v-test")
    assert model["topic_clauses"] is False
    assert model["topic_secondary"] in T.SECONDARY_GRID
    assert model["topic_cv"]["secondary"] == model["topic_secondary"]
    assert model["topic_cv"]["cardinality"] == model["topic_cardinality"]
    assert set(model["topic_cv"]["per_topic"]) == set(TOPICS)
    loaded = Pipeline(model, tokenizer=pipe.tokenizer)
    assert not loaded.topic_clauses and loaded.topic_secondary == model["topic_secondary"]
    card = model["topic_cardinality"]
    assert loaded.topic_cardinality == (tuple(card) if card else None)
    # Models before v6 have no cardinality reading: their rule is unchanged.
    assert Pipeline({k: v for k, v in model.items() if k != "topic_cardinality"},
                    tokenizer=pipe.tokenizer).topic_cardinality is None


def test_shipped_model_uses_whole_text_topics_and_its_recorded_rule():
    pipe = get_pipeline()
    meta = store.load_model(store.SHIPPED_DIR)[1]
    assert pipe.topic_clauses is False
    assert pipe.topic_secondary == meta["topic_cv"]["secondary"] in T.SECONDARY_GRID
    card = meta["topic_cv"]["cardinality"]
    assert pipe.topic_cardinality == (tuple(card) if card else None)
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
