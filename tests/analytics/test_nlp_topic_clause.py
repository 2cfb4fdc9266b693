"""Wave 14's candidate rules (issue 17; off by default): P2, "second topic from its clause", adds the
runner-up topic when its best clause clears that topic's clause threshold (model key
``topic_clause_second``); C2 is P2 and "kept only if the whole text says it": a chosen topic whose whole-text
first-stage score is under its keep threshold is dropped (``topic_keep_whole``). Models without the keys
decide as before."""

import pytest

from analytics.nlp import TOPICS, store
from analytics.nlp import training_layers as T
from analytics.nlp.features import parse
from analytics.nlp.linear import logit
from analytics.nlp.pipeline import Pipeline
from analytics.nlp.topic_clause import clause_margins, fit_clause_second, fit_keep_whole
from analytics.nlp.topics import MAX_TOPICS, decide_topics, keep_if_said, pick_topics, second_from_clause

TWO_CLAUSES = "排队等了一个多小时才办上，窗口的人倒是挺客气"


def _margins(**kw):
    return dict.fromkeys(TOPICS, -3.0) | kw


def test_the_runner_up_is_added_only_when_its_clause_clears_its_cut():
    m = _margins(efficiency=2.0, process=-0.5, attitude=-1.0)
    assert second_from_clause(["efficiency"], m, {"process": 0.2}) == ["efficiency", "process"]
    assert second_from_clause(["efficiency"], m, {"process": -0.2}) == ["efficiency"]
    # Only the runner-up is tried: attitude's strong clause does not jump the queue, nor does a topic
    # without a cut of its own get in.
    assert second_from_clause(["efficiency"], m, {"attitude": 5.0}) == ["efficiency"]
    assert second_from_clause(["efficiency"], m, None) == ["efficiency"]  # one clause / switch off
    assert second_from_clause(["other"], _margins(other=1.0, process=0.5), {"process": 3.0}) == ["other"]
    full = ["efficiency", "attitude", "competence"][:MAX_TOPICS]
    assert second_from_clause(full, m, {"process": 3.0}) == full


def test_without_clause_margins_the_rule_is_the_old_one():
    thr = dict.fromkeys(TOPICS, 0.5)
    for scores in (dict.fromkeys(TOPICS, 0.1) | {"efficiency": 0.9, "process": 0.45},
                   dict.fromkeys(TOPICS, 0.1) | {"other": 0.4},
                   dict.fromkeys(TOPICS, 0.6)):
        for card in (None, (1.0, -0.5)):
            assert decide_topics(scores, thr, 0.5, card) == decide_topics(scores, thr, 0.5, card, clause=None)
    scores = dict.fromkeys(TOPICS, 0.1) | {"efficiency": 0.9, "process": 0.45}
    best = dict.fromkeys(TOPICS, 0.1) | {"process": 0.8}
    assert [t for t, _ in decide_topics(scores, thr, clause=clause_margins(best, {"process": 0.7}))] \
        == ["efficiency", "process"]
    assert [t for t, _ in decide_topics(scores, thr, clause=clause_margins(best, {"process": 0.9}))] \
        == ["efficiency"]
    assert clause_margins(None, {"process": 0.7}) is None and clause_margins(best, {}) is None
    assert clause_margins(best, {"process": 0.7}) == {"process": pytest.approx(logit(0.8) - logit(0.7))}


def _rows(n=180):
    # A third of the rows are about process alone, and sure of it. The rest are sure of efficiency with
    # process a weak runner-up, the same score whether the opinion is about it or not (a quarter are);
    # the opinion is about it exactly when one clause is sure of it. One-clause rows have no clause scores.
    scores, best, gold = [], [], []
    for i in range(n):
        if i % 3 == 2:
            scores.append(dict.fromkeys(TOPICS, 0.05) | {"process": 0.85})
            best.append(dict(scores[-1]))
            gold.append({"process"})
            continue
        said = i % 6 == 0
        scores.append(dict.fromkeys(TOPICS, 0.05) | {"efficiency": 0.9, "process": 0.3})
        best.append(None if i % 5 == 0 else dict(scores[-1], process=0.9 if said else 0.35))
        gold.append({"efficiency", "process"} if said else {"efficiency"})
    return scores, best, gold


def test_clause_cuts_are_chosen_on_out_of_fold_scores_where_they_help():
    scores, best, gold = _rows()
    rule = T.fit_topic_rule(scores, gold)
    weak = [{t: logit(s[t]) - logit(rule["thresholds"][t]) for t in s} for s in scores[:2]]
    assert [pick_topics(m, rule["secondary"], rule["cardinality"]) for m in weak] == [["efficiency"]] * 2
    cuts = fit_clause_second(scores, best, gold, rule)
    assert set(cuts) == {"process"} and 0.35 < cuts["process"] <= 0.9
    # A clause that says nothing about who is right gets no cut: the rule stays as it was.
    noise = [b if b is None or b["efficiency"] < 0.5 else dict(b, process=0.9) for b in best]
    assert fit_clause_second(scores, noise, gold, rule) == {}


def test_a_chosen_topic_stays_only_if_its_evidence_clears_its_keep_cut():
    assert keep_if_said(["efficiency", "process"], {"process": -0.1}) == ["efficiency"]
    assert keep_if_said(["efficiency", "process"], {"process": 0.1}) == ["efficiency", "process"]
    assert keep_if_said(["efficiency", "process"], {"attitude": -2.0}) == ["efficiency", "process"]
    assert keep_if_said(["process", "efficiency"], {"process": -1.0}) == ["efficiency"]
    # Something always stays: the first chosen when none would; ``other`` and no cuts are left alone.
    assert keep_if_said(["process"], {"process": -1.0}) == ["process"]
    assert keep_if_said(["other"], {"other": -1.0}) == ["other"]
    assert keep_if_said(["efficiency", "process"], None) == ["efficiency", "process"]
    thr = dict.fromkeys(TOPICS, 0.5)
    scores = dict.fromkeys(TOPICS, 0.1) | {"efficiency": 0.9, "process": 0.7}
    first = dict.fromkeys(TOPICS, 0.1) | {"efficiency": 0.9, "process": 0.4}
    assert [t for t, _ in decide_topics(scores, thr)] == ["efficiency", "process"]
    assert [t for t, _ in decide_topics(scores, thr, keep=clause_margins(first, {"process": 0.6}))] == ["efficiency"]
    assert [t for t, _ in decide_topics(scores, thr, keep=clause_margins(first, {"process": 0.3}))] \
        == ["efficiency", "process"]


def test_keep_cuts_are_chosen_on_out_of_fold_scores_where_they_help():
    # Process sits well above its threshold beside efficiency in every mixed row (the second stage's
    # score), rightly only when the whole text's first stage is sure of it; a third are about process alone.
    scores, best, gold = [], [], []
    for i in range(180):
        if i % 3 == 2:
            scores.append(dict.fromkeys(TOPICS, 0.05) | {"process": 0.85})
            best.append(dict(scores[-1]))
            gold.append({"process"})
            continue
        said = i % 2 == 0
        scores.append(dict.fromkeys(TOPICS, 0.05) | {"efficiency": 0.9, "process": 0.7})
        best.append(dict(scores[-1], process=0.9 if said else 0.3))
        gold.append({"efficiency", "process"} if said else {"efficiency"})
    rule = T.fit_topic_rule(scores, gold)
    margins = {t: logit(scores[1][t]) - logit(rule["thresholds"][t]) for t in TOPICS}
    assert set(pick_topics(margins, rule["secondary"], rule["cardinality"])) == {"efficiency", "process"}
    cuts = fit_keep_whole(scores, best, gold, rule)
    assert set(cuts) == {"process"} and 0.3 < cuts["process"] <= 0.85
    # Clauses that say nothing about who is right: no cut.
    assert fit_keep_whole(scores, [dict(b, process=0.9) for b in best], gold, rule) == {}


def test_pipeline_reads_the_cuts_only_when_the_model_has_them():
    pipe = Pipeline.load(store.SHIPPED_DIR, "v13")
    assert "topic_clause_second" not in pipe.model and pipe.topic_clause_cuts is None
    parsed = parse(pipe.tokenizer, TWO_CLAUSES)
    scores, best, first = pipe.topic_evidence(parsed)
    assert scores == pipe.topic_scores(parsed) and set(best) == set(TOPICS)
    assert first == pipe.topic_model.probs(pipe.topic_inputs(parsed)) != scores
    plain = decide_topics(scores, pipe.thresholds, pipe.topic_secondary, pipe.topic_cardinality)
    assert pipe.topics(parsed) == plain == pipe.analyze(TWO_CLAUSES).topics
    margins = pipe.topic_margins(scores)
    chosen = [t for t, _ in plain]
    runner = max((t for t in TOPICS if t != "other" and t not in chosen), key=margins.__getitem__)
    low = Pipeline(dict(pipe.model, topic_clause_second={runner: 0.01}), tokenizer=pipe.tokenizer)
    high = Pipeline(dict(pipe.model, topic_clause_second={runner: 0.999}), tokenizer=pipe.tokenizer)
    assert [t for t, _ in low.analyze(TWO_CLAUSES).topics] == [t for t, _ in low.topics(parsed)]
    assert set(t for t, _ in low.topics(parsed)) == set(chosen) | {runner}
    assert high.topics(parsed) == plain
    one = parse(pipe.tokenizer, "排队等了一个多小时")
    assert len(one.clauses) == 1 and pipe.topic_evidence(one)[1] == pipe.topic_model.probs(pipe.topic_inputs(one))
    assert low.topics(one) == pipe.topics(one)  # one clause: nothing added from the whole text
    # C2: a keep cut the whole text's first stage does not reach drops every chosen topic but the first.
    strict = Pipeline(dict(pipe.model, topic_keep_whole=dict.fromkeys(TOPICS, 0.999)), tokenizer=pipe.tokenizer)
    assert strict.topic_keep_cuts and pipe.topic_keep_cuts is None
    assert [t for t, _ in strict.topics(parsed)] == chosen[:1]
    assert Pipeline(dict(pipe.model, topic_keep_whole={}), tokenizer=pipe.tokenizer).topics(parsed) == plain


def test_training_fits_and_records_the_cuts_only_when_on(small_layers, monkeypatch):
    pipe, base, examples = small_layers
    monkeypatch.setattr(T, "TOPIC_STACK_CLAUSES", True)
    keys = ("topic_clause_second", "topic_keep_whole")
    off = T.train_layers(dict(base, topic_clause_second={"process": 0.5}, topic_keep_whole={"process": 0.5}),
                         examples, pipe.tokenizer)
    assert not set(keys) & set(off)  # neither fitted nor carried over from the base
    monkeypatch.setattr(T, "TOPIC_CLAUSE_SECOND", True)
    monkeypatch.setattr(T, "TOPIC_KEEP_WHOLE", True)
    model = T.train_layers(base, examples, pipe.tokenizer, "v-test")
    for key in keys:
        cuts = model[key]
        assert isinstance(cuts, dict) and set(cuts) <= set(TOPICS) - {"other"}
        assert all(0.0 < v < 1.0 for v in cuts.values())
    # The stored stages and rule are those of the same training without the switches: only cuts added.
    assert {k: v for k, v in model.items() if k not in (*keys, "topic_cv", "version")} \
        == {k: v for k, v in off.items() if k not in ("topic_cv", "version")}
    trained = Pipeline(model, tokenizer=pipe.tokenizer)
    assert (trained.topic_clause_cuts, trained.topic_keep_cuts) == tuple(model[k] or None for k in keys)
