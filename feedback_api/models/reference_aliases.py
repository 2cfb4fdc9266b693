"""The names staff write in their spreadsheets for the vocabularies of ``reference`` (人社 for
人力资源和社会保障, 已摘牌 for 摘牌). Read by the ledger import only: pages and the API keep the
codes and labels of ``reference``."""

from __future__ import annotations

import unicodedata

from feedback_api.models.reference import INDUSTRIES, WINDOW_STATUSES, lookup_code

#: Industry (code) -> the other names it goes by. 医保 sits with 人社, as the ledgers have it.
INDUSTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "tax": ("税务局", "税务分局", "税务部门", "国税", "地税"),
    "social_security": ("人社", "人社局", "人力社保", "人力资源社会保障", "人力资源与社会保障",
                        "人力资源和社会保障局", "社保", "医保", "医保局", "医疗保障", "医疗保障局"),
    "health": ("卫健", "卫健委", "卫健局", "卫生", "卫生健康委", "卫生健康委员会", "卫生健康局",
               "医疗卫生"),
    "transport": ("交通", "交通局", "交通运输局"),
    "banking": ("银行", "金融", "银行业", "金融机构"),
    "utilities": ("公用事业", "水电气", "供水", "供电", "供气", "燃气", "电力"),
    "public_security": ("公安局", "公安分局", "派出所", "车管所", "出入境"),
    "market": ("市场监管局", "市场监督管理", "市场监督管理局", "市监局"),
    "housing": ("住建", "住建局", "住房", "不动产", "不动产登记", "房管", "公积金", "住房公积金"),
    "government_service": ("政务", "政务中心", "政务服务中心", "行政服务中心", "便民服务中心",
                           "行政审批"),
    "civil_affairs": ("民政局", "婚姻登记"),
}
#: Window status (code) -> the other names it goes by.
STATUS_ALIASES: dict[str, tuple[str, ...]] = {
    "candidate": ("创建", "创建单位", "创建窗口", "候选", "培育"),
    "demonstration": ("示范窗口", "文明诚信示范窗口", "已命名", "命名", "已授牌", "授牌"),
    "delisted": ("已摘牌", "摘牌窗口", "已撤牌", "撤牌"),
}


def _plain(text: str) -> str:
    """Full-width forms and spaces aside, as typed in any office's sheet."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def _resolve(vocabulary: dict[str, str], aliases: dict[str, tuple[str, ...]],
             value: str) -> str | None:
    code = lookup_code(vocabulary, _plain(value))
    if code is not None:
        return code
    plain = _plain(value)
    return next((c for c, names in aliases.items() if plain in names), None)


def industry_code(value: str) -> str | None:
    """The industry a ledger cell names (code, label or alias), or None."""
    return _resolve(INDUSTRIES, INDUSTRY_ALIASES, value)


def status_code(value: str) -> str | None:
    """The window status a ledger cell names (code, label or alias), or None."""
    return _resolve(WINDOW_STATUSES, STATUS_ALIASES, value)
