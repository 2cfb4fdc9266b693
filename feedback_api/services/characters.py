"""Which characters a typed text may hold: no control characters (C0, DEL, C1), which no screen
shows, which documents print as spaces and which make a name look the same as another. A
multi-line text (remarks, notes, opinions) keeps its line ends and tabs, and Word's manual line
break (\x0b, in what is pasted from Word) becomes the line end it is, as do the Unicode line and
paragraph separators (U+2028, U+2029: pasted from web pages; browsers and JSON readers break the
line there), which a single-line text refuses as any line end. The one check behind the API's
text fields, the admin forms and the spreadsheet imports."""

from __future__ import annotations

import re

_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_ENDS = str.maketrans({"\x0b": "\n", "\u2028": "\n", "\u2029": "\n"})


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` is refused ("不能含有控制字符（U+0001）"), or None if it may be stored."""
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(value)
    if found is None:
        return None
    char = found.group()
    if char in "\t\n\r\u2028\u2029":
        return "不能含有换行符或制表符"
    return f"不能含有控制字符（U+{ord(char):04X}）"


def line_breaks(value: str) -> str:
    """A multi-line text with Word's manual line break (\x0b) and the Unicode line and paragraph
    separators as line ends."""
    return value.translate(_LINE_ENDS)

