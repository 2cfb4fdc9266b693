"""What the PDFs' built-in CID font prints, and a readable stand-in for what it cannot.

STSong-Light is used through the predefined CMap UniGB-UCS2-H (reportlab's ``UnicodeCIDFont``
sends each character's UTF-16 code): a character the CMap maps to a glyph of the Adobe-GB1
collection prints; any other prints as a box, or, beyond the Basic Multilingual Plane (an
emoji), as the wrong CJK glyphs, taking the next character's code with it (poppler's rendering).
Not GBK: GBK holds the middle dot U+00B7, which the CMap does not (it maps GB 2312's 中点 as
U+30FB), and lacks the euro sign, which it maps.

``COVERAGE`` is the CMap's mapped codes (Adobe's UniGB-UCS2-H, "Adobe GB1 4", as poppler-data
ships it; copyright Adobe, BSD-3-Clause); a test compares it with the CMap file when present."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right

COVERAGE = """
0020-007E 00A4-00A5 00A7-00A8 00B0-00B1 00D7 00E0-00E1 00E8-00EA 00EC-00ED 00F2-00F3 00F7
00F9-00FA 00FC 0101 0113 011B 012B 014D 016B 01CE 01D0 01D2 01D4 01D6 01D8 01DA 01DC 01F9
02C7 02C9-02CB 02D9 0391-03A1 03A3-03A9 03B1-03C1 03C3-03C9 0401 0410-044F 0451 1E3F 2010
2013-2016 2018-2019 201C-201D 2025-2026 2030 2032-2033 2035 203B 20AC 2103 2105 2109 2116
2121 2160-216B 2170-2179 2190-2193 2196-2199 2208 220F 2211 2215 221A 221D-2220 2223 2225
2227-222B 222E 2234-2237 223D 2248 224C 2252 2260-2261 2264-2267 226E-226F 2295 2299 22A5
22BF 22EF 2312 2460-2469 2474-249B 2500-254B 2550-2573 2581-258F 2593-2595 25A0-25A1
25B2-25B3 25BC-25BD 25C6-25C7 25CB 25CE-25CF 25E2-25E5 2605-2606 2609 2640 2642 2E80-2E99
2E9B-2EF3 2F00-2FD5 2FF0-2FFB 3000-3003 3005-3017 301D-301E 3021-3029 3033-3035 3038-303A
303E-303F 3041-3094 309B-309E 30A1-30FE 3105-312C 31A0-31B7 3220-3229 3231 32A3 338E-338F
339C-339E 33A1 33C4 33CE 33D1-33D2 33D5 3400-4DB5 4E00-9FA5 E816-E818 E81E E826 E82B-E82C
E831-E832 E83B E843 E854-E855 E864 F92C FA0D-FA0F FA11 FA13-FA14 FA18 FA1F-FA21 FA23-FA24
FA27-FA29 FE30 FE49-FE52 FE54-FE57 FE59-FE66 FE68-FE6B FF01-FF5E FFE0-FFE5
"""

#: A stand-in for a pictograph (an emoji) the font has no glyph for; 〓 (the printer's mark of a
#: missing character, 缺字符号) for anything else without one.
EMOJI = "[表情]"
MISSING = "〓"
HEART = "[心]"
#: Common characters the font lacks, by what a reader of the text would expect in their place.
SUBSTITUTES = {
    **dict.fromkeys("\u00b7\u2022\u2027\u2219\u22c5\u2981", "\u30fb"),  # GB 2312's 中点
    **dict.fromkeys("\u2212\u2011\u2012\u2043\ufe63", "-"),
    **dict.fromkeys("\u2713\u2714\u2611\u2705", "\u221a"),  # check marks: √
    **dict.fromkeys("\u2717\u2718\u274c\u274e\u2612\u2715\u2716", "\u00d7"),
    **dict.fromkeys("\u2764\u2665\u2661\u2763\u2765", HEART),
    "\u301c": "\uff5e", "\u00a9": "(C)", "\u00ae": "(R)",
}
_STARTS: list[int] = []
_ENDS: list[int] = []
for _span in COVERAGE.split():
    _first, _, _last = _span.partition("-")
    _STARTS.append(int(_first, 16))
    _ENDS.append(int(_last or _first, 16))
# One picture drawn from several code points: joined by U+200D (a family) or a flag's two
# regional indicators. A joiner pasted between two characters of text joins no picture.
_SEQUENCE = re.compile("\u200d(.)|([\U0001F1E6-\U0001F1FF])[\U0001F1E6-\U0001F1FF]")


def _one_picture(m: re.Match[str]) -> str:
    joined = m.group(1)
    if joined is None:
        return m.group(2)
    return joined if covered(joined) and unicodedata.category(joined) != "So" else ""


def covered(ch: str) -> bool:
    """Whether STSong-Light prints ``ch`` (through UniGB-UCS2-H)."""
    i = bisect_right(_STARTS, ord(ch)) - 1
    return i >= 0 and ord(ch) <= _ENDS[i]


def _substitute(ch: str) -> str:
    if ch in SUBSTITUTES:
        return SUBSTITUTES[ch]
    category = unicodedata.category(ch)
    if category in ("Cf", "Mn", "Me", "Sk") and not ch.isspace():
        return ""  # invisible: a variation selector (❤️), a skin tone, a keycap's frame
    if ch.isspace() or category == "Cc":
        return " "
    # A letter with an accent the font lacks, a superscript, ™: their plain compatibility form.
    plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if plain and plain != ch and all(map(covered, plain)):
        return plain
    return EMOJI if category == "So" else MISSING


def printable(text: str) -> str:
    """``text`` in characters STSong-Light prints: each other one replaced by a readable stand-in
    (``SUBSTITUTES``, a compatibility form, ``EMOJI`` or ``MISSING``); tabs and line ends kept."""
    text = _SEQUENCE.sub(_one_picture, text)
    return "".join(ch if covered(ch) or ch in "\t\n\r" else _substitute(ch) for ch in text)
