"""The topic layer's inputs and decision rule: word, character and cue features of a text, and the
multi-label decision from per-topic probabilities and thresholds."""

from __future__ import annotations

from .features import Parsed
from .lexicon import TOPIC_CUES, TOPIC_CUES_V4
from .linear import logit, sigmoid

#: At most this many topics for one opinion (tests/data/LABELS.md).
MAX_TOPICS = 3

TOPIC_CHAR_BIGRAMS = True
_CUE_SETS = {t: frozenset(cues) for t, cues in TOPIC_CUES.items()}
_CUE4_SETS = {t: frozenset(c.lower() for c in cues) for t, cues in TOPIC_CUES_V4.items()}


def _topics_of(sets: dict[str, frozenset[str]]) -> dict[str, tuple[str, ...]]:
    """Each cue of ``sets`` with the topics whose list holds it (in the lists' order)."""
    out: dict[str, list[str]] = {}
    for topic, cues in sets.items():
        for cue in cues:
            out.setdefault(cue, []).append(topic)
    return {cue: tuple(topics) for cue, topics in out.items()}


_CUE_TOPICS, _CUE4_TOPICS = _topics_of(_CUE_SETS), _topics_of(_CUE4_SETS)
_ALL_CUES = frozenset(_CUE_TOPICS) | frozenset(_CUE4_TOPICS)
_CUE_MAX = max(len(c) for sets in (_CUE_SETS, _CUE4_SETS) for cues in sets.values() for c in cues)


def topic_features(parsed: Parsed, v4: bool = False, chars3: bool = False,
                   binary: bool = False) -> dict[str, float]:
    """Word unigram/bigram and character-bigram features (L2-scaled; character bigrams carry topic
    words the segmenter splits or has never seen) plus per-topic cue counts. ``v4`` (models from v4
    on) adds counts over the broader lists of :data:`TOPIC_CUES_V4` and ``cue4:none`` when the text
    names nothing of any topic (an opinion about nothing in the standard). ``chars3`` (models trained
    with ``topic_chars3``) adds character trigrams to the L2-scaled bag. ``binary`` (models trained
    with ``topic_binary``) leaves the bag at 1.0 per feature: a clause's words weigh as much in a long
    text as in a short one."""
    feats: dict[str, float] = {}  # keys in first-seen order; the values are set once at the end
    for toks in parsed.clauses:
        prev = "^"
        for t in toks:
            feats["t:" + t] = 1.0
            feats["b:" + prev + "_" + t] = 1.0
            prev = t
        if TOPIC_CHAR_BIGRAMS:
            s = "".join(toks)
            for i in range(len(s) - 1):
                feats["c:" + s[i : i + 2]] = 1.0
            if chars3:
                for i in range(len(s) - 2):
                    feats["c3:" + s[i : i + 3]] = 1.0
    if feats and not binary:
        feats = dict.fromkeys(feats, 2.0 / len(feats) ** 0.5)
    norm = parsed.norm
    # The text's substrings up to the longest cue, met once against all the cues as a set, then
    # counted per topic from the few found: the same counts as a substring search per cue.
    grams = {norm[i : i + k] for k in range(1, _CUE_MAX + 1) for i in range(len(norm) - k + 1)}
    found, found4 = {}, {}
    for cue in grams & _ALL_CUES:
        for topic in _CUE_TOPICS.get(cue, ()):
            found[topic] = found.get(topic, 0) + 1
        for topic in _CUE4_TOPICS.get(cue, ()):
            found4[topic] = found4.get(topic, 0) + 1
    for topic in _CUE_SETS:
        hits = found.get(topic, 0)
        if hits:
            feats["cue:" + topic] = min(hits, 3) / 1.5
    if v4:
        total = 0
        for topic in _CUE4_SETS:
            hits = found4.get(topic, 0)
            total += hits + ("cue:" + topic in feats)
            if hits:
                feats["cue4:" + topic] = min(hits, 4) / 2.0
        if not total:
            feats["cue4:none"] = 1.0
    n = len(norm)
    feats["len:short"] = 1.0 if n <= 6 else 0.0
    return feats


def decide_topics(scores: dict[str, float], thresholds: dict[str, float], secondary: float = 0.0,
                  cardinality: tuple[float, float] | None = None,
                  margins: dict[str, float] | None = None, clause: dict[str, float] | None = None,
                  keep: dict[str, float] | None = None) -> list[tuple[str, float]]:
    """Multi-label decision: every standard topic at or above its threshold; if none is, the topic
    (``other`` included) closest to its threshold in logit units. ``other`` is a class of its own
    (opinions about nothing in the standard) and is never returned with another topic.

    ``secondary`` (logit units, from v5 chosen on grouped out-of-fold scores): besides the topic
    furthest above its threshold, another topic is kept only if it is at least this far above its
    own; most opinions are about one thing, and a weak second topic is more often wrong than right.

    ``cardinality`` (v6 on, ``(bias, floor)`` chosen on grouped out-of-fold scores): how many
    topics the opinion is about is read from all the standard topics' evidence together, the sum of
    ``sigmoid(margin + bias)`` rounded (1 to :data:`MAX_TOPICS`); the runners-up up to that count
    are kept when they stand at least ``floor`` logits from their thresholds, a little below them
    if ``floor`` is negative: an opinion with several fair signals names several topics even when
    no single one of them is sure.

    ``margins``: the scores' margins (:func:`pick_topics`) when the caller has them already.

    ``clause`` (models trained with ``topic_clause_second``; :func:`second_from_clause`): per topic, its
    best clause's first-stage logit less that topic's clause threshold; None (every older model) adds
    nothing. ``keep`` (models trained with ``topic_keep_whole``; :func:`keep_if_said`): per topic, its
    whole-text first-stage logit less that topic's keep threshold; None drops nothing."""
    if margins is None:
        margins = {t: logit(p) - logit(thresholds[t]) for t, p in scores.items()}
    chosen = keep_if_said(pick_topics(margins, secondary, cardinality), keep)
    return _scored(scores, second_from_clause(chosen, margins, clause))


def keep_if_said(chosen: list[str], keep: dict[str, float] | None) -> list[str]:
    """``chosen`` less each topic whose evidence does not clear its keep threshold (``keep[t] < 0``;
    topics without one stay): wave 14's C2 reads the whole text's first-stage score, so a topic the
    second stage raises from one clause is kept only if the whole text also says it. The first chosen
    stays if none would."""
    if not keep or not chosen or chosen[0] == "other":
        return chosen
    return [t for t in chosen if keep.get(t, 0.0) >= 0] or chosen[:1]


def pick_topics(margins: dict[str, float], secondary: float = 0.0,
                cardinality: tuple[float, float] | None = None) -> list[str]:
    """The rule of :func:`decide_topics` on margins (logit of the probability less the threshold's)."""
    ranked = sorted((t for t in margins if t != "other"), key=margins.__getitem__, reverse=True)
    if not ranked or margins[ranked[0]] < 0:
        return [max(margins, key=margins.__getitem__)]
    chosen = [t for t in ranked if margins[t] >= 0 and (t == ranked[0] or margins[t] >= secondary)]
    if cardinality is not None:
        bias, floor = cardinality
        k = min(MAX_TOPICS, max(1, int(sum(sigmoid(margins[t] + bias) for t in ranked) + 0.5)))
        chosen += [t for t in ranked[1:k] if margins[t] >= floor and t not in chosen]
    return chosen


def second_from_clause(chosen: list[str], margins: dict[str, float],
                       clause: dict[str, float] | None) -> list[str]:
    """``chosen`` and, when it holds fewer than :data:`MAX_TOPICS` standard topics, the runner-up (the
    standard topic not chosen that stands highest on ``margins``) if its best clause clears that topic's
    clause threshold (``clause[t] >= 0``; topics without a clause threshold are never added). A briefly
    said second topic is diluted in the whole text and stands out in its clause; only a clause adds one,
    never the whole text's bag (an opinion of one clause has no ``clause``)."""
    if not clause or not chosen or chosen[0] == "other" or len(chosen) >= MAX_TOPICS:
        return chosen
    rest = [t for t in margins if t != "other" and t not in chosen]
    if not rest:
        return chosen
    runner = max(rest, key=margins.__getitem__)
    return chosen + [runner] if clause.get(runner, -1.0) >= 0 else chosen


def _scored(scores: dict[str, float], chosen: list[str]) -> list[tuple[str, float]]:
    out = sorted(((t, scores[t]) for t in chosen), key=lambda x: -x[1])
    return [(t, round(p, 4)) for t, p in out]
