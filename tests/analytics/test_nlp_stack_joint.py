"""Wave 15's topic switch (issue 17, off by default): the clause stack also reads, per topic, the best
clause together with the whole text (model key ``topic_stack_joint``: "gate" or "excess"). Models
without the key score as before."""

import pytest

from analytics.nlp import TOPICS, store
from analytics.nlp import training_layers as T
from analytics.nlp.features import parse
from analytics.nlp.linear import LogReg, MultiLogReg, logit
from analytics.nlp.pipeline import Pipeline
from analytics.nlp.topic_stack import (
    clause_max,
    clause_parses,
    cross_fit,
    joint_inputs,
    stack_inputs,
    train_stack,
)

TEXT = "排队等了一个多小时才办上，窗口的人倒是挺客气"


def test_joint_inputs_read_the_clause_with_the_whole_text():
    whole = dict.fromkeys(TOPICS, 0.5) | {"process": 0.2, "attitude": 0.9}
    best = dict(whole, process=0.95, attitude=0.6)
    gate = joint_inputs(whole, best, "gate")
    assert set(gate) == {"zg:" + t for t in TOPICS}
    assert gate["zg:process"] == logit(0.95) / 4 * 0.2  # a sure clause, a lukewarm text
    assert gate["zg:attitude"] == logit(0.6) / 4 * 0.9
    excess = joint_inputs(whole, best, "excess")
    assert set(excess) == {"ze:" + t for t in TOPICS}
    assert excess["ze:process"] == (logit(0.95) - logit(0.2)) / 4
    assert excess["ze:attitude"] == 0.0  # the clause under the text: no excess, never negative
    assert excess["ze:efficiency"] == 0.0
    with pytest.raises(ValueError):
        joint_inputs(whole, best, "product")


def test_stack_inputs_are_the_same_without_the_switch():
    whole = dict.fromkeys(TOPICS, 0.3) | {"process": 0.7}
    best = dict(whole, process=0.9)
    plain = stack_inputs(whole, best)
    expected = {"z:" + t: logit(p) / 4 for t, p in whole.items()} | {"zc:" + t: logit(p) / 4 for t, p in best.items()}
    assert plain == expected
    assert stack_inputs(whole, best, None) == plain
    assert stack_inputs(whole, None, "gate") == stack_inputs(whole)  # no clause inputs: nothing joint
    assert stack_inputs(whole, best, "gate") == plain | joint_inputs(whole, best, "gate")


def test_the_gate_lets_a_clause_count_only_when_the_whole_text_agrees():
    # The study's false alarm: process is right when a sure clause comes with a text that says it too
    # (0.7), wrong when the same sure clause fires in a lukewarm text (0.1); a quiet clause is never it.
    # The regression puts a positive weight on the clause-times-text input and separates the rows.
    rows, best, gold = [], [], []
    for i in range(120):
        w, c, y = [(0.7, 0.95, True), (0.1, 0.95, False), (0.7, 0.1, False), (0.1, 0.1, False)][i % 4]
        rows.append(dict.fromkeys(TOPICS, 0.05) | {"process": w})
        best.append(dict(rows[-1], process=c))
        gold.append({"process"} if y else {"other"})
    m = train_stack(rows, gold, best, "gate")["process"]
    assert m.weights["zg:process"] > 0
    out = cross_fit(rows, gold, [i % 3 for i in range(120)], best, "gate")
    assert all((out[i]["process"] > 0.5) == (i % 4 == 0) for i in range(120))


@pytest.mark.parametrize("version", ["v12", "v13"])
def test_shipped_clause_stacks_have_no_joint_key_and_score_as_before(version):
    pipe = Pipeline.load(store.SHIPPED_DIR, version)
    assert "topic_stack_joint" not in pipe.model and pipe.topic_stack_joint is None
    parsed = parse(pipe.tokenizer, TEXT)
    first = pipe.topic_model.probs(pipe.topic_inputs(parsed))
    best = clause_max(pipe.topic_model.probs, [pipe.topic_inputs(c) for c in clause_parses(parsed)], first)
    assert pipe.topic_scores(parsed) == pipe.topic_stack.probs(stack_inputs(first, best))
    assert all(not k.startswith(("zg:", "ze:")) for k in pipe.topic_stack.table)


def test_pipeline_reads_the_joint_input_only_when_the_model_says_so():
    pipe = Pipeline.load(store.SHIPPED_DIR, "v13")
    parsed = parse(pipe.tokenizer, TEXT)
    stack = {t: LogReg({"z:" + t: 1.0, "zc:" + t: 1.0, "zg:" + t: 2.0, "ze:" + t: -1.0}, -0.5) for t in TOPICS}
    model = dict(pipe.model, topic_stack={t: m.to_dict() for t, m in stack.items()})
    first = pipe.topic_model.probs(pipe.topic_inputs(parsed))
    best = clause_max(pipe.topic_model.probs, [pipe.topic_inputs(c) for c in clause_parses(parsed)], first)
    for joint in (None, "gate", "excess"):
        keyed = dict(model, topic_stack_joint=joint) if joint else model
        got = Pipeline(keyed, tokenizer=pipe.tokenizer).topic_scores(parsed)
        assert got == MultiLogReg(stack).probs(stack_inputs(first, best, joint))
    assert (Pipeline(dict(model, topic_stack_joint="gate"), tokenizer=pipe.tokenizer).topic_scores(parsed)
            != Pipeline(model, tokenizer=pipe.tokenizer).topic_scores(parsed))


def test_training_records_the_joint_input_only_when_on(small_layers, monkeypatch):
    pipe, base, examples = small_layers
    monkeypatch.setattr(T, "TOPIC_STACK_CLAUSES", True)
    off = T.train_layers(dict(base, topic_stack_joint="gate"), examples, pipe.tokenizer)
    assert "topic_stack_joint" not in off  # the base's key is not carried
    assert all(not k.startswith(("zg:", "ze:")) for m in off["topic_stack"].values()
               for k in LogReg.from_dict(m).weights)
    monkeypatch.setattr(T, "TOPIC_STACK_JOINT", "excess")
    model = T.train_layers(base, examples, pipe.tokenizer, "v-test")
    assert model["topic_stack_joint"] == "excess" and model["topic_stack_clauses"] is True
    assert any(k.startswith("ze:") for m in model["topic_stack"].values() for k in LogReg.from_dict(m).weights)
    trained = Pipeline(model, tokenizer=pipe.tokenizer)
    assert trained.topic_stack_joint == "excess"
    r = trained.analyze(TEXT)
    assert r.topics and all(t in TOPICS for t, _ in r.topics)
