"""Feature extraction: clause-aware tokens with negation scope, contrast weights, sentiment cues and the
domain layer's inputs. The general model's inputs are in :mod:`.features_general`, the topics' in
:mod:`.topics`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .features_general import GENERAL_CHARS, general_features, verdict_features
from .lexicon import (
    BEFORE,
    CONCESSION,
    CONTRAST,
    IDIOMS,
    INTENSIFIERS,
    LEXICALIZED,
    NEGATIVE,
    NEGATORS,
    POSITIVE,
    SARCASM_CUES,
)

_SKIP = re.compile(r"^[\s\W_]+$")
_NUM = r"(?:\d+|[一二两三四五六七八九十几半]+)"
_LONG_WAIT = re.compile(
    r"(?:等|排|排队|耗|花|用|折腾|拖)了?(?:整整|足足|快|将近|近|差不多|大概|好)?" + _NUM
    + r"(?:个)?(?:多)?(?:半)?(?:小时|钟头|个钟|上午|下午|天|月|礼拜|星期|周|年)"
    r"|(?:一|整个|一整个)(?:上午|下午|早上|中午)|半天|好几天|老半天|一整天"
)
_SHORT_WAIT = re.compile(
    r"(?:不到|没|才|只用了?|只花了?|就|几)" + _NUM + r"?(?:个)?分钟|(?:不到|才|只用了?)(?:半个|一个)?小时|"
    r"一会儿|几分钟|十分钟|当场|当天|马上|立刻|很快"
)
_TRIPS = re.compile(r"(?:跑|来|去)了?(?:" + _NUM + r")(?:趟|次|回)|又(?:白)?跑|白跑|多跑|来回跑")
_QUOTE = re.compile(r"[“\"「『‘'](.{1,8}?)[”\"」』’']")
_POS_EMOJI = frozenset("👍👏💯🌹❤♥😊😄😃😀🙂🥰😍🤝🙏✌🎉💐☺😁🤗⭐🌟")
# 😭 is not here: citizens cry it for being moved (感动哭了😭) as often as for distress.
_NEG_EMOJI = frozenset("👎😡😠💢😤🙄😒😞😔😢🤬💩😩😫😑😓")
_IRONIC_Q = re.compile(r"(?:最多跑一次|一次性告知|首问负责|便民|高效|为人民服务|示范)[?？]")
# Any of the cues as a substring, in one scan.
_SARCASM = re.compile("|".join(map(re.escape, SARCASM_CUES)))


@dataclass
class Parsed:
    """A normalised text split into clauses of tokens."""

    norm: str
    clauses: list[list[str]] = field(default_factory=list)

    @property
    def tokens(self) -> list[str]:
        return [t for c in self.clauses for t in c]


_NEG_CHARS = "不没未"


def _split_negated(tok: str) -> list[str]:
    """Split tokens like 没见/不挤/不太熟 into a negator and the rest, unless they are words."""
    if len(tok) >= 2 and tok[0] in _NEG_CHARS and tok not in LEXICALIZED and tok not in NEGATORS \
            and tok not in POSITIVE and tok not in NEGATIVE:
        if tok.startswith("不太") and len(tok) > 2:
            return ["不太", tok[2:]]
        return [tok[0], tok[1:]]
    return [tok]


def rewrite_idioms(norm: str) -> str:
    """Replace idioms whose literal negation misleads (不是一般的好 -> 特别好)."""
    for src, dst in IDIOMS:
        if src in norm:
            norm = norm.replace(src, dst)
    return norm


_SEP = re.compile(r"^[，,。.！!？?；;：:~～…\n、\s]+$")


def parse(tokenizer, norm: str) -> Parsed:
    """Segment ``norm`` with ``tokenizer`` (a jieba.Tokenizer) into clauses of tokens."""
    out: list[list[str]] = []
    toks: list[str] = []
    for t in tokenizer.cut(rewrite_idioms(norm)):
        if _SKIP.match(t):  # punctuation and symbols; the separators among them (a subset) end a clause
            if toks and _SEP.match(t):
                out.append(toks)
                toks = []
        elif len(t) >= 2 and t[0] in _NEG_CHARS:
            toks.extend(_split_negated(t))
        else:
            toks.append(t)
    if toks:
        out.append(toks)
    return Parsed(norm, out)


def _polarities() -> dict[str, float]:
    """Every lexicon word, and every word after one intensifier character, with its polarity (a
    word in both lists praises; the token itself before what follows an intensifier)."""
    words = {**dict.fromkeys(NEGATIVE, -1.0), **dict.fromkeys(POSITIVE, 1.0)}
    table = {head + word: pol for head in INTENSIFIERS for word, pol in words.items()}
    table.update(words)
    return table


_POLARITY = _polarities()


def polarity(tok: str) -> float:
    """Lexicon polarity of a token (+1/-1/0), looking through a leading intensifier."""
    return _POLARITY.get(tok, 0.0)


_TEMPORAL = frozenset(("现在", "后来"))


def clause_weights(parsed: Parsed) -> list[float]:
    """Weight 2 for clauses after a contrast marker, 0.5 for conceded clauses before them."""
    n = len(parsed.clauses)
    weights = [1.0] * n
    seen_before = False
    for i, toks in enumerate(parsed.clauses):
        head = toks[:3]
        temporal = not _TEMPORAL.isdisjoint(head)
        if not CONTRAST.isdisjoint(head) and (seen_before or not temporal) and i > 0:
            weights[i] = 2.0
            if i > 0 and weights[i - 1] >= 1.0:
                weights[i - 1] = 0.5
        elif not CONCESSION.isdisjoint(toks):
            weights[i] = 0.5
        if not BEFORE.isdisjoint(toks):
            seen_before = True
    return weights


def sentiment_features(parsed: Parsed) -> tuple[dict[str, float], float]:
    """Sparse sentiment features and a rule-based lexicon score (positive means praise)."""
    feats: dict[str, float] = {}
    lex = 0.0
    weights = clause_weights(parsed)
    for toks, w in zip(parsed.clauses, weights, strict=True):
        neg = False
        prev = "^"
        for t in toks:
            if t in NEGATORS:
                neg = not neg
                key = "n:" + t
                feats[key] = feats.get(key, 0.0) + w
                prev = t
                continue
            key = ("!" + t) if neg else t
            feats[key] = feats.get(key, 0.0) + w
            bg = prev + "_" + t
            feats[bg] = feats.get(bg, 0.0) + w
            pol = polarity(t)
            if pol:
                lex += (-0.8 * pol if neg else pol) * w
            prev = t
    norm = parsed.norm
    for m in _QUOTE.finditer(norm):
        if any(p in m.group(1) for p in POSITIVE):
            feats["S:quote"] = 1.0
            lex -= 2.0
    if _SARCASM.search(norm) or _IRONIC_Q.search(norm):
        feats["S:irony"] = 2.0
        lex -= 1.5
    if _LONG_WAIT.search(norm):
        feats["S:longwait"] = 1.0
        lex -= 1.0
    elif _SHORT_WAIT.search(norm):
        feats["S:shortwait"] = 1.0
        lex += 0.5
    if not _POS_EMOJI.isdisjoint(norm):
        feats["E:pos"] = 1.0
        lex += 1.0
    if not _NEG_EMOJI.isdisjoint(norm):
        feats["E:neg"] = 1.0
        lex -= 1.0
    if _TRIPS.search(norm):
        feats["S:trips"] = 1.0
        lex -= 1.0
    return feats, lex


# Domain-layer cues of the closing verdict and of complaints put as requests (issue 17); their
# weights are learned from the labelled opinions, the lists only say where to look.
_THANKS = ("谢谢", "感谢", "多谢", "点赞", "好评", "感激", "感动", "满意", "辛苦了", "给力")
_REQUEST_HEADS = ("建议", "希望", "能不能", "能否", "可否", "可不可以", "麻烦", "请", "是否可以", "恳请")
TAIL_CLAUSES = 2


def _clause_lex(toks: list[str]) -> float:
    lex, neg = 0.0, False
    for t in toks:
        if t in NEGATORS:
            neg = not neg
            continue
        pol = polarity(t)
        if pol:
            lex += -0.8 * pol if neg else pol
    return lex


def domain_chars(parsed: Parsed) -> dict[str, float]:
    """Character bigrams of the text and of its closing clause, L2-scaled, for the domain layer: the
    window opinions' own phrasing (白跑, 黄牛, 插队 …) that the general corpora never saw, learned with
    strong L2 so they correct rather than replace the base scores."""
    s = parsed.norm[:GENERAL_CHARS]
    # In first-seen order, not a set's (which follows the string-hash seed): see general_features.
    keys = ["k:" + s[i : i + 2] for i in range(len(s) - 1)]
    if len(parsed.clauses) > 1:
        last = "".join(parsed.clauses[-1])
        keys += ["K:" + last[i : i + 2] for i in range(len(last) - 1)]
    unique = dict.fromkeys(keys)
    if not unique:
        return {}
    return dict.fromkeys(unique, 1.0 / len(unique) ** 0.5)


def domain_features(parsed: Parsed) -> dict[str, float]:
    """Extra inputs of the domain layer only: the lexicon score of the closing clauses (long stories
    that open with a problem and end in thanks), thanks in the closing clauses, a request opening a
    clause (complaints put as polite suggestions) and the length of the text."""
    clauses = parsed.clauses
    if not clauses:
        return {}
    out: dict[str, float] = {}
    tail = clauses[-TAIL_CLAUSES:]
    tail_lex = sum(_clause_lex(c) for c in tail)
    n = len(parsed.norm)
    long_text = n >= 60
    out["x:tail_lex"] = max(-4.0, min(4.0, tail_lex)) / 2.0
    if long_text:
        out["x:long_tail_lex"] = out["x:tail_lex"]
        out["x:long"] = 1.0
    # Negated lexicon words, counted apart: a refused gift or an absent fee (不收礼, 没有乱收费) praises,
    # a negated praise word (不热情) complains; the lexicon score lumps both with plain words.
    neg_neg = neg_pos = 0
    for toks in clauses:
        neg = False
        for t in toks:
            if t in NEGATORS:
                neg = not neg
                continue
            if neg:
                pol = polarity(t)
                neg_neg += pol < 0
                neg_pos += pol > 0
    if neg_neg:
        out["x:neg_neg"] = min(neg_neg, 3) / 1.5
    if neg_pos:
        out["x:neg_pos"] = min(neg_pos, 3) / 1.5
    tail_text = "".join(t for c in tail for t in c)
    if any(w in tail_text for w in _THANKS):
        out["x:thanks_tail"] = 1.0
    if any("".join(c[:2]).startswith(_REQUEST_HEADS) for c in clauses):
        out["x:request"] = 1.0
    return out


__all__ = ["GENERAL_CHARS", "Parsed", "domain_chars", "domain_features", "general_features", "parse",
           "sentiment_features", "verdict_features"]
