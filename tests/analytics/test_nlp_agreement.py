"""benchmarks/nlp_agreement.py scores two labellings correctly (a hand-made example, not blind data)."""

import importlib.util

import pytest

from feedback_api.models.reference import TOPICS


@pytest.fixture(scope="module")
def agreement(repo_root):
    spec = importlib.util.spec_from_file_location("bench_nlp_agreement", repo_root / "benchmarks/nlp_agreement.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIRST = [
    {"id": "x1", "sentiment": 1, "topics": ["attitude"]},
    {"id": "x2", "sentiment": 0, "topics": ["efficiency", "process"]},
    {"id": "x3", "sentiment": 1, "topics": ["integrity"]},
    {"id": "x4", "sentiment": 0, "topics": ["other"]},
]
# Same ids in another order: one sentiment flipped, one topic omitted, one topic swapped.
SECOND = [
    {"id": "x4", "sentiment": 0, "topics": ["environment"]},
    {"id": "x3", "sentiment": 0, "topics": ["integrity"]},
    {"id": "x2", "sentiment": 0, "topics": ["efficiency"]},
    {"id": "x1", "sentiment": 1, "topics": ["attitude"]},
]


def test_scores_a_hand_made_example(agreement):
    s = agreement.score(FIRST, SECOND)
    assert s["n"] == 4
    assert s["sentiment_accuracy"] == pytest.approx(0.75)
    # p_o = 3/4; p_e = (2*1 + 2*3) / 16 = 1/2; kappa = (3/4 - 1/2) / (1 - 1/2).
    assert s["sentiment_kappa"] == pytest.approx(0.5)
    assert set(s["per_topic"]) == set(TOPICS)
    assert s["per_topic"]["attitude"] == pytest.approx((1.0, 1.0, 1.0, 1))
    assert s["per_topic"]["process"] == pytest.approx((0.0, 0.0, 0.0, 1))
    assert s["per_topic"]["other"] == pytest.approx((0.0, 0.0, 0.0, 1))
    assert s["per_topic"]["environment"] == pytest.approx((0.0, 1.0, 0.0, 0))
    # Topics neither labeller used score 1, as in benchmarks/nlp.py: 6 of 9 topics score 1.
    assert s["topic_macro_f1"] == pytest.approx(6 / 9)
    assert s["identical_topic_sets"] == pytest.approx(0.5)
    assert dict(s["swaps"]) == {("other", "environment"): 1}
    assert dict(s["omitted"]) == {"process": 1}
    assert not s["added"]


def test_identical_labellings_agree_fully(agreement):
    s = agreement.score(FIRST, FIRST)
    assert (s["sentiment_accuracy"], s["sentiment_kappa"], s["topic_macro_f1"], s["identical_topic_sets"]) == (1, 1, 1, 1)
    assert not s["swaps"] and not s["omitted"] and not s["added"]


def test_refuses_labellings_of_different_opinions(agreement):
    with pytest.raises(ValueError):
        agreement.score(FIRST, SECOND[:3])
    with pytest.raises(ValueError):
        agreement.score(FIRST, [*SECOND[:3], {"id": "y9", "sentiment": 1, "topics": ["other"]}])
