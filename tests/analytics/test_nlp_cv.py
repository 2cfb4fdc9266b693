"""benchmarks/nlp_cv.py's options (--without-last, --domain-average, --topic-fold-average) on hand-made
examples (no labelled or blind data read)."""

import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def nlp_cv():
    repo_root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("bench_nlp_cv", repo_root / "benchmarks/nlp_cv.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(nlp_cv):
    # 40 older rows: word "a" praises, word "b" complains; then 30 newest rows that say "a" complains.
    older = [({"a": 1.0} if j % 2 else {"b": 1.0}, j % 2) for j in range(40)]
    newest = [({"a": 1.0}, 0) for _ in range(30)]
    sent = [(i, x, y) for i, (x, y) in enumerate(older + newest)]
    folds = [i % nlp_cv.T.CV_FOLDS for i in range(len(sent))]
    return sent, folds, set(range(40, 70))


def test_without_newest_rows_scores_the_same_older_rows(nlp_cv):
    sent, folds, newest = _rows(nlp_cv)
    res = nlp_cv.compare_without(sent, folds, newest)
    assert res["older"] == list(range(40))
    assert set(res["right_with"]) == set(res["right_without"]) == set(range(40))
    # Trained without the contradicting rows, every older opinion is read right ...
    assert all(res["right_without"].values())
    # ... and with them the praise rows ("a") are read as complaints, the complaints ("b") still right.
    assert not any(res["right_with"][i] for i in range(1, 40, 2))
    assert all(res["right_with"][i] for i in range(0, 40, 2))
    assert [n for n, _, _ in res["per_fold"]] == [8] * nlp_cv.T.CV_FOLDS
    assert all(without == 1.0 and with_ < 1.0 for _, without, with_ in res["per_fold"])


def test_rows_without_inputs_score_one_half_and_are_not_trained_on(nlp_cv):
    sent, folds, _ = _rows(nlp_cv)
    sent = sent[:40] + [(40, None, 1)]
    prob = nlp_cv.sentiment_oof(sent, folds + [0])
    assert prob[40] == 0.5
    assert len(prob) == 41
    assert prob[1] > 0.5 > prob[0]


def test_without_last_must_leave_older_rows(nlp_cv):
    with pytest.raises(SystemExit):
        nlp_cv.main(["--without-last", "-1"])


def test_domain_average_switch_is_off_and_restored(nlp_cv):
    sent, folds, _ = _rows(nlp_cv)
    sent = sent[:40]
    assert nlp_cv.T.DOMAIN_AVERAGE is False
    res = nlp_cv.compare_domain_average(sent, folds[:40])
    assert nlp_cv.T.DOMAIN_AVERAGE is False
    # Both read the separable example right, but averaging over all steps (the early ones included)
    # gives different, less extreme weights than the last step.
    for name in ("current", "averaged"):
        assert all((res[name][i] >= 0.5) == (y == 1) for i, _, y in sent)
    assert res["current"] != res["averaged"]


def test_fold_average_switch_is_off_and_averages_weights(nlp_cv):
    from analytics.nlp.linear import LogReg
    assert nlp_cv.T.TOPIC_FOLD_AVERAGE is False
    a, b = LogReg({"x": 1.0, "y": 0.002}, 0.5), LogReg({"x": 3.0, "z": -1.0}, -0.1)
    m = nlp_cv.T.average_models([a, b], prune=1e-3)
    # y's mean (0.001) is kept at the bound, a weight in one model only is halved.
    assert m.weights == {"x": 2.0, "y": 0.001, "z": -0.5}
    assert m.bias == 0.2
    assert nlp_cv.T.average_models([a, b], prune=0.002).weights == {"x": 2.0, "z": -0.5}


def _topic_example(j):
    # Three situations the words tell apart: attitude, efficiency, both; each text also has a word of
    # its own, so the fold models differ.
    from types import SimpleNamespace

    from analytics.nlp.features import Parsed
    words, topics = [(["态度", "好"], ["attitude"]), (["排队", "久"], ["efficiency"]),
                     (["态度", "差", "排队", "久"], ["attitude", "efficiency"])][j % 3]
    toks = words + [f"w{j}"]
    return SimpleNamespace(topics=topics, group=f"s{j % 10}", sentiment=None), Parsed("".join(toks), [toks])


def test_topic_fold_average_nested_scores_every_opinion_with_both_finals(nlp_cv, capsys):
    pairs = [_topic_example(j) for j in range(60)]
    examples, parsed = [e for e, _ in pairs], [p for _, p in pairs]
    folds = [nlp_cv.T.cv_fold("", group=e.group) for e in examples]
    assert len(set(folds)) == nlp_cv.T.CV_FOLDS  # every outer fold holds opinions
    assert nlp_cv.nlp_nested.report(examples, parsed, folds, 1, False, 0.0) == 0
    out = capsys.readouterr().out
    # Both finals read the separable example right (macro-F1 1 where the other topics are absent) ...
    assert out.count("macro-F1 1.0000") == 4
    assert "fold-average - current per outer fold: +0.0000 +0.0000 +0.0000 +0.0000 +0.0000" in out
    rows = [(nlp_cv.topic_features(p, True), [], set(e.topics)) for e, p in pairs]
    res = nlp_cv.nlp_nested.nested_topics(rows, folds)
    assert set(res["preds"]["current"]) == set(res["preds"]["fold-average"]) == set(range(60))
    # ... from 10 inner models (3 of 5 folds) and 5 outer-train ones (4 of 5), each trained once.
    assert len(res["cost"]["inner_model_s"]) == 10 and len(res["cost"]["outer_train_model_s"]) == 5
    assert len(res["rules"]) == nlp_cv.T.CV_FOLDS


def test_nested_sentiment_scores_both_finals(nlp_cv):
    sent, folds, _ = _rows(nlp_cv)
    rows = [(x, y) for _, x, y in sent[:40]]
    prob = nlp_cv.nlp_nested.nested_sentiment(rows, folds[:40])
    for name in ("current", "fold-average"):
        assert set(prob[name]) == set(range(40))
        assert all((prob[name][i] >= 0.5) == (y == 1) for i, (_, y) in enumerate(rows))
    assert prob["current"] != prob["fold-average"]


def test_topic_fold_average_runs_the_shipped_procedure(nlp_cv):
    with pytest.raises(SystemExit):
        nlp_cv.main(["--topic-fold-average"])


def _two_clause_example(j):
    # As _topic_example, but each situation written as clauses, the aspect of the two-topic opinion
    # in a clause of its own.
    from types import SimpleNamespace

    from analytics.nlp.features import Parsed
    clauses, topics = [([["态度", "好"]], ["attitude"]), ([["排队", "久"]], ["efficiency"]),
                       ([["排队", "久", f"w{j}"], ["态度", "差"]], ["attitude", "efficiency"])][j % 3]
    clauses = [c + [f"w{j}"] for c in clauses] if j % 3 < 2 else clauses
    return (SimpleNamespace(topics=topics, group=f"s{j % 10}", sentiment=None, text=f"t{j}"),
            Parsed("".join(t for c in clauses for t in c), clauses))


def test_clause_stack_and_binary_bag_are_scored_on_v6s_folds(nlp_cv, tmp_path, capsys):
    from types import SimpleNamespace
    pairs = [_two_clause_example(j) for j in range(60)]
    examples, parsed = [e for e, _ in pairs], [p for _, p in pairs]
    folds = [nlp_cv.T.cv_fold("", group=e.group) for e in examples]
    ns = SimpleNamespace(clause_stack=True, binary_bag=True, procs=1, scores=tmp_path / "s.json")
    sets = nlp_cv.clause_binary_sets(ns, parsed, list(range(60)), examples, folds)
    assert [n for n, _ in sets] == ["v6", "C1 clause stack", "v7 stack, whole text only", "C2 binary bag"]
    assert all(set(pr) == set(range(60)) for _, pr in sets)
    assert nlp_cv.T.TOPIC_BINARY is False  # restored after the candidate's first stage
    # The cache holds v6's whole-text and best-clause scores, and the binary bag's of its own.
    cached = nlp_cv.json.loads(ns.scores.read_text(encoding="utf-8"))
    whole, best = cached["value"][2]
    assert set(whole) == set(best) == set(nlp_cv.TOPICS)
    assert best["attitude"] > whole["attitude"]  # the one-clause aspect stands out in its clause
    assert cached["value"][0][0] == cached["value"][0][1]  # one clause: the clause is the text
    assert ns.scores.with_suffix(".binary.json").exists()
    # A second call reads both caches and decides the same.
    assert nlp_cv.clause_binary_sets(ns, parsed, list(range(60)), examples, folds) == sets
    assert "(0 s CPU" in capsys.readouterr().out.splitlines()[-2]
    line = nlp_cv.multi_topic_line(sets[0][1], list(range(60)), examples)
    assert line.startswith("  gold 2+ topics: 20;")


def test_wave12_candidates_run_under_v6s_procedure(nlp_cv):
    with pytest.raises(SystemExit):
        nlp_cv.main(["--clause-stack", "--procedure", "v7"])


def test_a_candidate_first_stage_is_scored_under_the_clause_stack_on_the_same_folds(nlp_cv, tmp_path, capsys):
    # Wave 13: the candidate's first stage (here the positives weighted 1) is trained on the same folds,
    # with its clause scores cached beside v6's, and scored by the clause stack as C1 is; the switch is
    # restored after, so v6 and C1 are the shipped first stage.
    from types import SimpleNamespace
    # 30 efficiency opinions and 10 attitude ones: attitude's positives weigh 1.5 under cap3.
    pairs = [_two_clause_example(j) for j in range(90) if j % 3 == 1 or j % 9 == 0]
    n = len(pairs)
    examples, parsed = [e for e, _ in pairs], [p for _, p in pairs]
    folds = [nlp_cv.T.cv_fold("", group=e.group) for e in examples]
    ns = SimpleNamespace(clause_stack=True, binary_bag=False, procs=1, scores=tmp_path / "s.json")
    base = nlp_cv.clause_binary_sets(ns, parsed, list(range(n)), examples, folds)
    sets = nlp_cv.clause_binary_sets(ns, parsed, list(range(n)), examples, folds, {"TOPIC_WEIGHTING": "none"})
    # v12's procedure (C1) and the candidate only, C1 first (the one every candidate is compared with).
    assert [n for n, _ in sets] == ["C1 clause stack", "C1 + TOPIC_WEIGHTING=none"]
    assert sets[0] == base[1] and base[1][0] == "C1 clause stack"
    assert nlp_cv.T.TOPIC_WEIGHTING == "cap3"
    cached = nlp_cv.json.loads(ns.scores.with_suffix(".topic_weighting-none.json").read_text(encoding="utf-8"))
    assert cached["key"]["first_stage"]["weighting"] == "none"
    v6 = nlp_cv.json.loads(ns.scores.read_text(encoding="utf-8"))
    assert v6["key"]["first_stage"]["weighting"] == "cap3"
    # Weighted 1 instead of 1.5, the attitude opinions' attitude scores are lower; efficiency's (the
    # majority, weight 1 either way) is the same model.
    att = [j for j, e in enumerate(examples) if e.topics == ["attitude"]]
    assert len(att) == 10
    assert all(cached["value"][j][0]["attitude"] < v6["value"][j][0]["attitude"] for j in att)
    assert all(c[0]["efficiency"] == b[0]["efficiency"] for c, b in zip(cached["value"], v6["value"], strict=True))
    assert all(set(pr) == set(range(n)) for _, pr in sets)


def test_a_candidate_first_stage_needs_the_clause_stack(nlp_cv):
    with pytest.raises(SystemExit):
        nlp_cv.main(["--procedure", "v6", "--binary-bag", "--weighting", "none"])


def test_p2_and_c2_are_scored_against_c1_on_the_same_scores_and_folds(nlp_cv, tmp_path, capsys):
    # Wave 14: C1 and C1 whose rule may add the runner-up from its best clause, from one first stage.
    from types import SimpleNamespace
    pairs = [_two_clause_example(j) for j in range(60)]
    examples, parsed = [e for e, _ in pairs], [p for _, p in pairs]
    folds = [nlp_cv.T.cv_fold("", group=e.group) for e in examples]
    ns = SimpleNamespace(clause_stack=True, binary_bag=False, procs=1, scores=tmp_path / "s.json")
    c1 = nlp_cv.clause_binary_sets(ns, parsed, list(range(60)), examples, folds)[1]
    sets = nlp_cv.clause_binary_sets(SimpleNamespace(**vars(ns), clause_second=True), parsed, list(range(60)),
                                     examples, folds)
    assert [n for n, _ in sets] == ["C1 clause stack", "C1 + P2 second topic from its clause"]
    assert sets[0] == c1
    assert set(sets[1][1]) == set(range(60))
    # Only added topics: every C1 decision is kept, and an opinion of one clause is never given more.
    assert all(c1[1][i] <= sets[1][1][i] for i in range(60))
    assert all(sets[1][1][i] == c1[1][i] for i in range(60) if len(parsed[i].clauses) == 1)
    assert "P2 clause thresholds per fold" in capsys.readouterr().out
    # C2 from the same scores: P2's additions and C1's choices less those the whole text does not say;
    # an opinion of one clause gets nothing added.
    sets = nlp_cv.clause_binary_sets(SimpleNamespace(**vars(ns), keep_whole=True), parsed, list(range(60)),
                                     examples, folds)
    assert [n for n, _ in sets] == ["C1 clause stack", "C1 + C2 P2 and kept only if the whole text says it"]
    assert sets[0] == c1 and all(sets[1][1][i] for i in range(60))
    assert all(sets[1][1][i] <= c1[1][i] for i in range(60) if len(parsed[i].clauses) == 1)
    assert "C2 clause and keep thresholds per fold" in capsys.readouterr().out


def test_p2_and_c2_need_the_clause_stack(nlp_cv):
    for flag in ("--clause-second", "--keep-whole"):
        with pytest.raises(SystemExit):
            nlp_cv.main(["--procedure", "v6", flag])


def test_joint_inputs_are_scored_against_c1_on_the_same_scores_and_folds(nlp_cv, tmp_path, capsys):
    # Wave 15: C1 and C1 whose second stage also reads each topic's clause with the whole text, each
    # from the one cached first stage, each with its own cross-fitted stack and rule.
    from types import SimpleNamespace
    pairs = [_two_clause_example(j) for j in range(60)]
    examples, parsed = [e for e, _ in pairs], [p for _, p in pairs]
    folds = [nlp_cv.T.cv_fold("", group=e.group) for e in examples]
    ns = SimpleNamespace(clause_stack=True, binary_bag=False, procs=1, scores=tmp_path / "s.json")
    c1 = nlp_cv.clause_binary_sets(ns, parsed, list(range(60)), examples, folds)[1]
    sets = nlp_cv.clause_binary_sets(SimpleNamespace(**vars(ns), stack_joint=["gate", "excess"]), parsed,
                                     list(range(60)), examples, folds)
    assert [n for n, _ in sets] == ["C1 clause stack", "C1 + J gate", "C1 + J excess"]
    assert sets[0] == c1
    assert all(set(pr) == set(range(60)) for _, pr in sets)
    out = capsys.readouterr().out
    assert "(0 s CPU" in out  # the first stage read from the cache C1's run wrote
    assert "C1 + J gate: cross-fitted stack" in out and "zg:process" in out and "ze:process" in out


def test_joint_inputs_need_the_clause_stack(nlp_cv):
    with pytest.raises(SystemExit):
        nlp_cv.main(["--procedure", "v6", "--stack-joint", "gate"])
