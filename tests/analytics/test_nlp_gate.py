"""The promotion gate (wave-10 prereg, step 1): a paired bootstrap over the held-out opinions refuses a
candidate worse beyond noise or by more than one point on sentiment, hard cases or topics macro-F1."""

import json

import pytest

from analytics.nlp import store
from analytics.nlp import training_layers as T
from analytics.nlp.evaluation import Judged, evaluate, judge_examples
from analytics.nlp.gate import compare, format_gate
from analytics.nlp.pipeline import Pipeline
from analytics.nlp.training import load_labelled, rebuild_layers, train_model

SHIPPED = store.active_version(store.SHIPPED_DIR)


def sentiment_pair(n: int, right: int, lost: int, gained: int, hard: bool = False):
    """Two models on n opinions: the incumbent gets ``right`` right; the candidate loses ``lost`` of
    those and gets ``gained`` of the incumbent's wrong ones right."""
    inc = [i < right for i in range(n)]
    cand = [(ok and i >= lost) or (not ok and i < right + gained) for i, ok in enumerate(inc)]
    return ([Judged(c, hard, "plain", None, frozenset()) for c in cand],
            [Judged(i, hard, "plain", None, frozenset()) for i in inc])


def test_a_candidate_clearly_worse_on_sentiment_is_refused():
    cand, inc = sentiment_pair(1000, 940, lost=30, gained=0)
    gate = compare(cand, inc)
    s = gate["figures"]["sentiment_accuracy"]
    assert s["d"] == pytest.approx(-0.03) and s["share_d_ge_0"] < 0.05
    assert s["refused"] and "beyond noise" in s["reason"] and "3.00 points" in s["reason"]
    assert not gate["passed"] and gate["decision"] == "refuse" and gate["refused_on"] == ["sentiment_accuracy"]
    assert "REFUSE on sentiment_accuracy" in format_gate(gate)


def test_equal_models_pass():
    cand, inc = sentiment_pair(300, 280, lost=0, gained=0, hard=True)
    gate = compare(cand, inc)
    assert gate["passed"] and gate["decision"] == "promote" and gate["refused_on"] == []
    for f in gate["figures"].values():
        assert f["d"] == 0 and f["share_d_ge_0"] == 1.0 and not f["refused"]


def test_a_small_drop_within_noise_passes():
    # The size of one retrain's shuffle-order noise (benchmarks/README.md, nlp9): -2 of 1000.
    cand, inc = sentiment_pair(1000, 940, lost=5, gained=3)
    gate = compare(cand, inc)
    s = gate["figures"]["sentiment_accuracy"]
    assert s["d"] == pytest.approx(-0.002) and 0.05 <= s["share_d_ge_0"] < 0.6
    assert gate["passed"] and s["reason"] == "within the rule"


def test_worse_beyond_noise_is_refused_by_the_test_alone():
    # d = -0.007, under the one-point floor, but 40 against 5 discordant opinions is no accident.
    cand, inc = sentiment_pair(5000, 4700, lost=40, gained=5)
    s = compare(cand, inc)["figures"]["sentiment_accuracy"]
    assert s["d"] == pytest.approx(-0.007) and s["share_d_ge_0"] < 0.05
    assert s["refused"] and "points" not in s["reason"]


def test_a_drop_of_more_than_one_point_is_refused_even_without_power():
    # 50 opinions, 2 lost: the bootstrap cannot tell this from noise, the one-point floor refuses it.
    cand, inc = sentiment_pair(50, 45, lost=2, gained=0)
    s = compare(cand, inc)["figures"]["sentiment_accuracy"]
    assert s["share_d_ge_0"] >= 0.05
    assert s["refused"] and s["reason"] == "drop of 4.00 points (> 1)"
    # Exactly one point is not more than one point.
    cand, inc = sentiment_pair(100, 90, lost=1, gained=0)
    assert compare(cand, inc)["passed"]


def test_hard_cases_and_topics_are_judged_too():
    cand, inc = sentiment_pair(1000, 900, lost=0, gained=3)
    hard_c, hard_i = sentiment_pair(100, 90, lost=4, gained=0, hard=True)
    gate = compare(cand + hard_c, inc + hard_i)
    assert gate["refused_on"] == ["hard_accuracy"]
    gold = frozenset({"attitude"})
    inc_t = [Judged(None, False, "plain", gold, gold)] * 40
    cand_t = [Judged(None, False, "plain", gold, frozenset({"other"}))] * 2 + inc_t[2:]
    gate = compare(cand_t, inc_t)
    # attitude: 38 TP, 2 FN -> F1 76/78; other: 2 FP -> 0; the other seven score 1 (neither labelled nor
    # predicted): macro (7 + 76/78) / 9 against 9 / 9.
    t = gate["figures"]["topic_macro_f1"]
    assert t["candidate"] == pytest.approx((7 + 76 / 78) / 9, abs=1e-6) and t["incumbent"] == 1.0
    assert gate["refused_on"] == ["topic_macro_f1"]


def test_the_decision_is_deterministic():
    cand, inc = sentiment_pair(400, 370, lost=6, gained=2)
    gate = compare(cand, inc)
    assert 0.0 < gate["figures"]["sentiment_accuracy"]["share_d_ge_0"] < 1.0
    assert compare(list(cand), list(inc)) == gate


def test_both_models_must_be_judged_on_the_same_opinions():
    cand, inc = sentiment_pair(20, 18, 0, 0)
    with pytest.raises(ValueError):
        compare(cand, inc[:-1])
    with pytest.raises(ValueError):
        compare(cand, inc[:-1] + [Judged(None, False, "plain", None, frozenset())])


def test_the_unresampled_figures_are_evaluations():
    # Every fourth held-out opinion, v8 against v6: the gate's figures on the data as drawn once each
    # are evaluate's. evaluate rounds each topic's F1 to 4 places before averaging them, so a macro-F1
    # may differ from the gate's unrounded mean by one unit in the fourth place, never more.
    test = [e for e in load_labelled() if e.split == "test"][::4]
    pipes = [Pipeline(*store.load_model(store.SHIPPED_DIR, v)) for v in (SHIPPED, "v6")]
    judged = [judge_examples(p, test) for p in pipes]
    gate = compare(*judged, resamples=20)
    for side, pipe in zip(("candidate", "incumbent"), pipes, strict=True):
        scores = evaluate(pipe, test)
        for name, f in gate["figures"].items():
            assert f[side] == pytest.approx(scores[name], abs=1e-4), (side, name)
    assert gate["n"] == len(test)


@pytest.fixture
def quick_training(monkeypatch):
    """3 folds of 3 epochs: these tests are of what a training records, not of how well it learns."""
    monkeypatch.setattr(T, "CV_FOLDS", 3)
    monkeypatch.setattr(T, "TOPIC_PARAMS", dict(T.TOPIC_PARAMS, epochs=3))
    monkeypatch.setattr(T, "DOMAIN_PARAMS", dict(T.DOMAIN_PARAMS, epochs=3))


def test_train_model_stores_the_gate_in_the_meta(tmp_path, small_labelled, quick_training):
    result = train_model([], model_dir=tmp_path, version="v-gate", labelled_path=small_labelled)
    meta = json.loads((tmp_path / "versions" / "v-gate" / "meta.json").read_text(encoding="utf-8"))
    gate = meta["gate"]
    assert gate == result.gate
    assert (gate["candidate"], gate["incumbent"]) == ("v-gate", SHIPPED)
    assert gate["resamples"] == 2000 and gate["n"] == meta["trained_on"]["held_out"]
    for name, f in gate["figures"].items():
        assert f["candidate"] == pytest.approx(meta["scores"][name], abs=1e-4)  # as above
        assert round(f["incumbent"], 4) == meta["compared_with"]["scores"][name]
        # Each of the three is rounded to six places on its own: they agree to within 1.5e-6.
        assert f["d"] == pytest.approx(f["candidate"] - f["incumbent"], abs=1.5e-6)
        assert 0.0 <= f["share_d_ge_0"] <= 1.0 and f["reason"]
    assert meta["promoted"] == result.promoted == gate["passed"]
    assert store.active_version(tmp_path) == ("v-gate" if result.promoted else SHIPPED)


def test_a_rebuild_refused_by_the_gate_is_saved_but_not_activated(tmp_path, small_labelled, quick_training):
    # The train split's sentiment labels flipped: the rebuilt layers read praise as complaint.
    rows = [json.loads(x) for x in small_labelled.read_text(encoding="utf-8").splitlines()]
    for r in rows:
        if r.get("split", "train") != "test" and r.get("sentiment") is not None:
            r["sentiment"] = 1 - r["sentiment"]
    flipped = tmp_path / "flipped.jsonl"
    flipped.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "models"
    result = rebuild_layers("v1", "v-flipped", out, labelled_path=flipped)
    assert (result.current_version, result.gate["incumbent"]) == (SHIPPED, SHIPPED)
    assert not result.promoted and "sentiment_accuracy" in result.gate["refused_on"]
    meta = json.loads((out / "versions" / "v-flipped" / "meta.json").read_text(encoding="utf-8"))
    assert meta["gate"] == result.gate and meta["promoted"] is False
    assert meta["compared_with"]["version"] == SHIPPED and meta["trained_on"]["base_version"] == "v1"
    assert not (out / store.ACTIVE_FILE).exists()


# -- benchmarks/nlp_gate.py, the command the lead runs by hand (on synthetic sets here) --------------

OPINIONS = [("工作人员态度很好，耐心解答", 1, ["attitude"], "plain"),
            ("排队两个小时都没人管", 0, ["efficiency"], "plain"),
            ("不是不想帮你，是材料不全", 0, ["process"], "negation"),
            ("环境干净，就是等太久", 0, ["environment", "efficiency"], "contrast"),
            ("办事很快，一次就办好了", 1, ["efficiency"], "plain")]


def test_the_gate_command_on_a_labelled_file(tmp_path, capsys):
    from benchmarks import nlp_gate

    path = tmp_path / "opinions.jsonl"
    path.write_text("".join(json.dumps({"text": t, "sentiment": s, "topics": tp, "kind": k, "split": "test"},
                                       ensure_ascii=False) + "\n" for t, s, tp, k in OPINIONS), encoding="utf-8")
    args = ["--candidate-dir", str(store.SHIPPED_DIR), "--candidate-version", SHIPPED,
            "--incumbent-version", SHIPPED, "--labelled", str(path)]
    assert nlp_gate.main(args) == 0
    out = capsys.readouterr().out
    assert f"Promotion gate - held-out: {SHIPPED} against {SHIPPED} on 5 opinions" in out
    assert f"OVERALL: PROMOTE: {SHIPPED} against {SHIPPED} on held-out" in out
    with pytest.raises(SystemExit):
        nlp_gate.main(["--candidate-dir", str(tmp_path), "--candidate-version", "v-none"])


def test_the_gate_command_pools_the_blind_sets_as_the_benchmark_reads_them(tmp_path, monkeypatch):
    from benchmarks import nlp as bench
    from benchmarks import nlp_gate

    # Synthetic stand-ins: no blind set is read by this test.
    sets = {}
    for k, name in enumerate(["blind", *(f"blind{i}" for i in range(2, 10))]):
        path = tmp_path / f"{name}.jsonl"
        text, sentiment, topics, kind = OPINIONS[k % len(OPINIONS)]
        row = {"text": text, "sentiment": sentiment, "topics": topics, "style": "sarcasm" if k == 8 else kind}
        path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
        sets[name] = path
    monkeypatch.setattr(bench, "BLIND_SETS", sets)
    pipes = [Pipeline(*store.load_model(store.SHIPPED_DIR, v)) for v in (SHIPPED, "v1")]
    gates = nlp_gate.gates(*pipes, "blind")
    # The newest set on its own, the ones before it pooled.
    assert list(gates) == ["blind9", "blind1-8 pooled"]
    assert gates["blind9"]["n"] == 1 and gates["blind1-8 pooled"]["n"] == 8
    assert (gates["blind9"]["candidate"], gates["blind9"]["incumbent"]) == (SHIPPED, "v1")
    # blind9's one opinion is sarcasm, a hard case on the blind sets (benchmarks/nlp.py's HARD_STYLES).
    judged = nlp_gate.judge_blind(pipes[0], ("blind9",))
    assert judged[0].hard and judged[0].gold == frozenset(OPINIONS[8 % len(OPINIONS)][2])
