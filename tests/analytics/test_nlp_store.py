"""Model files (store.py): the current format (JSON header + 32-bit weights) loads as the same model as
the one saved and as the legacy JSON file it replaces, deterministically; the scoring is unchanged."""

import gzip
import json
import shutil

import pytest

from analytics.nlp import store
from analytics.nlp.convert import main as convert_main
from analytics.nlp.linear import LogReg, LogRegGroup, MultiLogReg
from analytics.nlp.pipeline import Pipeline, get_pipeline

TEXTS = ["工作人员态度特别好，耐心给我讲了好几遍", "排队两个小时，窗口只开了一个，太慢了", "材料清单写得清楚，一次就办好了",
         "我的电话是13800138000，大厅空调太冷", "", "还行吧", "服务态度差，收费不透明，还让我跑了三趟"]


def small_model() -> dict:
    """A trained model's shape: compact linear models, topics over different keys (one key with a
    stored weight of 0, one topic with no weight at all), a placeholder in the older weights form."""
    topics = {"process": LogReg({"t:材料": 1.2345, "t:清单": -0.5, "b:一次": 0.0}, -1.25),
              "attitude": LogReg({"t:态度": 2.0, "t:材料": 0.1}, 0.5),
              "other": LogReg({}, -2.0)}
    return {"version": "v-small", "format": 1,
            "general": LogReg({"g:好": 1.5, "g:差": -1.5}, 0.1).to_dict(),
            "domain": {"bias": 0.0, "weights": {}},
            "topics": {t: m.to_dict() for t, m in topics.items()},
            "topic_thresholds": {"process": 0.5, "attitude": 0.4, "other": 0.6},
            "idf": {"table": {"材料": 3.25}, "default": 9.751}}


def test_a_saved_model_loads_as_saved_and_saves_to_the_same_bytes(tmp_path):
    model = small_model()
    path = store.save_model(tmp_path, "v-small", model, {"version": "v-small"})
    assert store.model_file(path).name == store.MODEL_FILE
    loaded, meta = store.load_model(tmp_path, "v-small")
    assert loaded == model and meta == {"version": "v-small"}
    assert isinstance(loaded["topics"], LogRegGroup) and isinstance(loaded["general"]["values"], list)
    # Names in sorted order, as the legacy JSON file (sort_keys) gave them: the topics' order is kept.
    assert list(loaded["topics"]) == sorted(model["topics"]) == list(json.loads(json.dumps(model, sort_keys=True))
                                                                      ["topics"])
    assert loaded["topics"]["process"] == model["topics"]["process"]  # the stored 0 kept, not dropped
    assert "b:一次" in loaded["topics"]["process"]["keys"] and "b:一次" not in loaded["topics"]["attitude"]["keys"]
    assert "process" in loaded["topics"] and "nothing" not in loaded["topics"]
    assert dict(loaded["topics"]) == model["topics"] and list(loaded["topics"].keys()) == list(loaded["topics"])
    first = (path / store.MODEL_FILE).read_bytes()
    store.save_model(tmp_path, "v-again", loaded, {})  # a loaded model (with its group) saved again
    store.save_model(tmp_path, "v-small", model, {"version": "v-small"})
    assert (path / store.MODEL_FILE).read_bytes() == first
    assert (tmp_path / "versions" / "v-again" / store.MODEL_FILE).read_bytes() == first


def test_the_group_scores_like_the_models_it_holds():
    model = small_model()
    group = store.decode_model(store.encode_model(model))["topics"]
    fast = MultiLogReg.from_dicts(group)
    plain = MultiLogReg({t: LogReg.from_dict(d) for t, d in sorted(model["topics"].items())})
    assert fast.names == plain.names == ["attitude", "other", "process"] and fast.biases == plain.biases
    assert fast.table == plain.table  # the same floats for every key (0.0 where a model has none)
    feats = {"t:材料": 0.5, "t:态度": 0.5, "b:一次": 0.25, "t:未知": 1.0}
    assert fast.probs(feats) == plain.probs(feats)


def test_a_corrupt_model_file_is_refused():
    body = store.encode_model(small_model())
    with pytest.raises(ValueError, match="cut short"):
        store.decode_model(body[:-4])
    with pytest.raises(ValueError, match="not a model file"):
        store.decode_model(b'{"format": "other"}\n')
    big = dict(small_model(), general={"bias": 0.0, "keys": "g:好", "values": [2**31]})
    with pytest.raises(ValueError, match="32 bits"):
        store.encode_model(big)


@pytest.mark.parametrize("version", ["v7", "v1"])  # v7: a second topic stage; v1: the oldest
def test_a_legacy_version_converts_to_the_same_model(tmp_path, version):
    shipped = store.SHIPPED_DIR / "versions" / version
    assert store.model_file(shipped).name == store.LEGACY_MODEL_FILE
    shutil.copytree(shipped, tmp_path / "versions" / version)
    legacy, meta = store.load_model(tmp_path, version)
    assert legacy == json.loads(gzip.decompress((shipped / store.LEGACY_MODEL_FILE).read_bytes()))
    convert_main([version, "--dir", str(tmp_path)])
    vdir = tmp_path / "versions" / version
    assert sorted(p.name for p in vdir.iterdir()) == sorted([store.MODEL_FILE, store.META_FILE])
    assert (vdir / store.META_FILE).read_bytes() == (shipped / store.META_FILE).read_bytes()
    model, meta2 = store.load_model(tmp_path, version)
    assert model == legacy and meta2 == meta and list(model) == list(legacy)
    tok = get_pipeline().tokenizer
    old, new = Pipeline(legacy, meta, tokenizer=tok), Pipeline(model, meta2, tokenizer=tok)
    assert new.topic_model.table == old.topic_model.table
    assert (new.topic_stack is None) == (version == "v1")
    for text in TEXTS:
        a, b = old.analyze(text, 2), new.analyze(text, 2)
        assert (a.to_dict(), a.tokens, a.text_sentiment, a.uncertainty, a.topics) == \
            (b.to_dict(), b.tokens, b.text_sentiment, b.uncertainty, b.topics)
    with pytest.raises(FileNotFoundError):
        store.convert_version(tmp_path, version)  # nothing left to convert


def test_saving_over_a_legacy_version_leaves_one_file(tmp_path):
    vdir = tmp_path / "versions" / "v-old"
    vdir.mkdir(parents=True)
    model = small_model()
    with gzip.open(vdir / store.LEGACY_MODEL_FILE, "wt", encoding="utf-8") as fh:
        json.dump(dict(model, version="legacy"), fh)
    assert store.load_model(tmp_path, "v-old")[0]["version"] == "legacy"
    assert [v["version"] for v in store.list_versions(tmp_path) if v["origin"] == "local"] == ["v-old"]
    store.save_model(tmp_path, "v-old", model, {})
    assert not (vdir / store.LEGACY_MODEL_FILE).exists()
    assert store.load_model(tmp_path, "v-old")[0] == model


def test_the_active_shipped_version_is_in_the_current_format():
    # The fast-loading file; a version trained with older code is rewritten by analytics.nlp.convert.
    active = store.active_version(store.SHIPPED_DIR)
    assert store.model_file(store.version_path(store.SHIPPED_DIR, active)).name == store.MODEL_FILE
