"""benchmarks/nlp_cv.py --without-last: the older opinions are scored alike by the domain layer trained
with and without the newest rows (a hand-made example, no labelled or blind data read)."""

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
