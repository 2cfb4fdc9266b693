"""What the PDFs' built-in font prints: the characters Adobe's UniGB-UCS2-H CMap maps to a glyph
of the Adobe-GB1 collection (the CMap file itself when poppler-data is installed), and for any
other character a readable stand-in, so no text prints as a box or as another character."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from feedback_api.services.pdf_glyphs import COVERAGE, EMOJI, HEART, MISSING, covered, printable

CMAP = Path("/usr/share/poppler/cMap/Adobe-GB1/UniGB-UCS2-H")


def cmap_codes(path: Path) -> set[int]:
    """The codes a CMap file maps to a glyph (CID 0 is .notdef, the box)."""
    text = path.read_text("latin-1")
    codes: dict[int, int] = {}
    for block in re.findall(r"begincidrange(.*?)endcidrange", text, re.S):
        for first, last, cid in re.findall(r"<(\w+)>\s*<(\w+)>\s*(\d+)", block):
            for code in range(int(first, 16), int(last, 16) + 1):
                codes[code] = int(cid) + code - int(first, 16)
    for block in re.findall(r"begincidchar(.*?)endcidchar", text, re.S):
        for code, cid in re.findall(r"<(\w+)>\s*(\d+)", block):
            codes[int(code, 16)] = int(cid)
    return {code for code, cid in codes.items() if cid}


@pytest.mark.skipif(not CMAP.exists(), reason="poppler-data's CMaps are not installed")
def test_the_coverage_is_what_the_cmap_maps():
    shipped = set()
    for span in COVERAGE.split():
        first, _, last = span.partition("-")
        shipped |= set(range(int(first, 16), int(last or first, 16) + 1))
    assert shipped == cmap_codes(CMAP)
    assert {c for c in range(0x110000) if covered(chr(c))} == shipped


def test_what_the_font_lacks_prints_as_a_readable_stand_in():
    # GBK has U+00B7 but the CMap does not; GB 2312's middle dot is U+30FB there.
    assert not covered("\u00b7") and covered("\u30fb") and covered("€")
    assert printable("张·三 ✓ ✔ ❤️ ♥ ✗ 〜 −25") == "张・三 √ √ [心] [心] × ～ -25"
    assert printable("态度好😀👍 👍🏽 👨‍👩‍👧 🇨🇳") == f"态度好{EMOJI}{EMOJI} {EMOJI} {EMOJI} {EMOJI}"
    # ü is the font's (pinyin's); ö and ë are not.
    assert printable("Zoë Möller-Müller™ x² 1️⃣") == "Zoe Moller-MüllerTM x2 1"
    assert printable("𠀀字 ☎ a\u00a0b\u200bc") == f"{MISSING}字 {EMOJI} a bc"
    # The font's own: Chinese, full-width and GB 2312's symbols, the line ends.
    kept = "满意①≥90%×2，“好”…—√★℃￥€《》\n\t"
    assert printable(kept) == kept
    assert HEART == "[心]"


def test_every_character_prints_in_a_glyph_the_font_has():
    samples = [chr(c) for c in range(0x110000)
               if unicodedata.category(chr(c)) != "Cn" and not 0xD800 <= c < 0xE000]
    out = printable("".join(samples))
    assert not [ch for ch in set(out) if not covered(ch) and ch not in "\t\n\r"]
