"""training_layers.TOPIC_FOLD_AVERAGE: the shipped topic models are the mean of the fold models whose
out-of-fold scores set the thresholds, not a model retrained on all the data (off by default)."""

from analytics.nlp import training_layers as T
from analytics.nlp.lexicon import TOPICS


def _recording(monkeypatch):
    trained = []
    real = T._train_topics

    def train_topics(rows):
        trained.append((len(rows), real(rows)))
        return trained[-1][1]

    monkeypatch.setattr(T, "_train_topics", train_topics)
    return trained


def test_off_by_default_the_topics_are_retrained_on_all_the_data(small_layers, monkeypatch):
    pipe, base, examples = small_layers
    trained = _recording(monkeypatch)
    assert T.TOPIC_FOLD_AVERAGE is False
    model = T.train_layers(base, examples, pipe.tokenizer, "v-test")
    assert len(trained) == T.CV_FOLDS + 1
    n_all, final = trained[-1]
    assert n_all > max(n for n, _ in trained[:-1])
    assert model["topics"] == {t: final[t].to_dict() for t in TOPICS}


def test_switched_on_the_topics_are_the_fold_models_mean(small_layers, monkeypatch):
    pipe, base, examples = small_layers
    trained = _recording(monkeypatch)
    monkeypatch.setattr(T, "TOPIC_FOLD_AVERAGE", True)
    model = T.train_layers(base, examples, pipe.tokenizer, "v-test")
    assert len(trained) == T.CV_FOLDS  # no model on all the data
    expected = {t: T.average_models([m[t] for _, m in trained], T.TOPIC_PARAMS["prune"]).to_dict()
                for t in TOPICS}
    assert model["topics"] == expected
    assert model["topics"] != {t: trained[0][1][t].to_dict() for t in TOPICS}
    # The thresholds and the rule are still fitted on the fold models' out-of-fold scores.
    assert set(model["topic_thresholds"]) == set(TOPICS) and model["topic_cv"]["folds"] == T.CV_FOLDS
