"""Which characters a typed text may hold: no control characters (C0, DEL, C1), which no screen
shows, which documents print as spaces and which make a name look the same as another. A
multi-line text (remarks, notes, opinions) keeps its line ends and tabs, and Word's manual line
break (\x0b, in what is pasted from Word) becomes the line end it is. The one check behind
the API's text fields, the admin forms and the spreadsheet imports."""

from __future__ import annotations

import re

_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` is refused ("不能含有控制字符（U+0001）"), or None if it may be stored."""
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(value)
    if found is None:
        return None
    char = found.group()
    if char in "\t\n\r":
        return "不能含有换行符或制表符"
    return f"不能含有控制字符（U+{ord(char):04X}）"


def line_breaks(value: str) -> str:
    """A multi-line text with Word's manual line break (\x0b) as a line end."""
    return value.replace("\x0b", "\n")
