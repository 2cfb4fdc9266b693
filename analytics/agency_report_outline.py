"""The agency's quarterly report as one ordered outline (headings, paragraphs, tables of the
stored figures, the agency's narrative), which the page, the Word document and the PDF all
render: the three never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from feedback_api.models.reference import RATINGS
from feedback_api.services.cells import printable


@dataclass(frozen=True)
class Heading:
    block: ClassVar[str] = "heading"
    level: int  # 1 or 2
    text: str


@dataclass(frozen=True)
class Para:
    block: ClassVar[str] = "para"
    text: str
    #: "narrative" (the agency's words), "note" (small print) or "" (generated text).
    kind: str = ""


@dataclass(frozen=True)
class Table:
    block: ClassVar[str] = "table"
    caption: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    #: Shown instead of an empty table.
    empty: str = "无"


Block = Heading | Para | Table


def cell(value: Any) -> str:
    """A figure as every rendering shows it."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def title(figures: dict[str, Any]) -> str:
    return f"{figures['period_label']}文明诚信示范窗口第三方测评报告"


def _narrative(text: str) -> list[Block]:
    # What the agency typed or pasted; a .docx refuses control characters (Word's \x0b).
    paragraphs = [p.strip() for p in printable(text or "").splitlines() if p.strip()]
    return [Para(p, "narrative") for p in paragraphs] or [Para("（未填写）", "narrative")]


#: The counted ratings from WeChat and from H5, beside each count (a report generated before the
#: split was kept shows "—").
CHANNEL_HEADER = ["微信公众号", "网页评价"]


def _channels(figures: dict[str, Any]) -> list[Any]:
    return [figures.get("ratings_wechat"), figures.get("ratings_h5")]


def _levels(channel: str, dist: dict[str, int] | None) -> list[Any]:
    """A channel's row of the five levels and their total ("—" in a report generated before
    the split was kept)."""
    counts = [None if dist is None else dist[str(k)] for k in (5, 4, 3, 2, 1)]
    return [channel, *counts, None if dist is None else sum(dist.values())]


def _windows(caption: str, items: list[dict[str, Any]]) -> Table:
    # One column for the count and its channels: the long names need the page's width.
    return Table(caption, ["区内排名", "窗口", "单位", "行业", "综合得分", "计分评价（微信/网页）",
                          "好评率（%）"],
                 [[w["rank_district"], f"{w['code']} {w['name']}", w["unit"], w["industry"],
                   w["composite"], "{}（{}/{}）".format(w["ratings"], *map(cell, _channels(w))),
                   w["good_rate"]] for w in items],
                 "本季度无有综合得分的窗口")


def _basis(figures: dict[str, Any]) -> str:
    """Which assessment the figures are: a published version, or computed when generated (also a
    report generated before the version was kept)."""
    version = figures.get("version")
    return f"依据已发布的第 {version} 版考核结果" if version else "考核结果尚未发布，按生成时的数据计算"


def outline(figures: dict[str, Any], sections: dict[str, str]) -> list[Block]:
    o, t, i = figures["overview"], figures["tickets"], figures["inspections"]
    d, rep, cases = figures["delisting"], figures["repeats"], figures["cases"]
    dist = o["distribution"]
    blocks: list[Block] = [Heading(1, "一、总体情况"), *_narrative(sections.get("summary", ""))]
    blocks.append(Table("表1 全区概况", ["指标", "数值"], [
        ["参加考核窗口（个）", o["windows"]], ["有综合得分的窗口（个）", o["ranked"]],
        ["涉及行业（个）", o["industries"]], ["计分评价（条）", o["ratings"]],
        *[[f"其中{name}（条）", n] for name, n in zip(CHANNEL_HEADER, _channels(o), strict=True)],
        *[[f"其中{RATINGS[k]}（条）", dist[str(k)]] for k in (5, 4, 3, 2, 1)],
        ["好评率（%）", o["good_rate"]], ["差评率（%）", o["bad_rate"]],
        ["分析的意见（条）", o["opinions"]], ["综合得分平均（分）", o["mean_composite"]]]))
    blocks.append(Table("表1（续） 五级评分（分渠道）",
                        ["渠道", *[RATINGS[k] for k in (5, 4, 3, 2, 1)], "合计"],
                        [_levels(name, o.get(key)) for name, key in zip(
                            CHANNEL_HEADER, ("distribution_wechat", "distribution_h5"), strict=True)]))
    blocks += [Heading(1, "二、各行业得分与排名"), Table(
        "表2 各行业得分与排名",
        ["排名", "行业", "窗口数", "计分评价", *CHANNEL_HEADER, "好评率（%）", "差评率（%）",
         "综合得分平均", "计分差评", "未办结督办"],
        [[x["rank"], x["industry"], x["windows"], x["ratings"], *_channels(x), x["good_rate"],
          x["bad_rate"], x["mean_composite"], x["bad_reviews"], x["open_tickets"]]
         for x in figures["industries"]])]
    blocks += [Heading(1, "三、最佳窗口与薄弱窗口"), Heading(2, "（一）综合得分靠前的窗口"),
               _windows("表3 综合得分靠前的窗口", figures["best"]),
               Heading(2, "（二）综合得分靠后的窗口"),
               _windows("表4 综合得分靠后的窗口", figures["weakest"])]
    blocks += [Heading(1, "四、督办办理情况"), Table("表5 督办办理情况", ["指标", "数值"], [
        ["本季度新开督办单（件）", t["opened"]], ["其中已办结（件）", t["closed"]],
        ["其中曾超期（件）", t["overdue"]], ["目前未办结（含往期，件）", t["open_now"]],
        ["本季度到期督办（轮次）", t["rounds_due"]], ["按时办理（轮次）", t["rounds_on_time"]],
        ["督办按时办理率（%）", t["on_time_rate"]], ["计分差评（条）", t["bad_reviews"]],
        # Reports stored before the judged 差评 were counted apart have no such row.
        *([["其中计入考核（督办已办结或整改期限已过，条）", t["bad_assessed"]]]
          if "bad_assessed" in t else []),
        ["已整改（条）", t["rectified"]], ["差评整改率（%）", t["rectified_rate"]],
        ["已回访（条）", t["called_back"]], ["差评回访率（%）", t["callback_rate"]]])]
    blocks += [Heading(1, "五、综合检查与暗查"), Table("表6 综合检查与暗查", ["指标", "数值"], [
        ["季度综合检查（次）", i["inspections"]], ["受检窗口（个）", i["inspected_windows"]],
        ["检查不合格（次）", i["failed"]], ["检查平均得分（百分制）", i["mean_score"]],
        ["暗查（次）", i["covert_visits"]], ["暗查指标（项次）", i["covert_checks"]],
        ["合格（项次）", i["covert_passed"]], ["暗查合格率（%）", i["covert_pass_rate"]]])]
    blocks += [Heading(1, "六、摘牌建议与预警"),
               Table("表7 本年度摘牌建议", ["窗口", "规则", "状态", "依据"],
                     [[p["window"], f"规则{p['rule']}：{p['rule_name']}", p["state"], p["summary"]]
                      for p in d["proposals"]], "本年度无摘牌建议"),
               Table("表8 摘牌预警（距触发规则仅差一次）", ["窗口", "临近规则", "情况"],
                     [[w["window"], f"规则{w['rule']}：{w['rule_name']}", w["summary"]]
                      for w in d["warnings"]], "无摘牌预警")]
    blocks += [Heading(1, "七、多窗口反复出现的问题"),
               Para(f"同一行业至少 {rep['min_windows']} 个窗口关于同一问题类别的投诉意见较"
                    f"{rep['previous']}上升" + ("（本期截至生成时，与上期同期相比）" if rep["partial"]
                                              else "") + "。"),
               Table("表9 多窗口反复出现的问题",
                     ["行业", "问题类别", "上升窗口数", "本期投诉意见", "上期投诉意见", "窗口"],
                     [[p["industry"], p["topic"], len(p["windows"]), p["current"], p["previous"],
                       "、".join(p["windows"])] for p in rep["problems"]],
                     "本季度未发现多窗口反复出现的问题")]
    blocks += [Heading(1, "八、主要问题分析"), *_narrative(sections.get("analysis", ""))]
    blocks += [Heading(1, "九、典型案例"), Para("以下群众意见均为脱敏后的文本。", "note")]
    for caption, key in (("表10 典型差评意见", "negative"), ("表11 典型好评意见", "positive")):
        blocks.append(Table(caption, ["日期", "窗口", "问题类别", "群众意见（脱敏）"],
                            [[c["date"], c["window"], c["topic"], c["text"]] for c in cases[key]],
                            "本季度无"))
    blocks += [*_narrative(sections.get("cases", ""))]
    blocks += [Heading(1, "十、意见建议"), *_narrative(sections.get("suggestions", ""))]
    blocks += [Para(f"说明：{figures['formula']}", "note"),
               *[Para(f"说明：{n}", "note") for n in figures["notes"]],
               Para(f"数据生成于 {figures['generated_at']}，{_basis(figures)}，生成后不再变动。",
                    "note")]
    return blocks
