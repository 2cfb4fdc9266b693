"""Flags of an opinion: abusive, spam, advertising, unrelated (word lists in :mod:`.lexicon`)."""

from __future__ import annotations

import re

from .features import Parsed
from .lexicon import ABUSIVE, ADVERTISING, DOMAIN_CUES, OFF_TOPIC

_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_LETTER_RE = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_REPEAT_RE = re.compile(r"(.)\1{7,}")
_SPACE_RE = re.compile(r"\s+")
_KIN_RE = re.compile(r"(?:我|咱|俺|她|我们|他们)妈|他妈妈|你妈妈")


def _any_of(words) -> re.Pattern:
    """One pattern that finds any of ``words`` as a substring (one C-level scan instead of a loop)."""
    return re.compile("|".join(map(re.escape, sorted(set(words), key=len, reverse=True))))


_ABUSIVE_RE = _any_of(ABUSIVE)
_ADVERTISING_RE = _any_of(ADVERTISING)
_DOMAIN_RE = _any_of(DOMAIN_CUES)
_OFF_TOPIC_RE = _any_of(OFF_TOPIC)


def text_flags(display: str, parsed: Parsed) -> list[str]:
    """``abusive``, ``spam``, ``advertising``, ``unrelated`` as applicable."""
    flags = []
    compact = _SPACE_RE.sub("", parsed.norm)
    # "我妈的退休手续" holds 妈的: kinship words are taken out before the abuse check.
    kin_free = _KIN_RE.sub("", compact)
    if _ABUSIVE_RE.search(kin_free):
        flags.append("abusive")
    if display and (
        (len(compact) >= 4 and not _LETTER_RE.search(display) and any(ch.isalnum() for ch in display))
        or _REPEAT_RE.search(compact)
        or (len(compact) >= 30 and len(set(compact)) / len(compact) < 0.15)
    ):
        flags.append("spam")
    if _ADVERTISING_RE.search(compact):
        flags.append("advertising")
    if "advertising" not in flags and len(_CJK_RE.findall(compact)) >= 6 and not _DOMAIN_RE.search(compact):
        # Precision first: only clearly off-topic subjects are flagged.
        if _OFF_TOPIC_RE.search(compact):
            flags.append("unrelated")
    return flags
