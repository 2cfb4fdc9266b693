"""Wave 14's candidate decision rules, off by default, that read each topic's best clause (its
first-stage score) after the rule of :func:`.topics.pick_topics`:

- P2, "second topic from its clause" (model key ``topic_clause_second``, training switch
  ``TOPIC_CLAUSE_SECOND``): the runner-up topic is added when its best clause clears that topic's clause
  threshold (:func:`.topics.second_from_clause`);
- C2, P2 and "kept only if the whole text says it" (``topic_keep_whole``, ``TOPIC_KEEP_WHOLE``): a chosen
  topic is dropped, unless alone, when its whole-text first-stage score is below its keep threshold
  (:func:`.topics.keep_if_said`).

The thresholds are chosen here on out-of-fold scores, like the rule's others; a topic may get none."""

from __future__ import annotations

from collections.abc import Sequence

from .lexicon import TOPICS
from .linear import logit
from .topics import keep_if_said, pick_topics, second_from_clause

#: Clause thresholds tried per topic (first-stage probability of the best clause); None: never added.
CLAUSE_GRID = (None,) + tuple(round(0.3 + 0.05 * i, 3) for i in range(14)) + (0.98,)


def clause_margins(best: dict[str, float] | None, cuts: dict[str, float] | None) -> dict[str, float] | None:
    """Per topic with a clause threshold in ``cuts``, the logit of its best clause's probability ``best``
    less the threshold's; None when the opinion has one clause (``best`` None) or no topic has a cut."""
    if best is None or not cuts:
        return None
    return {t: logit(best[t]) - logit(c) for t, c in cuts.items()}


def macro_f1(preds: Sequence[Sequence[str]], gold: Sequence[set[str]]) -> float:
    """Macro-F1 over :data:`TOPICS` of predicted against gold topic sets (a topic absent from both: 1)."""
    tp = dict.fromkeys(TOPICS, 0)
    fp = dict.fromkeys(TOPICS, 0)
    fn = dict.fromkeys(TOPICS, 0)
    for p, g in zip(preds, gold, strict=True):
        for t in p:
            if t in g:
                tp[t] += 1
            else:
                fp[t] += 1
        for t in g:
            if t not in p:
                fn[t] += 1
    return sum(2 * tp[t] / (2 * tp[t] + fp[t] + fn[t]) if tp[t] + fp[t] + fn[t] else 1.0
               for t in TOPICS) / len(TOPICS)


def fit_clause_second(scores: Sequence[dict[str, float]], best: Sequence[dict[str, float] | None],
                      gold: Sequence[set[str]], rule: dict) -> dict[str, float]:
    """Per-topic clause thresholds of P2 for ``rule`` (:func:`.training_layers.fit_topic_rule` on the same
    out-of-fold ``scores``): each topic in turn (one pass, starting from none) gets the
    :data:`CLAUSE_GRID` value that most raises the rule's macro-F1 (ties: none, then the highest).
    ``best``: each opinion's best-clause first-stage scores, None for an opinion of one clause."""
    return _fit_cuts(scores, best, gold, rule, lambda c, m, b: second_from_clause(c, m, b), high_first=True)


def fit_keep_whole(scores: Sequence[dict[str, float]], first: Sequence[dict[str, float]],
                   gold: Sequence[set[str]], rule: dict) -> dict[str, float]:
    """Per-topic keep thresholds of C2 (:func:`.topics.keep_if_said`), chosen as P2's are (ties: none,
    then the lowest). ``first``: each opinion's whole-text first-stage scores."""
    return _fit_cuts(scores, first, gold, rule, lambda c, m, b: keep_if_said(c, b), high_first=False)


def _fit_cuts(scores, best, gold, rule, apply, high_first: bool) -> dict[str, float]:
    cut = {t: logit(v) for t, v in rule["thresholds"].items()}
    rows = [{t: logit(p) - cut[t] for t, p in s.items()} for s in scores]
    base = [pick_topics(m, rule["secondary"], rule["cardinality"]) for m in rows]
    blogits = [{t: logit(p) for t, p in b.items()} if b is not None else None for b in best]
    chosen: dict[str, float] = {}

    def preds(cuts: dict[str, float]) -> list[list[str]]:
        lc = {t: logit(v) for t, v in cuts.items()}
        return [apply(c, m, {t: b[t] - v for t, v in lc.items()} if b is not None else None)
                for c, m, b in zip(base, rows, blogits, strict=True)]

    cur = round(macro_f1(base, gold), 6)
    grid = sorted((v for v in CLAUSE_GRID if v is not None), reverse=high_first)
    for t in TOPICS:
        if t == "other":
            continue
        for v in grid:
            f1 = round(macro_f1(preds(dict(chosen, **{t: v})), gold), 6)
            if f1 > cur:
                cur, chosen[t] = f1, v
    return chosen
