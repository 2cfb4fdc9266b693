"""Wave 12's topic switches (issue 17, off by default): the second stage over each topic's best clause
logit (model key ``topic_stack_clauses``) and the topics' bag as plain 1.0 (``topic_binary``). Models
without the keys score as before."""

import pytest

from analytics.nlp import TOPICS, get_pipeline, store
from analytics.nlp import training_layers as T
from analytics.nlp.features import Parsed, parse
from analytics.nlp.linear import LogReg, MultiLogReg
from analytics.nlp.pipeline import Pipeline
from analytics.nlp.topic_stack import clause_max, clause_parses, cross_fit, stack_inputs, train_stack
from analytics.nlp.topics import topic_features

TEXT = "排队等了一个多小时才办上，窗口的人倒是挺客气"


def test_binary_bag_leaves_words_pairs_and_characters_at_one_and_the_cues_as_they_were():
    p = Parsed("态度很好排队久", [["态度", "很", "好"], ["排队", "久"]])
    l2, binary = topic_features(p, True), topic_features(p, True, binary=True)
    assert l2.keys() == binary.keys()
    bag = [k for k in l2 if k.startswith(("t:", "b:", "c:"))]
    assert bag and all(binary[k] == 1.0 for k in bag)
    assert all(l2[k] == 2.0 / len(bag) ** 0.5 for k in bag)  # the L2 scaling stays the default
    assert all(binary[k] == l2[k] for k in l2 if k not in bag)  # cue counts and length flag


def test_clause_max_is_each_topics_best_clause_and_the_text_when_one_clause():
    one = Parsed("态度好", [["态度", "好"]])
    assert clause_parses(one) == []
    two = Parsed("排队久态度好", [["排队", "久"], ["态度", "好"]])
    assert [c.clauses for c in clause_parses(two)] == [[["排队", "久"]], [["态度", "好"]]]
    whole = dict.fromkeys(TOPICS, 0.3)
    assert clause_max(lambda x: {}, [], whole) == whole
    table = [{"attitude": 0.2, "efficiency": 0.9}, {"attitude": 0.8, "efficiency": 0.1}]
    assert clause_max(lambda x: table[x["i"]], [{"i": 0}, {"i": 1}], whole) == {"attitude": 0.8,
                                                                               "efficiency": 0.9}


def test_second_stage_learns_from_the_best_clause_what_the_whole_text_dilutes():
    # Whole-text attitude is the same weak 0.3 in both kinds of row; attitude is right exactly when one
    # clause is sure of it. The clause inputs carry what the whole-text logits cannot.
    rows, best, gold = [], [], []
    for i in range(60):
        rows.append(dict.fromkeys(TOPICS, 0.05) | {"efficiency": 0.9, "attitude": 0.3})
        best.append(dict(rows[-1], attitude=0.95 if i % 2 else 0.3))
        gold.append({"efficiency", "attitude"} if i % 2 else {"efficiency"})
    assert set(stack_inputs(rows[0], best[0])) == {"z:" + t for t in TOPICS} | {"zc:" + t for t in TOPICS}
    assert set(stack_inputs(rows[0])) == {"z:" + t for t in TOPICS}
    m = train_stack(rows, gold, best)["attitude"]
    assert m.prob(stack_inputs(rows[1], best[1])) > 0.6 > 0.4 > m.prob(stack_inputs(rows[0], best[0]))
    out = cross_fit(rows, gold, [i % 3 for i in range(60)], best)
    assert all((out[i]["attitude"] > 0.5) == bool(i % 2) for i in range(60))
    # Without the clause inputs the two kinds of row are the same row: one undecided score for both.
    plain = cross_fit(rows, gold, [i % 3 for i in range(60)])
    assert plain[0] == plain[3] and abs(plain[0]["attitude"] - 0.5) < 0.01


def _first_stage(pipe, parsed, binary=False):
    return pipe.topic_model.probs(topic_features(parsed, pipe.topic_v4, pipe.topic_chars3, binary))


@pytest.mark.parametrize("version", ["v11", "v7"])
def test_models_without_the_new_keys_score_as_before(version):
    # v11 (first stage only) and v7 (second stage over the whole text's logits) have neither key: the
    # L2-scaled bag and the nine-logit second stage, exactly as the code before the switches.
    pipe = Pipeline.load(store.SHIPPED_DIR, version)
    assert "topic_binary" not in pipe.model and "topic_stack_clauses" not in pipe.model
    assert not pipe.topic_binary and not pipe.topic_stack_clauses
    parsed = parse(pipe.tokenizer, TEXT)
    first = _first_stage(pipe, parsed)
    expected = pipe.topic_stack.probs(stack_inputs(first)) if pipe.topic_stack else first
    assert pipe.topic_scores(parsed) == expected


def test_pipeline_reads_the_best_clause_and_the_binary_bag_only_when_the_model_says_so():
    pipe = get_pipeline()
    parsed = parse(pipe.tokenizer, TEXT)
    assert len(parsed.clauses) == 2
    stack = {t: LogReg({"z:" + t: 1.0, "zc:" + t: 2.0}, -0.5) for t in TOPICS}
    model = dict(pipe.model, topic_stack={t: m.to_dict() for t, m in stack.items()})
    plain = Pipeline(model, tokenizer=pipe.tokenizer)
    clauses = Pipeline(dict(model, topic_stack_clauses=True), tokenizer=pipe.tokenizer)
    first = _first_stage(pipe, parsed)
    best = clause_max(pipe.topic_model.probs, [topic_features(c, True, pipe.topic_chars3)
                                               for c in clause_parses(parsed)], first)
    assert best != first
    assert clauses.topic_scores(parsed) == MultiLogReg(stack).probs(stack_inputs(first, best))
    assert plain.topic_scores(parsed) == MultiLogReg(stack).probs(stack_inputs(first))
    binary = Pipeline(dict(pipe.model, topic_binary=True), tokenizer=pipe.tokenizer)
    assert binary.topic_scores(parsed) == _first_stage(pipe, parsed, binary=True) != first


def test_training_records_the_switches_only_when_on(small_layers, monkeypatch):
    pipe, base, examples = small_layers
    off = T.train_layers(dict(base, topic_binary=True, topic_stack_clauses=True), examples, pipe.tokenizer)
    assert not {"topic_binary", "topic_stack_clauses", "topic_stack"} & set(off)  # base's keys not carried
    monkeypatch.setattr(T, "TOPIC_STACK_CLAUSES", True)
    monkeypatch.setattr(T, "TOPIC_BINARY", True)
    model = T.train_layers(base, examples, pipe.tokenizer, "v-test")
    assert model["topic_binary"] is True and model["topic_stack_clauses"] is True
    assert set(model["topic_stack"]) == set(TOPICS)  # implies the second stage
    assert any(k.startswith("zc:") for m in model["topic_stack"].values() for k in LogReg.from_dict(m).weights)
    trained = Pipeline(model, tokenizer=pipe.tokenizer)
    assert trained.topic_binary and trained.topic_stack_clauses
    r = trained.analyze(TEXT)
    assert r.topics and all(t in TOPICS for t, _ in r.topics)
