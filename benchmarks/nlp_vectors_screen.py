"""Cheap screen (issue 17, emb8): do word-vector inputs add to what v6's topic layer already knows?

A second stage over v6's cached scenario-grouped out-of-fold topic scores (v7's stage, 10 epochs) against
the same stage with the word-vector inputs of :mod:`analytics.nlp.vectors` beside the logits, both
cross-fitted by fold; decisions by each topic's best-F1 threshold chosen on the other folds (not v6's full
rule: its grid search is the slow part). Training data only, never a blind set.

    python benchmarks/nlp_cv.py --procedure v6 --scores SCORES.json     # once: v6's out-of-fold scores
    python benchmarks/nlp_vectors_screen.py SCORES.json VECTORS.bin [MEAN_SCALE CUE_SCALE]
"""
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import nlp_cv as C  # noqa: E402

from analytics.nlp import get_pipeline  # noqa: E402
from analytics.nlp import topic_stack as S  # noqa: E402
from analytics.nlp import training_layers as T  # noqa: E402
from analytics.nlp.lexicon import TOPICS  # noqa: E402
from analytics.nlp.linear import LogReg  # noqa: E402
from analytics.nlp.topics import decide_topics  # noqa: E402
from analytics.nlp.training import load_labelled  # noqa: E402
from analytics.nlp.vectors import TopicVectors, read_vectors  # noqa: E402

t0 = time.time()
pipe = get_pipeline()
ex = load_labelled()
parsed = [pipe.prepare(e.text)[2] for e in ex]
folds = [T.cv_fold(e.text, group=e.group) for e in ex]
wt = [i for i, e in enumerate(ex) if e.topics and parsed[i].clauses]
cache = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
base = {wt[j]: s for j, s in enumerate(cache["scores"])}
table, dim, _ = read_vectors(sys.argv[2])
scales = [float(x) for x in sys.argv[3:5]] or [1.0, 1.0]
tv = TopicVectors(table, dim, {"mean": scales[0], "cues": scales[1], "idf": True}, pipe.idf, pipe.idf_default)
vf = {i: tv.features(parsed[i]) for i in wt}
gold = {i: set(ex[i].topics) for i in wt}
def cross(extra):
    out = {}
    for k in range(T.CV_FOLDS):
        fit = [i for i in wt if folds[i] != k]
        xs = [dict(S.stack_inputs(base[i]), **(vf[i] if extra else {})) for i in fit]
        ms = {t: LogReg.train(xs, [int(t in gold[i]) for i in fit], **S.STACK_PARAMS) for t in TOPICS}
        for i in wt:
            if folds[i] == k:
                x = dict(S.stack_inputs(base[i]), **(vf[i] if extra else {}))
                out[i] = {t: m.prob(x) for t, m in ms.items()}
    return out
S.STACK_PARAMS = dict(S.STACK_PARAMS, epochs=10)


def simple_preds(sc):
    preds = {}
    for k in range(T.CV_FOLDS):
        fit = [i for i in wt if folds[i] != k]
        thr = {t: T._best_threshold([sc[i][t] for i in fit], [t in gold[i] for i in fit]) for t in TOPICS}
        preds.update({i: {t for t, _ in decide_topics(sc[i], thr)} for i in wt if folds[i] == k})
    return preds
res = {}
for name, sc in (("v6", base), ("v7 stack", cross(False)), ("stack + vectors", cross(True))):
    print(name, "scored", f"{time.time()-t0:.0f} s", flush=True)
    preds = simple_preds(sc)
    for label, keep in (("scen", True), ("all", False)):
        idx = [i for i in wt if ex[i].group or not keep]
        pf = [C._macro(preds, [i for i in idx if folds[i] == k], ex) for k in range(T.CV_FOLDS)]
        res[(name, label)] = pf
        print(name, label, "macro", round(C._macro(preds, idx, ex), 4), "per fold",
              " ".join(f"{x:.3f}" for x in pf), flush=True)
for a, b in (("stack + vectors", "v7 stack"), ("stack + vectors", "v6")):
    for label in ("scen", "all"):
        d = [x - y for x, y in zip(res[(a, label)], res[(b, label)], strict=True)]
        print(f"[{a}] - [{b}] {label}: " + " ".join(f"{x:+.3f}" for x in d)
              + f"; mean {statistics.mean(d):+.4f} sd {statistics.stdev(d):.4f}")
print(f"{time.time()-t0:.0f} s")
