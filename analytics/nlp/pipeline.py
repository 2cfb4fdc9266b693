"""The analysis pipeline: masking, segmentation, sentiment, topics, keywords and flags."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from . import store
from .calibration import apply_platt, uncertainty
from .features import (
    TAIL_CLAUSES,
    Parsed,
    domain_chars,
    domain_features,
    general_features,
    parse,
    sentiment_features,
)
from .flags import text_flags
from .lexicon import TOPICS
from .linear import LogReg, MultiLogReg, NaiveBayes, logit
from .masking import LABELS, find_spans
from .result import AnalysisResult, combine
from .segment import load_stopwords, make_tokenizer
from .text import clean, fold, normalize
from .topic_clause import clause_margins
from .topic_stack import clause_max, clause_parses, stack_inputs
from .topics import decide_topics, topic_features
from .vectors import TopicVectors

ANALYSIS_CHARS = 1500  # only the start of very long opinions is scored
TOPIC_THRESHOLD = 0.65  # default for models without thresholds of their own (chosen in training)

_WORDLIKE_RE = re.compile(r"^[a-z0-9.\-_]+$|^\d+$")


def meta_features(feats: dict[str, float], lex: float, general: float, nb: float,
                  extra: dict[str, float] | None = None) -> dict[str, float]:
    """Inputs of the domain layer: base model scores plus the domain-specific sparse features."""
    out = {"m:general": general / 3.0, "m:snow": nb / 10.0, "m:lex": max(-6.0, min(6.0, lex)) / 2.0}
    for k, v in feats.items():
        out["d:" + k] = v
    if extra:
        out.update(extra)
    return out


class Pipeline:
    """Loaded models and resources; build once per process with :func:`get_pipeline`."""

    def __init__(self, model: dict, meta: dict | None = None, tokenizer=None):
        self.model = model
        self.meta = meta or {}
        self.version: str = model["version"]
        self.tokenizer = tokenizer or make_tokenizer()
        self.general = LogReg.from_dict(model["general"])
        self.snow = NaiveBayes.from_dict(model["snow_nb"])
        self.domain = LogReg.from_dict(model["domain"])
        self.topic_model = MultiLogReg.from_dicts(model["topics"])
        # Platt parameters fitted on out-of-fold scores of the training data (absent in older models).
        self.calibration = (model.get("calibration") or {}).get("sentiment")
        self.domain_extra = bool(model.get("domain_extra"))
        # v3 on: the domain layer also reads character bigrams (older models lack these weights).
        self.domain_chars = bool(model.get("domain_chars"))
        # v4 on: the topic models also read the broader cue lists (older models lack these weights).
        self.topic_v4 = bool(model.get("topic_v4"))
        # Trained with TOPIC_CHARS3: the topic models also read character trigrams (none before).
        self.topic_chars3 = bool(model.get("topic_chars3"))
        # Trained with TOPIC_BINARY: the topics' bag is plain 1.0 (L2-scaled before and without it).
        self.topic_binary = bool(model.get("topic_binary"))
        # v5 on: a topic's probability is the whole text's; older models raise it by the best clause.
        self.topic_clauses = bool(model.get("topic_clauses", True))
        self.topic_secondary = float(model.get("topic_secondary", 0.0))
        # v6 on: how many topics an opinion is about is also read from all the topics' evidence.
        card = model.get("topic_cardinality")
        # v7 on: a second stage over all the topics' first-stage logits (topic_stack.py).
        stack = model.get("topic_stack")
        self.topic_stack = MultiLogReg.from_dicts(stack) if stack else None
        # Trained with TOPIC_STACK_CLAUSES: the second stage also reads each topic's best clause.
        self.topic_stack_clauses = bool(model.get("topic_stack_clauses"))
        # Trained with TOPIC_STACK_JOINT (wave 15): also the clause read with the whole text (None before).
        self.topic_stack_joint: str | None = model.get("topic_stack_joint") or None
        # Trained with TOPIC_CLAUSE_SECOND / TOPIC_KEEP_WHOLE (wave 14's P2 / C2): per-topic clause /
        # whole-text thresholds of the rule (topic_clause.py).
        self.topic_clause_cuts: dict[str, float] | None = model.get("topic_clause_second") or None
        self.topic_keep_cuts: dict[str, float] | None = model.get("topic_keep_whole") or None
        self.topic_cardinality = (float(card[0]), float(card[1])) if card else None
        chosen = model.get("topic_thresholds") or {}
        self.thresholds = {t: float(chosen.get(t, TOPIC_THRESHOLD)) for t in self.topic_model.names}
        self._threshold_logits = {t: logit(p) for t, p in self.thresholds.items()}
        self.idf: dict[str, float] = model["idf"]["table"]
        self.idf_default: float = model["idf"]["default"]
        # v8 on (if trained with the switch): dense word-vector inputs of the topic models (vectors.py).
        vec = model.get("topic_vectors")
        self.topic_vectors = TopicVectors.load(vec, self.idf, self.idf_default) if vec else None
        self.stopwords = load_stopwords()

    @property
    def model_version(self) -> str:
        """Version name of the loaded model (same as ``version``)."""
        return self.version

    @classmethod
    def load(cls, model_dir: Path | str | None = None, version: str | None = None) -> Pipeline:
        model, meta = store.load_model(model_dir, version)
        return cls(model, meta)

    # -- pieces -----------------------------------------------------------------------------
    def prepare(self, text: str | None) -> tuple[str, str, Parsed]:
        """Return ``(display, masked, parsed)`` for a raw opinion."""
        display = clean(text, max_chars=10000)
        folded = fold(display)
        spans = find_spans(display, folded)
        if not spans:  # the analysis text is the display text: its folded form is at hand
            return display, display, parse(self.tokenizer, folded[:ANALYSIS_CHARS].lower())
        masked_parts, analysis_parts, last = [], [], 0
        for s in spans:
            masked_parts.append(display[last : s.start])
            analysis_parts.append(display[last : s.start])
            masked_parts.append("**" if s.kind == "name" else LABELS[s.kind])
            analysis_parts.append("" if s.kind == "name" else "，")
            last = s.end
        masked_parts.append(display[last:])
        analysis_parts.append(display[last:])
        masked = "".join(masked_parts)
        norm = normalize("".join(analysis_parts)[:ANALYSIS_CHARS])
        return display, masked, parse(self.tokenizer, norm)

    def sentiment_inputs(self, parsed: Parsed) -> dict[str, float] | None:
        """Inputs of the domain layer for ``parsed`` (None when the text carries no signal)."""
        feats, lex = sentiment_features(parsed)
        if not feats:
            return None
        g = self.general.decision(general_features(parsed, feats))
        nb = self.snow.decision(parsed.tokens)
        extra = None
        if self.domain_extra:
            extra = domain_features(parsed)
            if self.domain_chars:
                extra.update(domain_chars(parsed))
            if len(parsed.clauses) > TAIL_CLAUSES:
                # The general model's reading of the closing clauses alone: long stories often open
                # with a problem and close with the verdict.
                tail = Parsed("".join(t for c in parsed.clauses[-TAIL_CLAUSES:] for t in c),
                              parsed.clauses[-TAIL_CLAUSES:])
                tail_feats, _ = sentiment_features(tail)
                extra["x:general_tail"] = self.general.decision(general_features(tail, tail_feats)) / 3.0
        return meta_features(feats, lex, g, nb, extra)

    def text_sentiment(self, parsed: Parsed) -> float | None:
        """Calibrated probability that the text praises the window, or None if it carries no signal."""
        x = self.sentiment_inputs(parsed)
        if x is None:
            return None
        return apply_platt(self.domain.prob(x), self.calibration)

    def topic_inputs(self, parsed: Parsed) -> dict[str, float]:
        """Inputs of the topic models for the whole text (training reads the same)."""
        feats = topic_features(parsed, self.topic_v4, self.topic_chars3, self.topic_binary)
        if self.topic_vectors is not None:
            feats.update(self.topic_vectors.features(parsed))
        return feats

    def topic_scores(self, parsed: Parsed) -> dict[str, float]:
        """Per-topic probability of the whole text (models before v5: raised by any single clause
        about that topic; from v7 read again by the second stage over all the topics' logits)."""
        return self.topic_evidence(parsed)[0]

    def topic_evidence(self, parsed: Parsed) -> tuple[dict, dict | None, dict]:
        """:meth:`topic_scores`; for a model whose second stage reads them, each topic's best clause
        first-stage probability (the text's for an opinion of one clause; None for other models); and the
        whole text's first-stage probabilities."""
        v4 = self.topic_v4
        scores = self.topic_model.probs(self.topic_inputs(parsed))
        if self.topic_clauses and len(parsed.clauses) > 1:
            for toks in parsed.clauses[:60]:
                clause = Parsed("".join(toks), [toks])
                for t, p in self.topic_model.probs(topic_features(clause, v4)).items():
                    if t != "other" and p > scores[t]:
                        scores[t] = p
        best, first = None, scores
        if self.topic_stack is not None:
            clauses = clause_parses(parsed) if self.topic_stack_clauses else []
            best = (clause_max(self.topic_model.probs, [self.topic_inputs(c) for c in clauses], scores)
                    if self.topic_stack_clauses else None)
            scores = self.topic_stack.probs(stack_inputs(scores, best, self.topic_stack_joint))
        return scores, best, first

    def topic_margins(self, scores: dict[str, float]) -> dict[str, float]:
        """Each topic's logit less its threshold's: what the decision and the uncertainty both read."""
        thr = self._threshold_logits
        return {t: logit(p) - thr[t] for t, p in scores.items()}

    def topics(self, parsed: Parsed, scores: dict[str, float] | None = None,
               margins: dict[str, float] | None = None,
               evidence: tuple | None = None) -> list[tuple[str, float]]:
        """Topics with confidence, best first; at least one (``other`` when nothing fits). A caller
        giving ``scores`` gives :meth:`topic_evidence`'s other two with them (``evidence``)."""
        if not parsed.clauses:
            return [("other", 1.0)]
        if scores is None:
            scores, *evidence = self.topic_evidence(parsed)
        best, first = evidence if evidence is not None else (None, None)
        return decide_topics(scores, self.thresholds, self.topic_secondary, self.topic_cardinality,
                             margins if margins is not None else self.topic_margins(scores),
                             clause_margins(best if parsed.clauses[1:] else None, self.topic_clause_cuts),
                             clause_margins(first, self.topic_keep_cuts))

    def topic_uncertainty(self, scores: dict[str, float], margins: dict[str, float] | None = None) -> float:
        """1 when some topic's probability sits on its threshold, falling to 0 two logits away."""
        gap = min(map(abs, (margins if margins is not None else self.topic_margins(scores)).values()))
        return max(0.0, 1.0 - gap / 2.0)

    def uncertainty(self, parsed: Parsed, p_text: float | None,
                    scores: dict[str, float] | None = None, margins: dict[str, float] | None = None) -> float:
        """See :attr:`AnalysisResult.uncertainty`."""
        sent = 1.0 if p_text is None else uncertainty(p_text)
        if not parsed.clauses:
            return sent
        scores = scores if scores is not None else self.topic_scores(parsed)
        return max(sent, self.topic_uncertainty(scores, margins))

    def keywords(self, parsed: Parsed, k: int = 5) -> list[str]:
        """TF-IDF keywords (shipped IDF table and stop words), best first."""
        tf: dict[str, int] = {}
        for t in parsed.tokens:
            if len(t) < 2 or t in self.stopwords or _WORDLIKE_RE.match(t):
                continue
            tf[t] = tf.get(t, 0) + 1
        scored = sorted(tf.items(), key=lambda kv: (-kv[1] * self.idf.get(kv[0], self.idf_default), kv[0]))
        return [w for w, _ in scored[:k]]

    def flags(self, display: str, parsed: Parsed, topic_list: list[tuple[str, float]]) -> list[str]:
        """``abusive``, ``spam``, ``advertising``, ``unrelated`` as applicable (:func:`.flags.text_flags`)."""
        return text_flags(display, parsed)

    # -- public ------------------------------------------------------------------------------
    def analyze(self, text: str | None, rating: int | None = None) -> AnalysisResult:
        raw = "" if text is None else str(text)
        display, masked, parsed = self.prepare(raw)
        p_text = self.text_sentiment(parsed)
        scores, *evidence = self.topic_evidence(parsed) if parsed.clauses else (None, None, None)
        margins = self.topic_margins(scores) if scores is not None else None
        topic_list = self.topics(parsed, scores, margins, evidence)
        flags = self.flags(display, parsed, topic_list)
        if "unrelated" in flags or "spam" in flags:
            topic_list = [("other", round(max(0.5, 1.0 - max(c for _, c in topic_list)), 4))]
        return AnalysisResult(
            text=raw,
            sentiment=round(combine(p_text, rating), 4),
            topics=topic_list,
            keywords=self.keywords(parsed),
            masked=masked,
            flags=flags,
            model_version=self.version,
            tokens=parsed.tokens,
            text_sentiment=p_text,
            uncertainty=self.uncertainty(parsed, p_text, scores, margins),
        )


_PIPELINES: dict[str, Pipeline] = {}
_LOCK = threading.Lock()


def get_pipeline(reload: bool = False, model_dir: Path | str | None = None) -> Pipeline:
    """The process-wide pipeline of a model directory (default: ``WW_MODEL_DIR`` or the shipped
    model), loaded once; ``reload`` picks up a newly activated version."""
    key = str(Path(model_dir).resolve()) if model_dir else ""
    pipe = _PIPELINES.get(key)
    if pipe is None or reload:
        with _LOCK:
            pipe = _PIPELINES.get(key)
            if pipe is None or reload:
                pipe = _PIPELINES[key] = Pipeline.load(model_dir)
    return pipe


def analyze(text: str | None, rating: int | None = None) -> AnalysisResult:
    """Analyse one opinion with the process-wide pipeline."""
    return get_pipeline().analyze(text, rating)


__all__ = ["AnalysisResult", "Pipeline", "TOPICS", "analyze", "combine", "decide_topics", "get_pipeline"]
