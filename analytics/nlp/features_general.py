"""Inputs of the general sentiment model (trained on the public corpora): binary sentiment features,
character bigrams, last and summing-up clause words and verdict phrases."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .features import Parsed


GENERAL_CHARS = 300  # character bigrams are taken from the start of the text
# A clause with one of these sums the review up (总的来说/总体…): its words get features of their own.
SUMMARY = frozenset("总的来说 总得来说 总体 总体来说 总体感觉 总之 整体 总的 综合 总而言之".split())


#: Phrases that give a review's verdict (fixed lists, written before measuring; not tuned on the
#: evaluation corpora). A positive one right after 不/没/别/未 counts as negative.
VERDICT_POSITIVE = ("推荐", "值得", "还会再", "下次还", "会再来", "还会来", "再来", "物超所值", "物有所值",
                    "划算", "超值", "满意", "回头", "会再买", "还会买", "好评")
VERDICT_NEGATIVE = ("不值", "后悔", "退货", "退款", "退了", "上当", "别买", "不要买", "不会再", "再也不",
                    "失望", "骗", "差评", "投诉", "不推荐", "不满意")
_VERDICT_NEGATORS = "不没别未"
VERDICT_TAIL = 40  # characters at the end of a review where its closing verdict sits
_ANY_VERDICT = re.compile("|".join(map(re.escape, VERDICT_NEGATIVE + VERDICT_POSITIVE)))


def verdict_features(text: str) -> set[str]:
    """``V+``/``V-``: a positive/negative verdict phrase anywhere; ``VT+``/``VT-``: in the tail."""
    keys: set[str] = set()
    if not _ANY_VERDICT.search(text):  # most texts name none: one scan instead of a search per phrase
        return keys
    for words, sign in ((VERDICT_NEGATIVE, "-"), (VERDICT_POSITIVE, "+")):
        for word in words:
            i = text.find(word)
            while i >= 0:
                s = sign
                if sign == "+" and any(c in _VERDICT_NEGATORS for c in text[max(0, i - 2):i]):
                    s = "-"
                keys.add("V" + s)
                if i >= len(text) - VERDICT_TAIL:
                    keys.add("VT" + s)
                i = text.find(word, i + len(word))
    return keys


def general_features(parsed: Parsed, feats: dict[str, float]) -> dict[str, float]:
    """Inputs of the general sentiment model, binary and L2-scaled: the presence of each sentiment
    feature and character bigram, plus the words of the last clause (``L:``, where reviews tend to
    give their verdict), of summing-up clauses (``Z:``) and verdict phrases (``V``)."""
    # A list made unique by dict.fromkeys, not a set: the model sums its terms in this order, and a
    # set's order follows the string-hash seed (the last bits of the score would change per process).
    keys = list(feats)
    keys += sorted(verdict_features(parsed.norm))
    s = parsed.norm[:GENERAL_CHARS]
    keys += ["c:" + s[i : i + 2] for i in range(len(s) - 1)]
    clauses = parsed.clauses
    if len(clauses) > 1:
        keys += ["L:" + t for t in clauses[-1]]
    for toks in clauses:
        if any(t in SUMMARY for t in toks):
            keys += ["Z:" + t for t in toks]
    unique = dict.fromkeys(keys)
    if not unique:
        return {}
    return dict.fromkeys(unique, 3.0 / len(unique) ** 0.5)
