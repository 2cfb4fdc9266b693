"""Text normalisation helpers: width folding, HTML stripping, traditional-to-simplified, clauses."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent / "resources"

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space fold to ASCII one-to-one, so that
# character offsets in the folded text are the offsets in the original text.
_WIDTH_TABLE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = 0x20
# Chinese punctuation is kept for display but must stay recognisable as punctuation.
_TAG_RE = re.compile(r"<[^<>]{0,500}>")
_SCRIPT_RE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_SPACE_RE = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES_RE = re.compile(r"\n{2,}")
_CLAUSE_RE = re.compile(r"[，,。.！!？?；;：:~～…\n、\s]+")


def fold_width(text: str) -> str:
    """Fold full-width digits, Latin letters and ASCII symbols to half width (same length)."""
    return text.translate(_WIDTH_TABLE)


def strip_html(text: str) -> str:
    """Remove HTML tags/scripts and unescape entities; plain text passes through unchanged."""
    if "<" not in text and "&" not in text:
        return text
    text = _SCRIPT_RE.sub(" ", text)
    text = re.sub(r"<br\s*/?>|</p\s*>|</div\s*>", "\n", text, flags=re.I)
    text = _TAG_RE.sub("", text)
    return html.unescape(text)


def clean(text: str | None, max_chars: int = 2000) -> str:
    """Return the display text: HTML removed, whitespace collapsed, capped to ``max_chars``."""
    if not text:
        return ""
    text = strip_html(str(text)).replace("\x00", "")
    text = "\n".join(_SPACE_RE.sub(" ", line).strip() for line in text.splitlines())
    text = _BLANK_LINES_RE.sub("\n", text).strip()
    return text[:max_chars]


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, int]:
    table: dict[int, int] = {}
    with open(RESOURCES / "t2s.txt", encoding="utf-8") as fh:
        for line in fh:
            if len(line) >= 2 and line[0] != line[1]:
                table[ord(line[0])] = ord(line[1])
    return table


def to_simplified(text: str) -> str:
    """Map traditional characters to simplified ones, character by character (same length)."""
    return text.translate(_t2s_table())


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, int]:
    t2s = _t2s_table()
    table = dict(t2s)
    for code, half in _WIDTH_TABLE.items():
        table[code] = t2s.get(half, half)
    return table


def fold(text: str) -> str:
    """``to_simplified(fold_width(text))`` in one pass (both map one character to one character)."""
    return text.translate(_fold_table())


def normalize(text: str) -> str:
    """Analysis form of a cleaned text: folded width, simplified, lower-case Latin."""
    return fold(text).lower()


def clauses(text: str) -> list[str]:
    """Split a normalised text into clauses on punctuation and whitespace."""
    return [c for c in _CLAUSE_RE.split(text) if c]
