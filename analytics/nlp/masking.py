"""Masking of personal data (phones, ID/bank cards, plates, e-mail, WeChat IDs, street addresses,
names) before display."""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import lru_cache

from .text import RESOURCES, fold

_B = r"(?<![0-9A-Za-z])"  # no digit/letter before
_E = r"(?![0-9A-Za-z])"  # no digit/letter after

# Characters that end a place name read backwards from 路/街/小区…: a verb or particle before the
# address ("我家住在幸福路…") is not part of it.
_PLACE_CH = r"(?:(?![在住到于是的从去来我家就往址为送寄搬把给离与及或请找了有还位近旁边面])[\u4e00-\u9fff])"
# Each level is atomic (its shortest match, never another length): with free backtracking a
# text full of 省/市/区 made the levels' lengths multiply (seconds for one long opinion).
_ADMIN = (r"(?>" + _PLACE_CH + r"{2,7}?(?:省|自治区))?(?>" + _PLACE_CH + r"{1,7}?市)?"
          r"(?>" + _PLACE_CH + r"{1,7}?(?:区|县|旗))?(?>" + _PLACE_CH + r"{1,7}?(?:镇|乡|街道))?")
# A building, unit and room after a street number or a residential compound.
_ROOMS = r"(?:[ -]?\d{1,4}(?:号楼|号院|栋|幢|座|单元|楼|层|室|户|号))*(?:[ -]?\d{1,4}(?:室|户)?)?"

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("id_card", re.compile(
        _B + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]" + _E)),
    # A mistyped 18-character ID (impossible birth date, any check digit) is still an ID the
    # citizen typed: an X at the end, or a birth year where an ID has one, tells it from a card.
    ("id_card", re.compile(_B + r"(?:\d{17}[Xx]|\d{6}(?:18|19|20)\d{9}[\dXx])" + _E)),
    # After the words 身份证/证件号, any 18 characters of that shape are an ID number.
    ("id_card", re.compile(r"(?:身份证|证件|身份号)[^\d\n]{0,6}?(\d{17}[\dXx])" + _E)),
    # First-generation IDs: 15 digits with a birth date YYMMDD.
    ("id_card", re.compile(
        _B + r"[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}" + _E)),
    ("bank_card", re.compile(_B + r"\d{4}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?" + _E)),
    ("mobile", re.compile(_B + r"(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _E)),
    ("landline", re.compile(
        _B + r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[ -]?\d{7,8}(?:-\d{1,5})?" + _E)),
    ("qq", re.compile(r"(?i)qq(?:号码?)?[ :：是为]{0,3}([1-9]\d{4,10})" + _E)),
    # WeChat IDs: 6–20 letters, digits, _ or -, starting with a letter, after 微信/vx/wx; and
    # the generated wxid_… anywhere.
    ("wechat", re.compile(r"(?i)(?<![A-Za-z])wxid_[A-Za-z0-9_-]{4,30}" + _E)),
    ("wechat", re.compile(
        r"(?i)(?:微信|威信|(?<![A-Za-z])(?:vx|wx|weixin)(?![A-Za-z]))(?:号|id)?[ :：是为]{0,3}"
        r"(?!wechat|weixin|wxpay)([A-Za-z][-_A-Za-z0-9]{5,19})" + _E)),
    ("plate", re.compile(
        r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
        r"[A-HJ-NP-Za-hj-np-z][ ·•.-]?[A-HJ-NP-Za-hj-np-z0-9]{4,5}[A-HJ-NP-Za-hj-np-z0-9挂学警港澳]" + _E)),
    # Street addresses: a road, street or lane with a house number (中山北路123号, 和平巷7号),
    # or a residential compound with a building (阳光花园5栋), each with what follows
    # (3幢501室). A number alone (3号窗口, 1号楼3层) is never an address.
    ("address", re.compile(
        _ADMIN + _PLACE_CH + r"{1,8}?(?:路|街|大道|大街|巷|弄|胡同)" + _PLACE_CH + r"{0,3}?"
        r"\d{1,5}(?:-\d{1,4})?号院?" + _ROOMS)),
    ("address", re.compile(
        _ADMIN + _PLACE_CH + r"{1,8}?(?:小区|花园|家园|公寓|新村|苑|社区)"
        r"\d{1,4}(?:号楼|栋|幢|座)" + _ROOMS)),
]

# Every pattern above needs a digit or a Latin letter somewhere in its match (the same classes,
# case-insensitive as some patterns are): a text without one skips them all, as most opinions do.
_PATTERN_GATE = re.compile(r"(?i)[0-9a-z]|\d")

# A road word with no name before its number is no address.
_GENERIC_ROAD = re.compile(r"(?:高速)?(?:公路|马路|铁路|道路|大街|大道|街|路)")
_LEADING_NAME = re.compile(r"\D*")

LABELS = {
    "email": "[邮箱]",
    "id_card": "[身份证号]",
    "bank_card": "[银行卡号]",
    "mobile": "[手机号]",
    "landline": "[电话]",
    "qq": "[QQ号]",
    "wechat": "[微信号]",
    "plate": "[车牌号]",
    "address": "[地址]",
}

_NAME_TRIGGER = re.compile(
    r"(?:我叫|我的名字是|我的名字叫|名字叫|名字是|名叫|本人叫|本人是|本人|我是|姓名|联系人|患者|病人|"
    r"签名|署名|落款)[:：\s]*"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Characters that end a given name: function words and common verbs right after a name.
_NAME_STOP = set("的了在来去是要想和跟从到给把被也都就还又今昨前后这那有没不很太对为让叫说办"
                 "啊呀吧呢吗嘛哦，。！？、；：")
_HONORIFICS = ("先生", "女士", "小姐", "老师", "师傅", "阿姨", "大爷", "大妈", "大姐", "大哥", "同志", "经理",
               "医生", "护士", "警官", "主任", "科长", "老", "某", "家")


@dataclass(frozen=True)
class Span:
    """A masked region of the text."""

    start: int
    end: int
    kind: str


@lru_cache(maxsize=1)
def _surnames() -> tuple[frozenset[str], frozenset[str]]:
    lines = (RESOURCES / "surnames.txt").read_text(encoding="utf-8").split("\n")
    single = frozenset(lines[0].strip())
    double = frozenset(lines[1].split())
    return single, double


# Ordinary words that jieba tags as names but that citizens use as words.
_EXTRA_EXCLUSIONS = frozenset("黄牛 文明 高峰 金牌 安心 方便 白跑 何必 向前 于是 华为 高铁 温馨 江湖".split())


@lru_cache(maxsize=1)
def _exclusions() -> frozenset[str]:
    with gzip.open(RESOURCES / "name_exclusions.txt.gz", "rt", encoding="utf-8") as fh:
        return frozenset(w.strip() for w in fh if w.strip()) | _EXTRA_EXCLUSIONS


def _name_span(text: str, pos: int) -> tuple[int, int] | None:
    """Span of the given name after a trigger ending at ``pos`` (surname is kept)."""
    single, double = _surnames()
    if text[pos : pos + 2] in double:
        sur = 2
    elif pos < len(text) and text[pos] in single:
        sur = 1
    else:
        return None
    start = pos + sur
    if text.startswith(_HONORIFICS, start):
        return None
    end = start
    while end < len(text) and end - start < 2 and _CJK.match(text[end]) and text[end] not in _NAME_STOP:
        end += 1
    if end == start:
        return None
    excl = _exclusions()
    cand = text[pos:end]
    if cand in excl or text[pos : end + 1] in excl or (sur == 1 and cand[:2] in excl):
        return None
    return start, end


def find_spans(text: str, folded: str | None = None) -> list[Span]:
    """All personal-data spans in ``text`` (offsets valid for ``text`` itself); ``folded``:
    :func:`.text.fold` of ``text`` when the caller has it already."""
    if folded is None:
        folded = fold(text)
    taken = [False] * len(folded)
    spans: list[Span] = []

    def add(start: int, end: int, kind: str) -> None:
        if start < end and not any(taken[start:end]):
            for i in range(start, end):
                taken[i] = True
            spans.append(Span(start, end, kind))

    for kind, pattern in PATTERNS if _PATTERN_GATE.search(folded) else ():
        for m in pattern.finditer(folded):
            if kind == "plate" and not any(ch.isdigit() for ch in m.group()):
                continue
            if kind == "address" and _GENERIC_ROAD.fullmatch(_LEADING_NAME.match(m.group()).group()):
                continue  # 高速公路12号出口: a road, not anybody's address
            start, end = m.span(1) if pattern.groups else m.span()
            add(start, end, kind)
    for m in _NAME_TRIGGER.finditer(folded):
        span = _name_span(folded, m.end())
        if span:
            add(span[0], span[1], "name")
    spans.sort(key=lambda s: s.start)
    return spans


def mask(text: str) -> str:
    """Return ``text`` with personal data replaced (names keep the surname: 张三 -> 张**)."""
    if not text:
        return ""
    spans = find_spans(text)
    if not spans:
        return text
    out = []
    last = 0
    for s in spans:
        out.append(text[last : s.start])
        out.append("**" if s.kind == "name" else LABELS[s.kind])
        last = s.end
    out.append(text[last:])
    return "".join(out)
